import { describe, expect, it } from 'vitest';
import { partitionFor } from './partitioner.ts';

/** Deterministic pseudo-random subjects (xorshift32), so a failure reproduces. */
function subjects(count: number, seed = 0x9e3779b9): string[] {
  let x = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out.push(`cust-${x.toString(36)}-${i}`);
  }
  return out;
}

describe('partitionFor', () => {
  // Pinned: the assignment must not change between releases, or a customer's
  // events would move partition and lose their order across a deploy.
  const pinned: { tenant: string; subject: string; partitionCount: number; partition: number; why: string }[] = [
    { tenant: 'default', subject: 'alice', partitionCount: 6, partition: 4, why: 'the single-node tenant' },
    { tenant: 'default', subject: 'bob', partitionCount: 6, partition: 1, why: 'another subject of the same tenant' },
    { tenant: 'acme', subject: 'cust-42', partitionCount: 6, partition: 1, why: 'one subject in one tenant' },
    { tenant: 'globex', subject: 'cust-42', partitionCount: 6, partition: 2, why: 'the same subject in another tenant lands elsewhere' },
    { tenant: 'default', subject: 'alice', partitionCount: 64, partition: 58, why: 'the partition count is the modulus' },
    { tenant: '', subject: '', partitionCount: 6, partition: 3, why: 'empty strings still hash' },
  ];

  for (const { tenant, subject, partitionCount, partition, why } of pinned) {
    it(`puts ${JSON.stringify(tenant)}/${JSON.stringify(subject)} on partition ${partition} of ${partitionCount}: ${why}`, () => {
      expect(partitionFor(tenant, subject, partitionCount)).toBe(partition);
    });
  }

  it('is deterministic: the same tenant and subject always give the same partition', () => {
    const all = subjects(1_000);
    const first = all.map((subject) => partitionFor('acme', subject, 6));
    for (let i = 0; i < 3; i++) expect(all.map((subject) => partitionFor('acme', subject, 6))).toEqual(first);
  });

  for (const partitionCount of [1, 2, 6, 7, 64, 1_000]) {
    it(`returns an integer in [0, ${partitionCount}) for many random subjects`, () => {
      const outOfRange = subjects(10_000, partitionCount)
        .map((subject) => ({ subject, partition: partitionFor('acme', subject, partitionCount) }))
        .filter(({ partition }) => !Number.isInteger(partition) || partition < 0 || partition >= partitionCount);
      expect(outOfRange).toEqual([]);
    });
  }

  it('spreads subjects over all 6 partitions roughly evenly', () => {
    const counts = new Array<number>(6).fill(0);
    for (const subject of subjects(6_000)) counts[partitionFor('acme', subject, 6)]! += 1;
    // 1000 expected per partition; ±20% is far outside random noise (σ ≈ 29).
    for (const count of counts) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1_200);
    }
  });

  it('makes the tenant part of the key: the same subjects map differently in another tenant', () => {
    const all = subjects(600);
    const moved = all.filter((s) => partitionFor('acme', s, 6) !== partitionFor('globex', s, 6)).length;
    // Independent hashes agree 1 time in 6; a key without the tenant would agree always.
    expect(moved).toBeGreaterThan(all.length / 2);
  });

  it('separates tenant from subject, so "ab"+"c" and "a"+"bc" are different keys', () => {
    const pairs = subjects(600).map((s) => [partitionFor(`t-${s}`, 'x', 64), partitionFor('t-', `${s}x`, 64)]);
    const differ = pairs.filter(([a, b]) => a !== b).length;
    expect(differ).toBeGreaterThan(pairs.length / 2);
  });
});

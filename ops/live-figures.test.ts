import { describe, expect, it } from 'vitest';
import { IngestRateSampler } from './live-figures.ts';
import { demoEvent } from './demo-traffic.ts';
import { DEMO_CUSTOMERS } from './demo-world.ts';

describe('IngestRateSampler', () => {
  it('knows no rate until two samples are a second apart, then rates over the window', async () => {
    const values = [0, 50, 1000, 3000];
    const sampler = new IngestRateSampler(async () => values.shift()!);
    expect(await sampler.rate(0)).toBeNull();
    expect(await sampler.rate(500)).toBeNull();
    expect(await sampler.rate(2000)).toBe(500); // (1000 − 0) over 2 s
    expect(await sampler.rate(4000)).toBe(750); // (3000 − 0) over 4 s
  });

  it('forgets samples older than the window, so a burst fades out', async () => {
    const values = [0, 10_000, 10_000, 10_000];
    const sampler = new IngestRateSampler(async () => values.shift()!);
    await sampler.rate(0);
    await sampler.rate(1000);
    await sampler.rate(12_000);
    expect(await sampler.rate(14_000)).toBe(0);
  });
});

describe('demoEvent', () => {
  it('is deterministic per number, a valid CloudEvent of a demo customer, with unique ids', () => {
    const now = new Date('2026-11-25T04:00:00Z');
    expect(demoEvent('run', 7, now)).toEqual(demoEvent('run', 7, now));
    const events = Array.from({ length: 500 }, (_, n) => demoEvent('run', n, now));
    expect(new Set(events.map((e) => e.id)).size).toBe(500);
    const subjects = new Set(DEMO_CUSTOMERS.map((c) => c.subject));
    for (const e of events) {
      expect(e.specversion).toBe('1.0');
      expect(subjects.has(e.subject as string)).toBe(true);
      expect((e.data as { tokens: number }).tokens).toBeGreaterThan(0);
    }
    // Weighted: the heaviest customer gets more events than the lightest.
    const count = (s: string): number => events.filter((e) => e.subject === s).length;
    expect(count('cust_acme')).toBeGreaterThan(count('cust_hooli'));
  });
});

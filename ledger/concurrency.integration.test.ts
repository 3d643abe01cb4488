/**
 * Parallel workers hammer a handful of shared accounts on real Postgres with
 * random batches: single-phase transfers, holds with and without timeouts,
 * posts and voids of each other's holds, linked chains, balancing transfers,
 * over-limit attempts and retries of whole earlier batches, while an expiry
 * sweep runs alongside. Afterwards every stored invariant holds, no error
 * (deadlock or other) escaped, every retry answered its original results, and
 * the transfers stored before the second half are byte-for-byte unchanged.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Postgres } from '../platform/postgres.ts';
import { ACCOUNT_FLAGS, TRANSFER_FLAGS } from './account-codes.ts';
import type { TransferResult } from './engine.ts';
import { voidExpiredPendingTransfers } from './expiry.ts';
import { checkLedgerInvariants } from './invariants.ts';
import { connectLedgerTestDatabase, ensureTestTenant, newId, openAccounts } from './test-support.ts';
import { submitTransfers, type TransferInput } from './transfers.ts';

const TENANT = 'itest-ledger-concurrency';
const WORKERS = 8;
const ROUNDS_PER_PHASE = 15;
const BATCH_LENGTH = 24;

const { linked, pending, postPending, voidPending, balancingDebit } = TRANSFER_FLAGS;
let postgres: Postgres;
let db: Database;

beforeAll(async () => {
  postgres = await connectLedgerTestDatabase(WORKERS + 4);
  db = postgres.db;
  await ensureTestTenant(db, TENANT);
});

afterAll(async () => {
  await postgres?.close();
});

function prng(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

interface Accounts {
  bank: string;
  limited: string[];
  capped: string[];
  plain: string[];
}

async function openHammeredAccounts(): Promise<Accounts> {
  const [bank, ...rest] = await openAccounts(db, TENANT, [{}, ...Array.from({ length: 4 }, () => ({ flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits })),
    { flags: ACCOUNT_FLAGS.creditsMustNotExceedDebits }, { flags: ACCOUNT_FLAGS.creditsMustNotExceedDebits }, {}, {}, {}]);
  const accounts = { bank: bank!, limited: rest.slice(0, 4), capped: rest.slice(4, 6), plain: rest.slice(6) };
  const funding = [
    ...accounts.limited.map((id) => move(accounts.bank, id, 5_000n)),
    ...accounts.capped.map((id) => move(id, accounts.bank, 3_000n)),
  ];
  expect(await submitTransfers(db, funding)).toEqual(funding.map(() => 'ok'));
  return accounts;
}

function move(debit: string, credit: string, amountMicros: bigint, more: Partial<TransferInput> = {}): TransferInput {
  return { id: newId(), tenantId: TENANT, debitAccountId: debit, creditAccountId: credit, amountMicros, ledger: 'USD', code: 3, userData: 'hammer', ...more };
}

interface Sent {
  batch: TransferInput[];
  results: TransferResult[];
}

/** Shared between workers: holds any worker may post or void. */
const holds: string[] = [];
const tally = new Map<string, number>();
const retryMismatches: string[] = [];

function randomBatch(random: (n: number) => number, a: Accounts): TransferInput[] {
  const all = [a.bank, ...a.limited, ...a.capped, ...a.plain];
  const pick = (list: string[]): string => list[random(list.length)]!;
  const batch: TransferInput[] = [];
  while (batch.length < BATCH_LENGTH) {
    const kind = random(10);
    const room = BATCH_LENGTH - batch.length;
    if (kind <= 2) {
      batch.push(move(pick(all), pick(all), BigInt(1 + random(1500))));
    } else if (kind === 3) {
      batch.push(move(pick(a.limited), pick(all), BigInt(1 + random(800)), { flags: pending, timeoutSeconds: [0, 1, 3600][random(3)]! }));
    } else if (kind === 4 && holds.length > 0) {
      batch.push(move('', '', BigInt(random(3) === 0 ? 0 : 1 + random(900)), { flags: postPending, pendingId: pick(holds), ledger: '', code: 0 }));
    } else if (kind === 5 && holds.length > 0) {
      batch.push(move('', '', 0n, { flags: voidPending, pendingId: pick(holds), ledger: '', code: 0 }));
    } else if (kind === 6) {
      batch.push(move(pick(a.limited), pick([...a.capped, ...a.plain]), BigInt(1 + random(4000)), { flags: balancingDebit }));
    } else if (kind === 7 && room >= 3) {
      const length = 2 + random(2);
      for (let i = 0; i < length; i++) {
        batch.push(move(pick(a.limited), pick(all), BigInt(1 + random(2000)), { flags: i < length - 1 ? linked : 0 }));
      }
    } else if (kind === 8) {
      batch.push(move(pick([...a.limited, ...a.capped]), pick([...a.capped, ...a.limited]), 1_000_000n));
    } else {
      batch.push(move(pick(all), pick(a.capped), BigInt(1 + random(700))));
    }
  }
  return batch;
}

async function worker(index: number, accounts: Accounts, rounds: number, history: Sent[]): Promise<void> {
  const random = prng(1000 + index * 7919 + history.length);
  for (let round = 0; round < rounds; round++) {
    if (round % 4 === 3 && history.length > 0) {
      // Retry a whole earlier batch: every transfer must answer its original result.
      const earlier = history[random(history.length)]!;
      const again = await submitTransfers(db, earlier.batch);
      earlier.results.forEach((original, i) => {
        const expected = original === 'ok' ? 'exists' : original;
        if (again[i] !== expected) retryMismatches.push(`${earlier.batch[i]!.id}: first ${original}, retry ${again[i]}`);
      });
      continue;
    }
    const batch = randomBatch(random, accounts);
    const results = await submitTransfers(db, batch);
    batch.forEach((t, i) => {
      if (results[i] === 'ok' && (t.flags ?? 0) & pending) holds.push(t.id);
      tally.set(results[i]!, (tally.get(results[i]!) ?? 0) + 1);
    });
    history.push({ batch, results });
  }
}

async function sweeper(stop: () => boolean): Promise<number> {
  let voided = 0;
  while (!stop()) {
    // Two seconds ahead: holds with a 1 s timeout expire while workers still post and void them.
    voided += await voidExpiredPendingTransfers(db, Date.now() + 2_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return voided;
}

async function tenantTransfersDigest(maxSeq: bigint): Promise<string> {
  const rows = await db.execute(sql`SELECT * FROM ledger_transfers WHERE tenant_id = ${TENANT} AND seq <= ${maxSeq} ORDER BY seq`);
  return createHash('sha256').update(JSON.stringify(rows.rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');
}

describe('concurrent batches on shared accounts', () => {
  it('keep every invariant, let no deadlock escape, answer retries with the original results and never change a stored transfer', async () => {
    const accounts = await openHammeredAccounts();
    const histories: Sent[][] = Array.from({ length: WORKERS }, () => []);
    let done = false;
    const sweeping = sweeper(() => done);
    try {
      await Promise.all(histories.map((history, i) => worker(i, accounts, ROUNDS_PER_PHASE, history)));
      const [{ max_seq: snapshotSeq }] = (await db.execute<{ max_seq: bigint }>(sql`
        SELECT COALESCE(max(seq), 0)::bigint AS max_seq FROM ledger_transfers WHERE tenant_id = ${TENANT}`)).rows as [{ max_seq: bigint }];
      const digestBefore = await tenantTransfersDigest(snapshotSeq);
      await Promise.all(histories.map((history, i) => worker(i, accounts, ROUNDS_PER_PHASE, history)));
      expect(await tenantTransfersDigest(snapshotSeq)).toBe(digestBefore);
    } finally {
      done = true;
    }
    const swept = await sweeping;

    expect(retryMismatches).toEqual([]);
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
    // The mix really exercised what it claims to.
    for (const result of ['ok', 'exceeds_credits', 'exceeds_debits', 'linked_event_failed', 'accounts_must_be_different']) {
      expect(tally.get(result) ?? 0, result).toBeGreaterThan(0);
    }
    const resolvedAlready = (tally.get('pending_transfer_already_posted') ?? 0) + (tally.get('pending_transfer_already_voided') ?? 0)
      + (tally.get('pending_transfer_expired') ?? 0);
    expect(resolvedAlready).toBeGreaterThan(0);
    expect(swept + (tally.get('pending_transfer_expired') ?? 0)).toBeGreaterThan(0);
  });
});

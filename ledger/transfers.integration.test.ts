/**
 * The ledger core on real Postgres: batches with per-item result codes,
 * two-phase transfers and their expiry, linked chains, idempotent retries of
 * every kind, lookups, history pages, balances at a point in time, and the
 * stored invariants.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Postgres } from '../platform/postgres.ts';
import { ACCOUNT_FLAGS, TRANSFER_FLAGS } from './account-codes.ts';
import { lookupAccounts, submitAccounts } from './accounts.ts';
import { expiryTransferId } from './engine.ts';
import { voidExpiredPendingTransfers } from './expiry.ts';
import { checkLedgerInvariants } from './invariants.ts';
import { accountBalancesAt, accountTransfers, lookupTransfers } from './queries.ts';
import { connectLedgerTestDatabase, ensureTestTenant, newId, openAccounts } from './test-support.ts';
import { submitTransfers, type TransferInput } from './transfers.ts';

const TENANT = 'itest-ledger-core';
const OTHER_TENANT = 'itest-ledger-core-other';
let postgres: Postgres;
let db: Database;

const { linked, pending, postPending, voidPending, balancingDebit } = TRANSFER_FLAGS;

beforeAll(async () => {
  postgres = await connectLedgerTestDatabase();
  db = postgres.db;
  await ensureTestTenant(db, TENANT);
  await ensureTestTenant(db, OTHER_TENANT);
});

afterAll(async () => {
  await postgres?.close();
});

/** A funded, debit-limited source (credited `fundMicros` from a plain account) and a plain sink. */
async function fundedPair(fundMicros: bigint): Promise<{ source: string; sink: string; bank: string }> {
  const [source, sink, bank] = await openAccounts(db, TENANT, [{ flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits }, {}, {}]);
  if (fundMicros > 0n) {
    const [funded] = await submitTransfers(db, [move(bank!, source!, fundMicros)]);
    expect(funded).toBe('ok');
  }
  return { source: source!, sink: sink!, bank: bank! };
}

function move(debit: string, credit: string, amountMicros: bigint, more: Partial<TransferInput> = {}): TransferInput {
  return { id: newId(), tenantId: TENANT, debitAccountId: debit, creditAccountId: credit, amountMicros, ledger: 'USD', code: 1, userData: 'test', ...more };
}

async function balances(id: string): Promise<Record<string, bigint>> {
  const [a] = await lookupAccounts(db, TENANT, [id]);
  return { debitsPosted: a!.debitsPostedMicros, debitsPending: a!.debitsPendingMicros, creditsPosted: a!.creditsPostedMicros, creditsPending: a!.creditsPendingMicros };
}

async function storedRows(ids: string[]): Promise<unknown[]> {
  const rows = await db.execute(sql`SELECT * FROM ledger_transfers WHERE id = ANY(${sql.param(ids)}::uuid[]) ORDER BY seq`);
  return rows.rows;
}

describe('accounts', () => {
  it('creates a batch with a result per account; a failure does not fail its unlinked neighbours', async () => {
    const [a, b, c] = [newId(), newId(), newId()];
    const results = await submitAccounts(db, [
      { id: a, tenantId: TENANT, ledger: 'USD', code: 10, flags: 0, userData: 'a' },
      { id: b, tenantId: TENANT, ledger: 'USD', code: 0, flags: 0, userData: 'b' },
      { id: c, tenantId: TENANT, ledger: 'USD', code: 10, flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, userData: 'c' },
    ]);
    expect(results).toEqual(['ok', 'code_must_not_be_zero', 'ok']);
    expect((await lookupAccounts(db, TENANT, [a, b, c])).map((x) => x.id)).toEqual([a, c]);
    const again = await submitAccounts(db, [
      { id: a, tenantId: TENANT, ledger: 'USD', code: 10, flags: 0, userData: 'a' },
      { id: c, tenantId: TENANT, ledger: 'USD', code: 11, flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, userData: 'c' },
    ]);
    expect(again).toEqual(['exists', 'exists_with_different_code']);
  });

  it('creates a linked chain of accounts as one', async () => {
    const [a, b] = [newId(), newId()];
    const results = await submitAccounts(db, [
      { id: a, tenantId: TENANT, ledger: 'USD', code: 10, flags: ACCOUNT_FLAGS.linked, userData: '' },
      { id: b, tenantId: TENANT, ledger: '', code: 10, flags: 0, userData: '' },
    ]);
    expect(results).toEqual(['linked_event_failed', 'ledger_must_not_be_empty']);
    expect(await lookupAccounts(db, TENANT, [a, b])).toEqual([]);
  });

  it('does not show one tenant the accounts of another', async () => {
    const [mine] = await openAccounts(db, TENANT, [{}]);
    expect(await lookupAccounts(db, OTHER_TENANT, [mine!])).toEqual([]);
    expect(await lookupAccounts(db, TENANT, [mine!])).toHaveLength(1);
  });
});

describe('transfers', () => {
  it('applies a batch with a result per transfer, and a refused transfer leaves its neighbours applied', async () => {
    const { source, sink } = await fundedPair(100n);
    const batch = [move(source, sink, 30n), move(source, sink, 500n), move(source, newId(), 1n), move(source, sink, 70n)];
    expect(await submitTransfers(db, batch)).toEqual(['ok', 'exceeds_credits', 'credit_account_not_found', 'ok']);
    expect(await balances(source)).toMatchObject({ debitsPosted: 100n, creditsPosted: 100n });
    expect(await balances(sink)).toMatchObject({ creditsPosted: 100n });
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('stores exactly what was decided in a large batch, whether every transfer went in as asked or not', async () => {
    const { source, sink } = await fundedPair(1_000n);
    const asAsked = Array.from({ length: 80 }, () => move(source, sink, 1n));
    expect(await submitTransfers(db, asAsked)).toEqual(asAsked.map(() => 'ok'));
    // One refused and one balancing transfer that moves less than asked, among 80.
    const mixed = [...Array.from({ length: 78 }, () => move(source, sink, 1n)), move(source, sink, 1_000_000n), move(source, sink, 10_000n, { flags: balancingDebit })];
    const results = await submitTransfers(db, mixed);
    expect(results.slice(78)).toEqual(['exceeds_credits', 'ok']);
    const rows = await storedRows(mixed.map((t) => t.id)) as { id: string; amount_micros: bigint }[];
    expect(rows.map((r) => r.id)).toEqual([...mixed.slice(0, 78), mixed[79]!].map((t) => t.id));
    expect(rows[78]!.amount_micros).toBe(1_000n - 80n - 78n);
    expect(await balances(source)).toMatchObject({ debitsPosted: 1_000n });
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('does not let a tenant move another tenant\'s money', async () => {
    const { source, sink } = await fundedPair(100n);
    expect(await submitTransfers(db, [move(source, sink, 10n, { tenantId: OTHER_TENANT })])).toEqual(['debit_account_not_found']);
  });

  it('holds, posts part of a hold, voids another, and refuses to resolve a hold twice', async () => {
    const { source, sink } = await fundedPair(100n);
    const [holdA, holdB] = [newId(), newId()];
    expect(await submitTransfers(db, [move(source, sink, 60n, { id: holdA, flags: pending }), move(source, sink, 40n, { id: holdB, flags: pending }),
      move(source, sink, 1n)])).toEqual(['ok', 'ok', 'exceeds_credits']);
    expect(await balances(source)).toMatchObject({ debitsPending: 100n, debitsPosted: 0n });
    const post = move('', '', 25n, { flags: postPending, pendingId: holdA, ledger: '', code: 0 });
    const voiding = move('', '', 0n, { flags: voidPending, pendingId: holdB, ledger: '', code: 0 });
    expect(await submitTransfers(db, [post, voiding])).toEqual(['ok', 'ok']);
    expect(await balances(source)).toMatchObject({ debitsPending: 0n, debitsPosted: 25n });
    expect(await balances(sink)).toMatchObject({ creditsPending: 0n, creditsPosted: 25n });
    expect(await submitTransfers(db, [move('', '', 0n, { flags: voidPending, pendingId: holdA, ledger: '', code: 0 }),
      move('', '', 0n, { flags: postPending, pendingId: holdB, ledger: '', code: 0 })]))
      .toEqual(['pending_transfer_already_posted', 'pending_transfer_already_voided']);
    const [a, b] = await lookupTransfers(db, TENANT, [holdA, holdB]);
    expect([a!.status, a!.resolvedBy, b!.status]).toEqual(['posted', post.id, 'voided']);
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('voids holds whose timeout passed in the sweep, and not a millisecond earlier', async () => {
    const { source, sink } = await fundedPair(100n);
    const createdMs = Date.now();
    const hold = move(source, sink, 80n, { flags: pending, timeoutSeconds: 60 });
    expect(await submitTransfers(db, [hold], { nowMs: createdMs })).toEqual(['ok']);
    // Other suites' holds share the database: judge this hold, not the sweep's count.
    await voidExpiredPendingTransfers(db, createdMs + 59_999);
    expect(await balances(source)).toMatchObject({ debitsPending: 80n });
    expect((await lookupTransfers(db, TENANT, [hold.id]))[0]!.status).toBe('pending');
    expect(await voidExpiredPendingTransfers(db, createdMs + 60_000)).toBeGreaterThanOrEqual(1);
    expect(await balances(source)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    const [expired] = await lookupTransfers(db, TENANT, [hold.id]);
    expect(expired).toMatchObject({ status: 'expired', resolvedBy: expiryTransferId(hold.id) });
    const post = move('', '', 0n, { flags: postPending, pendingId: hold.id, ledger: '', code: 0 });
    expect(await submitTransfers(db, [post], { nowMs: createdMs + 61_000 })).toEqual(['pending_transfer_expired']);
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('answers pending_transfer_expired to a post after the timeout and releases the hold before the sweep does', async () => {
    const { source, sink } = await fundedPair(100n);
    const createdMs = Date.now();
    const hold = move(source, sink, 80n, { flags: pending, timeoutSeconds: 1 });
    await submitTransfers(db, [hold], { nowMs: createdMs });
    const post = move('', '', 0n, { flags: postPending, pendingId: hold.id, ledger: '', code: 0 });
    expect(await submitTransfers(db, [post], { nowMs: createdMs + 1_000 })).toEqual(['pending_transfer_expired']);
    expect(await balances(source)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('applies a linked chain as one and rolls it back as one', async () => {
    const { source, sink } = await fundedPair(100n);
    const chain = [move(source, sink, 50n, { flags: linked }), move(source, sink, 60n)];
    expect(await submitTransfers(db, chain)).toEqual(['linked_event_failed', 'exceeds_credits']);
    expect(await balances(source)).toMatchObject({ debitsPosted: 0n });
    expect(await storedRows(chain.map((t) => t.id))).toEqual([]);
  });
});

describe('idempotency: a retried transfer answers its original result and changes nothing', () => {
  interface RetryCase {
    name: string;
    /** Builds the batch from a funded source (100) and a sink; `setup` runs first. */
    batch: (accounts: { source: string; sink: string }, setup: TransferInput[]) => TransferInput[];
    setup?: (accounts: { source: string; sink: string }) => TransferInput[];
    first: string[];
    retry: string[];
    /** Something that changes between the attempts, e.g. more money. */
    between?: (accounts: { source: string; sink: string; bank: string }) => Promise<void>;
  }
  const cases: RetryCase[] = [
    { name: 'a single-phase transfer', batch: ({ source, sink }) => [move(source, sink, 10n)], first: ['ok'], retry: ['exists'] },
    { name: 'a pending transfer', batch: ({ source, sink }) => [move(source, sink, 10n, { flags: pending, timeoutSeconds: 3600 })], first: ['ok'], retry: ['exists'] },
    { name: 'a post of the whole hold (amount 0)', setup: ({ source, sink }) => [move(source, sink, 40n, { flags: pending })],
      batch: (_, [hold]) => [move('', '', 0n, { flags: postPending, pendingId: hold!.id, ledger: '', code: 0 })], first: ['ok'], retry: ['exists'] },
    { name: 'a partial post', setup: ({ source, sink }) => [move(source, sink, 40n, { flags: pending })],
      batch: (_, [hold]) => [move('', '', 15n, { flags: postPending, pendingId: hold!.id, ledger: '', code: 0 })], first: ['ok'], retry: ['exists'] },
    { name: 'a void', setup: ({ source, sink }) => [move(source, sink, 40n, { flags: pending })],
      batch: ({ source, sink }, [hold]) => [move(source, sink, 0n, { flags: voidPending, pendingId: hold!.id })], first: ['ok'], retry: ['exists'] },
    { name: 'a balancing transfer that moved less than asked', batch: ({ source, sink }) => [move(source, sink, 1000n, { flags: balancingDebit })],
      first: ['ok'], retry: ['exists'] },
    { name: 'a linked chain that applied', batch: ({ source, sink }) => [move(source, sink, 10n, { flags: linked }), move(source, sink, 20n)],
      first: ['ok', 'ok'], retry: ['exists', 'exists'] },
    { name: 'a transfer refused for lack of funds, even after a top-up', batch: ({ source, sink }) => [move(source, sink, 150n)],
      first: ['exceeds_credits'], retry: ['exceeds_credits'], between: async ({ source, bank }) => {
        expect(await submitTransfers(db, [move(bank, source, 1000n)])).toEqual(['ok']);
      } },
    { name: 'a linked chain that failed', batch: ({ source, sink }) => [move(source, sink, 10n, { flags: linked }), move(source, sink, 150n)],
      first: ['linked_event_failed', 'exceeds_credits'], retry: ['linked_event_failed', 'exceeds_credits'], between: async ({ source, bank }) => {
        expect(await submitTransfers(db, [move(bank, source, 1000n)])).toEqual(['ok']);
      } },
    { name: 'a transfer to an account that did not exist yet', batch: ({ source }) => [move(source, '00000000-0000-4000-8000-00000000abcd', 5n)],
      first: ['credit_account_not_found'], retry: ['credit_account_not_found'] },
  ];
  it.each(cases)('$name', async ({ batch, setup, first, retry, between }) => {
    const accounts = await fundedPair(100n);
    const setupTransfers = setup?.(accounts) ?? [];
    if (setupTransfers.length > 0) expect(await submitTransfers(db, setupTransfers)).toEqual(setupTransfers.map(() => 'ok'));
    const transfers = batch(accounts, setupTransfers);
    expect(await submitTransfers(db, transfers)).toEqual(first);
    const rowsBefore = await storedRows(transfers.map((t) => t.id));
    await between?.(accounts);
    const balancesBefore = [await balances(accounts.source), await balances(accounts.sink)];
    expect(await submitTransfers(db, transfers)).toEqual(retry);
    expect(await storedRows(transfers.map((t) => t.id))).toEqual(rowsBefore);
    expect([await balances(accounts.source), await balances(accounts.sink)]).toEqual(balancesBefore);
  });

  it('answers exists_with_different_amount to the same id with another amount and keeps the stored transfer', async () => {
    const { source, sink } = await fundedPair(100n);
    const t = move(source, sink, 10n);
    await submitTransfers(db, [t]);
    const before = await storedRows([t.id]);
    expect(await submitTransfers(db, [{ ...t, amountMicros: 11n }])).toEqual(['exists_with_different_amount']);
    expect(await submitTransfers(db, [{ ...t, amountMicros: 11n, flags: pending }])).toEqual(['exists_with_different_flags']);
    expect(await storedRows([t.id])).toEqual(before);
  });

  it('stores one transfer when two transactions race with the same id on different accounts', async () => {
    const a = await fundedPair(100n);
    const b = await fundedPair(100n);
    const id = newId();
    const results = await Promise.all([submitTransfers(db, [move(a.source, a.sink, 10n, { id })]), submitTransfers(db, [move(b.source, b.sink, 10n, { id })])]);
    expect(results.flat().sort()).toEqual(['exists_with_different_debit_account_id', 'ok']);
    expect(await storedRows([id])).toHaveLength(1);
  });
});

describe('history and balances over time', () => {
  it('pages an account\'s transfers in apply order, both ways', async () => {
    const { source, sink } = await fundedPair(1000n);
    const transfers = Array.from({ length: 25 }, (_, i) => move(source, sink, BigInt(i + 1)));
    expect(await submitTransfers(db, transfers)).toEqual(transfers.map(() => 'ok'));
    const seen: string[] = [];
    let cursor: bigint | undefined;
    const pageSizes: number[] = [];
    do {
      const page = await accountTransfers(db, sink, { limit: 10, afterSeq: cursor });
      pageSizes.push(page.transfers.length);
      seen.push(...page.transfers.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(transfers.map((t) => t.id));
    const newest = await accountTransfers(db, source, { limit: 3, reversed: true });
    expect(newest.transfers.map((t) => t.id)).toEqual([transfers[24]!.id, transfers[23]!.id, transfers[22]!.id]);
    const older = await accountTransfers(db, source, { limit: 3, reversed: true, beforeSeq: newest.nextCursor });
    expect(older.transfers.map((t) => t.id)).toEqual([transfers[21]!.id, transfers[20]!.id, transfers[19]!.id]);
  });

  it('computes balances at any past time from the transfers, holds included until they resolve', async () => {
    const { source, sink } = await fundedPair(0n);
    const [bank] = await openAccounts(db, TENANT, [{}]);
    const t0 = Date.now() - 60_000;
    await submitTransfers(db, [move(bank!, source, 100n)], { nowMs: t0 });
    const hold = move(source, sink, 30n, { flags: pending });
    await submitTransfers(db, [hold], { nowMs: t0 + 10_000 });
    await submitTransfers(db, [move('', '', 20n, { flags: postPending, pendingId: hold.id, ledger: '', code: 0 })], { nowMs: t0 + 20_000 });
    expect(await accountBalancesAt(db, source, t0 - 1)).toEqual({ debitsPendingMicros: 0n, debitsPostedMicros: 0n, creditsPendingMicros: 0n, creditsPostedMicros: 0n });
    expect(await accountBalancesAt(db, source, t0 + 5_000)).toMatchObject({ creditsPostedMicros: 100n, debitsPendingMicros: 0n });
    expect(await accountBalancesAt(db, source, t0 + 15_000)).toMatchObject({ debitsPendingMicros: 30n, debitsPostedMicros: 0n });
    expect(await accountBalancesAt(db, source, t0 + 25_000)).toMatchObject({ debitsPendingMicros: 0n, debitsPostedMicros: 20n });
    const now = await balances(source);
    expect(await accountBalancesAt(db, source, Date.now())).toEqual({ debitsPendingMicros: now.debitsPending, debitsPostedMicros: now.debitsPosted,
      creditsPendingMicros: now.creditsPending, creditsPostedMicros: now.creditsPosted });
  });
});

describe('stored invariants', () => {
  it('reports a balance that no longer equals the sum of its transfers', async () => {
    const tenant = 'itest-ledger-core-tampered';
    await ensureTestTenant(db, tenant);
    const [a, b] = await openAccounts(db, tenant, [{}, {}]);
    await submitTransfers(db, [{ ...move(a!, b!, 5n), tenantId: tenant }]);
    expect((await checkLedgerInvariants(db, tenant)).ok).toBe(true);
    await db.execute(sql`UPDATE ledger_accounts SET credits_posted_micros = credits_posted_micros + 1 WHERE id = ${b!}`);
    const report = await checkLedgerInvariants(db, tenant);
    expect(report.ok).toBe(false);
    expect(report.violations.join('\n')).toMatch(/debits .* != credits|!= transfers/);
  });
});

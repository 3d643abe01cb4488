/**
 * The ledger's pure decision logic, table-driven: one row per rule, in
 * TigerBeetle's order of precedence, each with a comment on why. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT_FLAGS, TRANSFER_FLAGS } from './account-codes.ts';
import {
  AMOUNT_MAX, applyAccounts, applyTransfers, assertBatchInvariants, expiryTransferId, flagViolation, ID_INT_MAX, ID_ZERO,
  LedgerInvariantError, type Account, type AccountRequest, type Transfer, type TransferRequest, type TransferResult, type TransferState,
} from './engine.ts';

const TENANT = 'tenant-a';
const NOW_MS = 1_800_000_000_000;
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

// Accounts: WALLET may not go below zero, CAP may not take more credits than debits.
const WALLET = id(1);
const PLAIN = id(2);
const CAP = id(3);
const EURO = id(4);
const FOREIGN = id(5); // another tenant's
const NEAR_MAX = id(6);
const MISSING = id(99);

function account(accountId: string, fields: Partial<Account> = {}): Account {
  return { id: accountId, tenantId: TENANT, ledger: 'USD', code: 1, flags: 0, userData: '', debitsPendingMicros: 0n,
    debitsPostedMicros: 0n, creditsPendingMicros: 0n, creditsPostedMicros: 0n, ...fields };
}

function freshState(extra: { transfers?: Transfer[]; nowMs?: number } = {}): TransferState {
  const accounts = [
    account(WALLET, { flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, creditsPostedMicros: 100n }),
    account(PLAIN),
    account(CAP, { flags: ACCOUNT_FLAGS.creditsMustNotExceedDebits, debitsPostedMicros: 50n }),
    account(EURO, { ledger: 'EUR' }),
    account(FOREIGN, { tenantId: 'tenant-b' }),
    account(NEAR_MAX, { creditsPostedMicros: AMOUNT_MAX - 5n, creditsPendingMicros: AMOUNT_MAX - 5n }),
  ];
  return {
    nowMs: extra.nowMs ?? NOW_MS,
    accounts: new Map(accounts.map((a) => [a.id, a])),
    transfers: new Map((extra.transfers ?? []).map((t) => [t.id, t])),
    resolutions: new Map(),
    failures: new Map(),
  };
}

function transfer(fields: Partial<TransferRequest> = {}): TransferRequest {
  return { id: id(1000), tenantId: TENANT, debitAccountId: WALLET, creditAccountId: PLAIN, amountMicros: 10n, pendingId: '',
    timeoutSeconds: 0, ledger: 'USD', code: 7, flags: 0, userData: 'ref', ...fields };
}

function stored(fields: Partial<Transfer> = {}): Transfer {
  return { ...transfer(), createdAtMs: NOW_MS - 60_000, ...fields };
}

const { linked, pending, postPending, voidPending, balancingDebit, balancingCredit } = TRANSFER_FLAGS;
const HOLD = id(500);
const hold = stored({ id: HOLD, flags: pending, amountMicros: 30n, timeoutSeconds: 0 });

interface Case {
  name: string;
  why: string;
  request: Partial<TransferRequest>;
  expected: TransferResult;
  stored?: Transfer[];
}

describe('transfer result codes, in order of precedence', () => {
  const cases: Case[] = [
    { name: 'ok', why: 'a valid single-phase transfer', request: {}, expected: 'ok' },
    { name: 'reserved_flag', why: 'unknown flag bits are refused before anything else', request: { flags: 1 << 12, amountMicros: 0n }, expected: 'reserved_flag' },
    { name: 'id_must_not_be_zero', why: 'id 0 is reserved', request: { id: ID_ZERO }, expected: 'id_must_not_be_zero' },
    { name: 'id_must_not_be_int_max', why: 'id 2^128-1 is reserved', request: { id: ID_INT_MAX }, expected: 'id_must_not_be_int_max' },
    { name: 'exists', why: 'a retry with the same fields', request: {}, stored: [stored()], expected: 'exists' },
    { name: 'exists_with_different_tenant', why: 'the id belongs to another tenant', request: {}, stored: [stored({ tenantId: 'tenant-b' })], expected: 'exists_with_different_tenant' },
    { name: 'exists_with_different_flags', why: 'flags compare first', request: { flags: pending, amountMicros: 99n }, stored: [stored()], expected: 'exists_with_different_flags' },
    { name: 'exists_with_different_timeout', why: 'timeout compares before accounts', request: { flags: pending, timeoutSeconds: 5, creditAccountId: CAP }, stored: [stored({ flags: pending })], expected: 'exists_with_different_timeout' },
    { name: 'exists_with_different_debit_account_id', why: '', request: { debitAccountId: PLAIN, creditAccountId: WALLET }, stored: [stored()], expected: 'exists_with_different_debit_account_id' },
    { name: 'exists_with_different_credit_account_id', why: '', request: { creditAccountId: CAP }, stored: [stored()], expected: 'exists_with_different_credit_account_id' },
    { name: 'exists_with_different_amount', why: '', request: { amountMicros: 11n, userData: 'other' }, stored: [stored()], expected: 'exists_with_different_amount' },
    { name: 'exists_with_different_user_data', why: '', request: { userData: 'other', code: 8 }, stored: [stored()], expected: 'exists_with_different_user_data' },
    { name: 'exists_with_different_ledger', why: '', request: { ledger: 'EUR', code: 8 }, stored: [stored()], expected: 'exists_with_different_ledger' },
    { name: 'exists_with_different_code', why: '', request: { code: 8 }, stored: [stored()], expected: 'exists_with_different_code' },
    { name: 'exists for a balancing transfer that moved less than asked', why: 'it stores what it could move',
      request: { flags: balancingDebit, amountMicros: 500n }, stored: [stored({ flags: balancingDebit, amountMicros: 100n })], expected: 'exists' },
    { name: 'exists_with_different_amount for a balancing transfer asking less than it moved', why: '',
      request: { flags: balancingDebit, amountMicros: 50n }, stored: [stored({ flags: balancingDebit, amountMicros: 100n })], expected: 'exists_with_different_amount' },
    { name: 'flags_are_mutually_exclusive (pending + post)', why: '', request: { flags: pending | postPending }, expected: 'flags_are_mutually_exclusive' },
    { name: 'flags_are_mutually_exclusive (post + void)', why: '', request: { flags: postPending | voidPending, pendingId: HOLD }, expected: 'flags_are_mutually_exclusive' },
    { name: 'flags_are_mutually_exclusive (void + balancing)', why: 'a post/void moves the hold, not a balance', request: { flags: voidPending | balancingCredit, pendingId: HOLD }, expected: 'flags_are_mutually_exclusive' },
    { name: 'debit_account_id_must_not_be_zero (absent)', why: '', request: { debitAccountId: '', creditAccountId: '' }, expected: 'debit_account_id_must_not_be_zero' },
    { name: 'debit_account_id_must_not_be_zero', why: '', request: { debitAccountId: ID_ZERO }, expected: 'debit_account_id_must_not_be_zero' },
    { name: 'debit_account_id_must_not_be_int_max', why: '', request: { debitAccountId: ID_INT_MAX }, expected: 'debit_account_id_must_not_be_int_max' },
    { name: 'credit_account_id_must_not_be_zero', why: '', request: { creditAccountId: '' }, expected: 'credit_account_id_must_not_be_zero' },
    { name: 'credit_account_id_must_not_be_int_max', why: '', request: { creditAccountId: ID_INT_MAX }, expected: 'credit_account_id_must_not_be_int_max' },
    { name: 'accounts_must_be_different', why: 'before the amount', request: { creditAccountId: WALLET, amountMicros: 0n }, expected: 'accounts_must_be_different' },
    { name: 'pending_id_must_be_zero', why: 'only post/void name a pending transfer', request: { pendingId: HOLD }, expected: 'pending_id_must_be_zero' },
    { name: 'timeout_reserved_for_pending_transfer', why: '', request: { timeoutSeconds: 5 }, expected: 'timeout_reserved_for_pending_transfer' },
    { name: 'ledger_must_not_be_empty', why: '', request: { ledger: '', code: 0 }, expected: 'ledger_must_not_be_empty' },
    { name: 'code_must_not_be_zero', why: '', request: { code: 0, amountMicros: 0n }, expected: 'code_must_not_be_zero' },
    { name: 'amount_must_be_positive (zero)', why: 'Postgres keeps amount > 0', request: { amountMicros: 0n, debitAccountId: MISSING }, expected: 'amount_must_be_positive' },
    { name: 'amount_must_be_positive (negative)', why: 'a refund is a transfer the other way', request: { amountMicros: -5n }, expected: 'amount_must_be_positive' },
    { name: 'debit_account_not_found', why: 'before any balance check', request: { debitAccountId: MISSING, amountMicros: 1_000_000n }, expected: 'debit_account_not_found' },
    { name: 'debit_account_not_found (another tenant)', why: 'tenants never see each other', request: { debitAccountId: FOREIGN }, expected: 'debit_account_not_found' },
    { name: 'credit_account_not_found', why: '', request: { creditAccountId: MISSING }, expected: 'credit_account_not_found' },
    { name: 'accounts_must_have_the_same_ledger', why: '', request: { creditAccountId: EURO }, expected: 'accounts_must_have_the_same_ledger' },
    { name: 'transfer_must_have_the_same_ledger_as_accounts', why: '', request: { ledger: 'EUR' }, expected: 'transfer_must_have_the_same_ledger_as_accounts' },
    { name: 'overflows_credits_posted', why: 'balances are Postgres bigints', request: { debitAccountId: PLAIN, creditAccountId: NEAR_MAX }, expected: 'overflows_credits_posted' },
    { name: 'overflows_credits_pending is checked before posted for a hold', why: '',
      request: { debitAccountId: PLAIN, creditAccountId: NEAR_MAX, flags: pending }, expected: 'overflows_credits_pending' },
    { name: 'overflows_timeout', why: 'a timeout beyond 2^31-1 seconds', request: { flags: pending, timeoutSeconds: 2 ** 31 }, expected: 'overflows_timeout' },
    { name: 'exceeds_credits', why: 'the wallet holds 100', request: { amountMicros: 101n }, expected: 'exceeds_credits' },
    { name: 'exceeds_credits for a hold', why: 'holds count against the limit too', request: { amountMicros: 101n, flags: pending }, expected: 'exceeds_credits' },
    { name: 'exceeds_debits', why: 'CAP may take at most its 50 of debits', request: { debitAccountId: PLAIN, creditAccountId: CAP, amountMicros: 51n }, expected: 'exceeds_debits' },
    { name: 'exceeds_credits for a balancing transfer that could move nothing', why: 'TigerBeetle before zero-amount transfers',
      request: { debitAccountId: PLAIN, flags: balancingDebit, creditAccountId: WALLET }, expected: 'exceeds_credits' },
  ];
  it.each(cases)('$name', ({ request, expected, stored: rows }) => {
    const state = freshState({ transfers: rows });
    const { results } = applyTransfers(state, [transfer(request)]);
    expect(results).toEqual([expected]);
  });
});

describe('two-phase transfers', () => {
  const cases: { name: string; request: Partial<TransferRequest>; expected: TransferResult; resolution?: 'posted' | 'voided' }[] = [
    { name: 'posts the whole hold when the amount is 0', request: { flags: postPending, pendingId: HOLD, amountMicros: 0n, debitAccountId: '', creditAccountId: '', ledger: '', code: 0 }, expected: 'ok' },
    { name: 'posts part of the hold', request: { flags: postPending, pendingId: HOLD, amountMicros: 12n }, expected: 'ok' },
    { name: 'voids the hold', request: { flags: voidPending, pendingId: HOLD, amountMicros: 0n }, expected: 'ok' },
    { name: 'pending_id_must_not_be_zero', request: { flags: postPending, pendingId: '' }, expected: 'pending_id_must_not_be_zero' },
    { name: 'pending_id_must_not_be_int_max', request: { flags: postPending, pendingId: ID_INT_MAX }, expected: 'pending_id_must_not_be_int_max' },
    { name: 'pending_id_must_be_different', request: { flags: postPending, pendingId: id(1000) }, expected: 'pending_id_must_be_different' },
    { name: 'timeout_reserved_for_pending_transfer', request: { flags: postPending, pendingId: HOLD, timeoutSeconds: 1 }, expected: 'timeout_reserved_for_pending_transfer' },
    { name: 'amount_must_not_be_negative', request: { flags: postPending, pendingId: HOLD, amountMicros: -1n }, expected: 'amount_must_not_be_negative' },
    { name: 'pending_transfer_not_found', request: { flags: postPending, pendingId: id(501) }, expected: 'pending_transfer_not_found' },
    { name: 'pending_transfer_has_different_debit_account_id', request: { flags: postPending, pendingId: HOLD, debitAccountId: CAP }, expected: 'pending_transfer_has_different_debit_account_id' },
    { name: 'pending_transfer_has_different_credit_account_id', request: { flags: postPending, pendingId: HOLD, creditAccountId: CAP }, expected: 'pending_transfer_has_different_credit_account_id' },
    { name: 'pending_transfer_has_different_ledger', request: { flags: postPending, pendingId: HOLD, ledger: 'EUR' }, expected: 'pending_transfer_has_different_ledger' },
    { name: 'pending_transfer_has_different_code', request: { flags: postPending, pendingId: HOLD, code: 9 }, expected: 'pending_transfer_has_different_code' },
    { name: 'exceeds_pending_transfer_amount', request: { flags: postPending, pendingId: HOLD, amountMicros: 31n }, expected: 'exceeds_pending_transfer_amount' },
    { name: 'pending_transfer_has_different_amount (a void is all or nothing)', request: { flags: voidPending, pendingId: HOLD, amountMicros: 5n }, expected: 'pending_transfer_has_different_amount' },
    { name: 'pending_transfer_already_posted', request: { flags: voidPending, pendingId: HOLD, amountMicros: 0n }, expected: 'pending_transfer_already_posted', resolution: 'posted' },
    { name: 'pending_transfer_already_voided', request: { flags: postPending, pendingId: HOLD }, expected: 'pending_transfer_already_voided', resolution: 'voided' },
  ];
  it.each(cases)('$name', ({ request, expected, resolution }) => {
    const state = freshState({ transfers: [hold] });
    state.accounts.get(WALLET)!.debitsPendingMicros = 30n;
    state.accounts.get(PLAIN)!.creditsPendingMicros = 30n;
    if (resolution) state.resolutions.set(HOLD, { status: resolution, transferId: id(777) });
    expect(applyTransfers(state, [transfer(request)]).results).toEqual([expected]);
  });

  it('answers pending_transfer_not_pending for a single-phase transfer', () => {
    const state = freshState({ transfers: [stored({ id: HOLD })] });
    expect(applyTransfers(state, [transfer({ flags: postPending, pendingId: HOLD })]).results).toEqual(['pending_transfer_not_pending']);
  });

  it('holds a pending amount, then posting part of it releases the whole hold and posts the part', () => {
    const state = freshState();
    const create = applyTransfers(state, [transfer({ id: HOLD, flags: pending, amountMicros: 40n })]);
    expect(create.results).toEqual(['ok']);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPendingMicros: 40n, debitsPostedMicros: 0n });
    // 100 credits, 40 held: 61 more would exceed.
    expect(applyTransfers(state, [transfer({ id: id(1001), amountMicros: 61n })]).results).toEqual(['exceeds_credits']);
    const post = applyTransfers(state, [transfer({ id: id(1002), flags: postPending, pendingId: HOLD, amountMicros: 25n })]);
    expect(post.results).toEqual(['ok']);
    expect(post.resolved).toEqual([HOLD]);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPendingMicros: 0n, debitsPostedMicros: 25n });
    expect(state.accounts.get(PLAIN)).toMatchObject({ creditsPendingMicros: 0n, creditsPostedMicros: 25n });
    expect(post.created[0]).toMatchObject({ amountMicros: 25n, debitAccountId: WALLET, creditAccountId: PLAIN, ledger: 'USD', code: 7 });
  });

  it('posts a hold created earlier in the same batch', () => {
    const state = freshState();
    const { results } = applyTransfers(state, [transfer({ id: HOLD, flags: pending }), transfer({ id: id(1001), flags: postPending, pendingId: HOLD, amountMicros: 0n })]);
    expect(results).toEqual(['ok', 'ok']);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPendingMicros: 0n, debitsPostedMicros: 10n });
  });

  it('answers pending_transfer_expired once the timeout has passed, and releases the hold in the same batch', () => {
    const expiring = stored({ id: HOLD, flags: pending, amountMicros: 30n, timeoutSeconds: 10, createdAtMs: NOW_MS - 10_000 });
    const state = freshState({ transfers: [expiring] });
    state.accounts.get(WALLET)!.debitsPendingMicros = 30n;
    state.accounts.get(PLAIN)!.creditsPendingMicros = 30n;
    const outcome = applyTransfers(state, [transfer({ flags: postPending, pendingId: HOLD, amountMicros: 0n })]);
    expect(outcome.results).toEqual(['pending_transfer_expired']);
    expect(outcome.expiredCount).toBe(1);
    expect(outcome.created).toEqual([expect.objectContaining({ id: expiryTransferId(HOLD), flags: voidPending, pendingId: HOLD, amountMicros: 30n })]);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPendingMicros: 0n, debitsPostedMicros: 0n });
  });

  it('still posts a hold one millisecond before its timeout', () => {
    const expiring = stored({ id: HOLD, flags: pending, amountMicros: 30n, timeoutSeconds: 10, createdAtMs: NOW_MS - 9_999 });
    const state = freshState({ transfers: [expiring] });
    state.accounts.get(WALLET)!.debitsPendingMicros = 30n;
    state.accounts.get(PLAIN)!.creditsPendingMicros = 30n;
    expect(applyTransfers(state, [transfer({ flags: postPending, pendingId: HOLD, amountMicros: 0n })]).results).toEqual(['ok']);
  });

  it('the sweep voids only expired, unresolved holds', () => {
    const expired = stored({ id: HOLD, flags: pending, amountMicros: 30n, timeoutSeconds: 10, createdAtMs: NOW_MS - 20_000 });
    const fresh = stored({ id: id(501), flags: pending, amountMicros: 5n, timeoutSeconds: 3600 });
    const state = freshState({ transfers: [expired, fresh] });
    state.accounts.get(WALLET)!.debitsPendingMicros = 35n;
    state.accounts.get(PLAIN)!.creditsPendingMicros = 35n;
    const outcome = applyTransfers(state, [], { expirePendingIds: [HOLD, id(501), id(502)] });
    expect(outcome.expiredCount).toBe(1);
    expect(state.resolutions.get(HOLD)).toEqual({ status: 'expired', transferId: expiryTransferId(HOLD) });
    expect(state.accounts.get(WALLET)!.debitsPendingMicros).toBe(5n);
  });

  it('answers exists to a retried post, whether it named the amount or left it 0', () => {
    const state = freshState({ transfers: [hold] });
    state.accounts.get(WALLET)!.debitsPendingMicros = 30n;
    state.accounts.get(PLAIN)!.creditsPendingMicros = 30n;
    const post = transfer({ flags: postPending, pendingId: HOLD, amountMicros: 0n, debitAccountId: '', creditAccountId: '', ledger: '', code: 0 });
    expect(applyTransfers(state, [post]).results).toEqual(['ok']);
    expect(applyTransfers(state, [post, { ...post, amountMicros: 30n }, { ...post, amountMicros: 29n }]).results)
      .toEqual(['exists', 'exists', 'exists_with_different_amount']);
  });
});

describe('balancing transfers', () => {
  it('moves at most what the debit account holds', () => {
    const state = freshState();
    const outcome = applyTransfers(state, [transfer({ flags: balancingDebit, amountMicros: 150n })]);
    expect(outcome.results).toEqual(['ok']);
    expect(outcome.created[0]!.amountMicros).toBe(100n);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPostedMicros: 100n });
  });

  it('moves at most what keeps the credit account within its debits, and at most what both allow', () => {
    const state = freshState();
    const outcome = applyTransfers(state, [transfer({ creditAccountId: CAP, flags: balancingDebit | balancingCredit, amountMicros: AMOUNT_MAX })]);
    expect(outcome.created[0]!.amountMicros).toBe(50n);
  });
});

describe('linked chains', () => {
  const ok = (n: number, more: Partial<TransferRequest> = {}): TransferRequest => transfer({ id: id(2000 + n), amountMicros: 10n, ...more });

  it('fail as one: the first failure keeps its code, the others answer linked_event_failed, nothing applies', () => {
    const state = freshState();
    const { results, created } = applyTransfers(state, [ok(1, { flags: linked }), ok(2, { flags: linked, amountMicros: 500n }), ok(3)]);
    expect(results).toEqual(['linked_event_failed', 'exceeds_credits', 'linked_event_failed']);
    expect(created).toEqual([]);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPostedMicros: 0n, creditsPostedMicros: 100n });
  });

  it('do not fail unlinked neighbours', () => {
    const state = freshState();
    const { results } = applyTransfers(state, [ok(1), ok(2, { flags: linked }), ok(3, { amountMicros: 1000n }), ok(4)]);
    expect(results).toEqual(['ok', 'linked_event_failed', 'exceeds_credits', 'ok']);
    expect(state.accounts.get(WALLET)!.debitsPostedMicros).toBe(20n);
  });

  it('see the effects of earlier members and roll back holds, posts and resolutions together', () => {
    const state = freshState();
    const { results, created, resolved } = applyTransfers(state, [
      ok(1, { id: HOLD, flags: linked | pending, amountMicros: 60n }),
      ok(2, { flags: linked | postPending, pendingId: HOLD, amountMicros: 0n }),
      ok(3, { amountMicros: 41n }), // 100 − 60 posted: 41 exceeds
    ]);
    expect(results).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    expect({ created, resolved }).toEqual({ created: [], resolved: [] });
    expect(state.resolutions.size).toBe(0);
    expect(state.accounts.get(WALLET)).toMatchObject({ debitsPendingMicros: 0n, debitsPostedMicros: 0n });
  });

  it('answer linked_event_chain_open when the batch ends inside a chain', () => {
    const state = freshState();
    expect(applyTransfers(state, [ok(1), ok(2, { flags: linked }), ok(3, { flags: linked })]).results)
      .toEqual(['ok', 'linked_event_failed', 'linked_event_chain_open']);
    expect(applyTransfers(freshState(), [ok(4, { flags: linked })]).results).toEqual(['linked_event_chain_open']);
  });

  it('answer their original results when retried: exists for a chain that applied, the same codes for one that failed', () => {
    const state = freshState();
    const good = [ok(1, { flags: linked }), ok(2)];
    const bad = [ok(3, { flags: linked }), ok(4, { amountMicros: 500n, flags: linked }), ok(5)];
    expect(applyTransfers(state, [...good, ...bad]).results).toEqual(['ok', 'ok', 'linked_event_failed', 'exceeds_credits', 'linked_event_failed']);
    // Top the wallet up: the failed chain would now fit, but its ids are spent.
    state.accounts.get(WALLET)!.creditsPostedMicros += 1000n;
    expect(applyTransfers(state, [...good, ...bad]).results).toEqual(['exists', 'exists', 'linked_event_failed', 'exceeds_credits', 'linked_event_failed']);
  });
});

describe('retries of failed transfers', () => {
  it('answer a failed chain\'s original results even when its members would now fail differently', () => {
    const state = freshState();
    const chains = [transfer({ id: id(4001), amountMicros: 60n, flags: linked }), transfer({ id: id(4002), amountMicros: 500n }),
      transfer({ id: id(4003), amountMicros: 60n, flags: linked }), transfer({ id: id(4004), creditAccountId: WALLET })];
    const first = applyTransfers(state, chains);
    expect(first.results).toEqual(['linked_event_failed', 'exceeds_credits', 'linked_event_failed', 'accounts_must_be_different']);
    expect(first.failures.map((f) => f.result)).toEqual(first.results);
    // Drain the wallet: evaluated afresh, the first members would now answer exceeds_credits.
    state.accounts.get(WALLET)!.creditsPostedMicros = 0n;
    expect(applyTransfers(state, chains).results).toEqual(first.results);
  });


  it('answer the original state-dependent failure even when the state would now allow the transfer', () => {
    const state = freshState();
    const t = transfer({ amountMicros: 150n });
    const first = applyTransfers(state, [t]);
    expect(first.results).toEqual(['exceeds_credits']);
    expect(first.failures).toEqual([{ transfer: t, result: 'exceeds_credits' }]);
    state.accounts.get(WALLET)!.creditsPostedMicros = 1000n;
    const retry = applyTransfers(state, [t, { ...t, amountMicros: 10n }]);
    expect(retry.results).toEqual(['exceeds_credits', 'id_already_failed']);
    expect(retry.failures).toEqual([]);
  });

  it('do not record failures that the transfer alone decides (a retry gets them anyway)', () => {
    const { failures } = applyTransfers(freshState(), [transfer({ amountMicros: 0n }), transfer({ id: id(1001), creditAccountId: EURO })]);
    expect(failures).toEqual([]);
  });
});

describe('accounts', () => {
  const request = (fields: Partial<AccountRequest> = {}): AccountRequest => ({ id: id(3000), tenantId: TENANT, ledger: 'USD', code: 1, flags: 0, userData: 'u', ...fields });
  const existing = (): Map<string, Account> => new Map([[id(3000), account(id(3000), { code: 1, userData: 'u' })]]);
  const cases: { name: string; fields: Partial<AccountRequest>; expected: string; exists?: boolean }[] = [
    { name: 'ok', fields: { id: id(3001) }, expected: 'ok' },
    { name: 'reserved_flag', fields: { id: id(3001), flags: 1 << 9 }, expected: 'reserved_flag' },
    { name: 'id_must_not_be_zero', fields: { id: ID_ZERO }, expected: 'id_must_not_be_zero' },
    { name: 'id_must_not_be_int_max', fields: { id: ID_INT_MAX }, expected: 'id_must_not_be_int_max' },
    { name: 'exists', fields: {}, expected: 'exists' },
    { name: 'exists_with_different_tenant', fields: { tenantId: 'tenant-b' }, expected: 'exists_with_different_tenant' },
    { name: 'exists_with_different_flags', fields: { flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits }, expected: 'exists_with_different_flags' },
    { name: 'exists_with_different_user_data', fields: { userData: 'v', ledger: 'EUR' }, expected: 'exists_with_different_user_data' },
    { name: 'exists_with_different_ledger', fields: { ledger: 'EUR' }, expected: 'exists_with_different_ledger' },
    { name: 'exists_with_different_code', fields: { code: 2 }, expected: 'exists_with_different_code' },
    { name: 'flags_are_mutually_exclusive', fields: { id: id(3001), flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits | ACCOUNT_FLAGS.creditsMustNotExceedDebits }, expected: 'flags_are_mutually_exclusive' },
    { name: 'ledger_must_not_be_empty', fields: { id: id(3001), ledger: '', code: 0 }, expected: 'ledger_must_not_be_empty' },
    { name: 'code_must_not_be_zero', fields: { id: id(3001), code: 0 }, expected: 'code_must_not_be_zero' },
  ];
  it.each(cases)('$name', ({ fields, expected }) => {
    expect(applyAccounts(existing(), [request(fields)]).results).toEqual([expected]);
  });

  it('create a linked chain as one: a failing member creates none of it', () => {
    const { results, created } = applyAccounts(new Map(), [
      request({ id: id(3001), flags: ACCOUNT_FLAGS.linked }), request({ id: id(3002), code: 0 }), request({ id: id(3003) }),
    ]);
    expect(results).toEqual(['linked_event_failed', 'code_must_not_be_zero', 'ok']);
    expect(created.map((a) => a.id)).toEqual([id(3003)]);
  });
});

describe('invariants asserted per batch', () => {
  it('throws when a batch would leave debits and credits unequal or break a flag', () => {
    const before = new Map([[WALLET, account(WALLET)], [PLAIN, account(PLAIN)]]);
    const unbalanced = new Map([[WALLET, account(WALLET, { debitsPostedMicros: 5n })], [PLAIN, account(PLAIN)]]);
    expect(() => assertBatchInvariants(before, unbalanced, new Set([WALLET, PLAIN]))).toThrow(LedgerInvariantError);
    expect(flagViolation(account(WALLET, { flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, debitsPendingMicros: 1n }))).toMatch(/exceed credits/);
  });

  it('hold for any sequence of random transfers (property): balances equal the sums of the created transfers', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ids = [WALLET, PLAIN, CAP];
    for (let round = 0; round < 20; round++) {
      const state = freshState();
      const before = new Map([...state.accounts].map(([k, a]) => [k, { ...a }]));
      const requests: TransferRequest[] = [];
      const holds: string[] = [];
      for (let i = 0; i < 60; i++) {
        const kind = random(6);
        const tid = id(10_000 + round * 100 + i);
        const debit = ids[random(3)]!;
        const credit = ids[random(3)]!;
        if (kind === 0 && holds.length > 0) {
          requests.push(transfer({ id: tid, flags: postPending, pendingId: holds[random(holds.length)]!, amountMicros: BigInt(random(20)) }));
        } else if (kind === 1 && holds.length > 0) {
          requests.push(transfer({ id: tid, flags: voidPending, pendingId: holds[random(holds.length)]!, amountMicros: 0n }));
        } else {
          const flags = (kind === 2 ? pending : 0) | (kind === 3 ? balancingDebit : 0) | (random(4) === 0 && i < 59 ? linked : 0);
          if (kind === 2) holds.push(tid);
          requests.push(transfer({ id: tid, debitAccountId: debit, creditAccountId: credit, amountMicros: BigInt(1 + random(80)), flags }));
        }
      }
      const outcome = applyTransfers(state, requests);
      assertBatchInvariants(before, state.accounts, outcome.touched);
      for (const accountId of ids) {
        const a = state.accounts.get(accountId)!;
        const b = before.get(accountId)!;
        const posted = (side: 'debitAccountId' | 'creditAccountId'): bigint => outcome.created
          .filter((t) => t[side] === accountId && (t.flags & (pending | voidPending)) === 0).reduce((s, t) => s + t.amountMicros, 0n);
        const held = (side: 'debitAccountId' | 'creditAccountId'): bigint => outcome.created
          .filter((t) => t[side] === accountId && (t.flags & pending) !== 0 && !state.resolutions.has(t.id)).reduce((s, t) => s + t.amountMicros, 0n);
        expect(a.debitsPostedMicros - b.debitsPostedMicros).toBe(posted('debitAccountId'));
        expect(a.creditsPostedMicros - b.creditsPostedMicros).toBe(posted('creditAccountId'));
        expect(a.debitsPendingMicros).toBe(held('debitAccountId'));
        expect(a.creditsPendingMicros).toBe(held('creditAccountId'));
        expect(flagViolation(a)).toBeUndefined();
      }
    }
  });
});

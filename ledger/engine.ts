/**
 * The ledger's decisions, without I/O: validating accounts and transfers
 * against in-memory state, TigerBeetle's result codes in TigerBeetle's order of
 * precedence, linked chains, two-phase transfers and balancing transfers, and
 * applying what succeeds. The Postgres layer (accounts.ts, transfers.ts) loads
 * and locks the state, calls in here once per batch and writes the outcome.
 *
 * Departures from TigerBeetle, on purpose (see ledger/README.md):
 *  - a retried transfer whose first attempt failed for a state-dependent reason
 *    answers that original code (TigerBeetle: `id_already_failed`); the same id
 *    with other fields answers `id_already_failed`;
 *  - `exists` does not break a linked chain, so retrying a whole chain that
 *    succeeded answers `exists` for every member;
 *  - amounts are signed 64-bit (Postgres bigint) and must be positive; a
 *    balancing transfer that could move nothing fails with `exceeds_credits` /
 *    `exceeds_debits`; post/void take amount 0 to mean "the pending amount";
 *  - tenants: an account or pending transfer of another tenant is "not found".
 */
import { ACCOUNT_FLAGS, TRANSFER_FLAGS } from './account-codes.ts';
import { idFromName } from './ids.ts';

/** Largest amount or balance: Postgres bigint. */
export const AMOUNT_MAX = (1n << 63n) - 1n;
/** Largest pending timeout (TigerBeetle: u32 seconds; ours fits a Postgres integer). */
export const TIMEOUT_SECONDS_MAX = 2 ** 31 - 1;
/** Largest account or transfer code (Postgres smallint). */
export const CODE_MAX = 32_767;
/** Largest batch, as TigerBeetle's. */
export const BATCH_LENGTH_MAX = 8190;

export const ID_ZERO = '00000000-0000-0000-0000-000000000000';
export const ID_INT_MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids are lower-case UUID text: what Postgres returns, so that string equality is id equality. */
export function isLedgerId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

const ACCOUNT_FLAGS_ALL = ACCOUNT_FLAGS.debitsMustNotExceedCredits | ACCOUNT_FLAGS.creditsMustNotExceedDebits | ACCOUNT_FLAGS.linked;
const TRANSFER_FLAGS_ALL = Object.values(TRANSFER_FLAGS).reduce((all, bit) => all | bit, 0);
const POST_OR_VOID = TRANSFER_FLAGS.postPending | TRANSFER_FLAGS.voidPending;
const BALANCING = TRANSFER_FLAGS.balancingDebit | TRANSFER_FLAGS.balancingCredit;

// ---------------------------------------------------------------- types

export interface Account {
  id: string;
  tenantId: string;
  ledger: string;
  code: number;
  flags: number;
  debitsPendingMicros: bigint;
  debitsPostedMicros: bigint;
  creditsPendingMicros: bigint;
  creditsPostedMicros: bigint;
  userData: string;
}

export interface AccountRequest {
  id: string;
  tenantId: string;
  ledger: string;
  code: number;
  flags: number;
  userData: string;
}

/**
 * A transfer as a client asks for it. For post/void, empty accounts and
 * ledger, code 0 and amount 0 mean "as the pending transfer".
 */
export interface TransferRequest {
  id: string;
  tenantId: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMicros: bigint;
  /** '' unless post/void. */
  pendingId: string;
  timeoutSeconds: number;
  ledger: string;
  code: number;
  flags: number;
  userData: string;
}

/** A stored transfer: accounts, ledger and code filled in, the amount that moved, when. */
export interface Transfer extends TransferRequest {
  createdAtMs: number;
}

export type PendingStatus = 'posted' | 'voided' | 'expired';
export interface Resolution {
  status: PendingStatus;
  transferId: string;
}

export interface FailedTransfer {
  transfer: TransferRequest;
  result: TransferResult;
}

export const ACCOUNT_RESULTS = [
  'ok', 'linked_event_failed', 'linked_event_chain_open', 'reserved_flag', 'id_must_not_be_zero', 'id_must_not_be_int_max',
  'exists_with_different_tenant', 'exists_with_different_flags', 'exists_with_different_user_data', 'exists_with_different_ledger',
  'exists_with_different_code', 'exists', 'flags_are_mutually_exclusive', 'ledger_must_not_be_empty', 'code_must_not_be_zero',
] as const;
export type AccountResult = typeof ACCOUNT_RESULTS[number];

/** Every transfer result, in order of precedence (the first that applies is answered). */
export const TRANSFER_RESULTS = [
  'ok', 'linked_event_failed', 'linked_event_chain_open', 'reserved_flag', 'id_must_not_be_zero', 'id_must_not_be_int_max',
  'exists_with_different_tenant', 'exists_with_different_flags', 'exists_with_different_pending_id', 'exists_with_different_timeout',
  'exists_with_different_debit_account_id', 'exists_with_different_credit_account_id', 'exists_with_different_amount',
  'exists_with_different_user_data', 'exists_with_different_ledger', 'exists_with_different_code', 'exists', 'id_already_failed',
  'flags_are_mutually_exclusive', 'debit_account_id_must_not_be_zero', 'debit_account_id_must_not_be_int_max',
  'credit_account_id_must_not_be_zero', 'credit_account_id_must_not_be_int_max', 'accounts_must_be_different',
  'pending_id_must_be_zero', 'pending_id_must_not_be_zero', 'pending_id_must_not_be_int_max', 'pending_id_must_be_different',
  'timeout_reserved_for_pending_transfer', 'ledger_must_not_be_empty', 'code_must_not_be_zero', 'amount_must_be_positive',
  'amount_must_not_be_negative', 'debit_account_not_found', 'credit_account_not_found', 'accounts_must_have_the_same_ledger',
  'transfer_must_have_the_same_ledger_as_accounts', 'pending_transfer_not_found', 'pending_transfer_not_pending',
  'pending_transfer_has_different_debit_account_id', 'pending_transfer_has_different_credit_account_id',
  'pending_transfer_has_different_ledger', 'pending_transfer_has_different_code', 'exceeds_pending_transfer_amount',
  'pending_transfer_has_different_amount', 'pending_transfer_already_posted', 'pending_transfer_already_voided',
  'pending_transfer_expired', 'overflows_debits_pending', 'overflows_credits_pending', 'overflows_debits_posted',
  'overflows_credits_posted', 'overflows_debits', 'overflows_credits', 'overflows_timeout', 'exceeds_credits', 'exceeds_debits',
] as const;
export type TransferResult = typeof TRANSFER_RESULTS[number];

/**
 * Failures that depend on ledger state, which may change: recorded, so that a
 * retry answers them again instead of succeeding later. Every other failure of
 * an unlinked transfer is a function of the transfer and immutable facts, so a
 * retry gets it anyway. The members of a failed linked chain are all recorded
 * (each one's outcome depended on the others').
 */
export const STATE_DEPENDENT_RESULTS: ReadonlySet<TransferResult> = new Set<TransferResult>([
  'debit_account_not_found', 'credit_account_not_found', 'pending_transfer_not_found', 'exceeds_credits', 'exceeds_debits',
  'overflows_debits_pending', 'overflows_credits_pending', 'overflows_debits_posted', 'overflows_credits_posted',
  'overflows_debits', 'overflows_credits',
]);

/** Results that say nothing new about the id (it already has an outcome, or is reserved): never recorded. */
const NOT_RECORDED: ReadonlySet<TransferResult> = new Set<TransferResult>([
  'ok', 'exists', 'exists_with_different_tenant', 'exists_with_different_flags', 'exists_with_different_pending_id',
  'exists_with_different_timeout', 'exists_with_different_debit_account_id', 'exists_with_different_credit_account_id',
  'exists_with_different_amount', 'exists_with_different_user_data', 'exists_with_different_ledger', 'exists_with_different_code',
  'id_already_failed', 'id_must_not_be_zero', 'id_must_not_be_int_max',
]);

/** What a client can treat as "the transfer is in the ledger". */
export function isTransferApplied(result: TransferResult): boolean {
  return result === 'ok' || result === 'exists';
}

/** The id of the void a pending transfer's expiry writes: one per pending transfer, whoever expires it. */
export function expiryTransferId(pendingId: string): string {
  return idFromName(`pending-expiry:${pendingId}`);
}

// ---------------------------------------------------------------- linked chains

type Undo = (() => void)[];

/**
 * Runs `apply` over a batch with TigerBeetle's linked-chain rules: a chain is
 * a run of events with `linked` set plus the first one without; it applies as
 * a unit (rolled back through `undo` when a member fails). `replay` answers a
 * member of a broken chain whose outcome was decided earlier (so retrying a
 * failed chain gives its original results).
 */
function applyChains<R extends string>(
  count: number,
  linked: (i: number) => boolean,
  apply: (i: number, undo: Undo | null) => R,
  replay: (i: number) => R | undefined,
  succeeded: (r: R) => boolean,
  failed: R,
  chainOpen: R,
  chainFailed: (first: number, last: number, results: R[]) => void = () => {},
): R[] {
  const results = new Array<R>(count);
  const undo: Undo = [];
  let chainStart = -1;
  let chainBroken = false;
  for (let i = 0; i < count; i++) {
    const isLinked = linked(i);
    if (chainStart < 0 && isLinked) {
      chainStart = i;
      chainBroken = false;
    }
    const inChain = chainStart >= 0;
    let result: R;
    if (inChain && chainBroken) result = replay(i) ?? failed;
    else if (isLinked && i === count - 1) result = chainOpen;
    else result = apply(i, inChain ? undo : null);
    results[i] = result;
    if (inChain && !chainBroken && !succeeded(result)) {
      chainBroken = true;
      for (let u = undo.length - 1; u >= 0; u--) undo[u]!();
      undo.length = 0;
      for (let j = chainStart; j < i; j++) if (results[j] === 'ok') results[j] = failed;
    }
    if (!isLinked || i === count - 1) {
      if (inChain && chainBroken) chainFailed(chainStart, i, results);
      chainStart = -1;
      undo.length = 0;
    }
  }
  return results;
}

// ---------------------------------------------------------------- accounts

export interface AccountBatchOutcome {
  results: AccountResult[];
  created: Account[];
}

function accountExists(a: AccountRequest, e: Account): AccountResult {
  if (a.tenantId !== e.tenantId) return 'exists_with_different_tenant';
  if (a.flags !== e.flags) return 'exists_with_different_flags';
  if (a.userData !== e.userData) return 'exists_with_different_user_data';
  if (a.ledger !== e.ledger) return 'exists_with_different_ledger';
  if (a.code !== e.code) return 'exists_with_different_code';
  return 'exists';
}

/** Validates and creates accounts; `existing` holds the stored accounts the batch names and gains the new ones. */
export function applyAccounts(existing: Map<string, Account>, requests: readonly AccountRequest[]): AccountBatchOutcome {
  const created: Account[] = [];
  const one = (i: number, undo: Undo | null): AccountResult => {
    const a = requests[i]!;
    if ((a.flags & ~ACCOUNT_FLAGS_ALL) !== 0) return 'reserved_flag';
    if (a.id === ID_ZERO) return 'id_must_not_be_zero';
    if (a.id === ID_INT_MAX) return 'id_must_not_be_int_max';
    const stored = existing.get(a.id);
    if (stored) return accountExists(a, stored);
    const limits = ACCOUNT_FLAGS.debitsMustNotExceedCredits | ACCOUNT_FLAGS.creditsMustNotExceedDebits;
    if ((a.flags & limits) === limits) return 'flags_are_mutually_exclusive';
    if (a.ledger === '') return 'ledger_must_not_be_empty';
    if (a.code === 0) return 'code_must_not_be_zero';
    const account: Account = { id: a.id, tenantId: a.tenantId, ledger: a.ledger, code: a.code, flags: a.flags, userData: a.userData,
      debitsPendingMicros: 0n, debitsPostedMicros: 0n, creditsPendingMicros: 0n, creditsPostedMicros: 0n };
    existing.set(a.id, account);
    created.push(account);
    undo?.push(() => {
      existing.delete(a.id);
      created.pop();
    });
    return 'ok';
  };
  const replay = (i: number): AccountResult | undefined => {
    const stored = existing.get(requests[i]!.id);
    const result = stored ? accountExists(requests[i]!, stored) : undefined;
    return result === 'exists' ? result : undefined;
  };
  const results = applyChains<AccountResult>(requests.length, (i) => (requests[i]!.flags & ACCOUNT_FLAGS.linked) !== 0, one, replay,
    (r) => r === 'ok' || r === 'exists', 'linked_event_failed', 'linked_event_chain_open');
  return { results, created };
}

// ---------------------------------------------------------------- transfers

/** What a batch of transfers is decided against. `accounts` are mutated in place; the maps grow with the batch. */
export interface TransferState {
  nowMs: number;
  /** Every account the batch names (and the accounts of the pending transfers it names), locked by the caller. */
  accounts: Map<string, Account>;
  /** Stored transfers whose ids the batch names, as `id` or as `pendingId`. */
  transfers: Map<string, Transfer>;
  /** How the pending transfers in `transfers` resolved; absent = still pending. */
  resolutions: Map<string, Resolution>;
  /** Earlier state-dependent failures of the ids the batch names. */
  failures: Map<string, FailedTransfer>;
}

export interface TransferBatchOutcome {
  results: TransferResult[];
  /** Transfers to store, in apply order (including the voids of holds that expired). */
  created: Transfer[];
  /** Pending transfers resolved by this batch (posted, voided or expired). */
  resolved: string[];
  /** New state-dependent failures, to record. */
  failures: FailedTransfer[];
  /** Accounts whose balances this batch changed. */
  touched: Set<string>;
  /** How many holds this batch released because they had expired. */
  expiredCount: number;
}

export interface TransferBatchOptions {
  /** Pending transfers to void because they expired (the sweep); unexpired or resolved ones are left alone. */
  expirePendingIds?: readonly string[];
}

function sameRequest(a: TransferRequest, b: TransferRequest): boolean {
  return a.tenantId === b.tenantId && a.flags === b.flags && a.pendingId === b.pendingId && a.timeoutSeconds === b.timeoutSeconds &&
    a.debitAccountId === b.debitAccountId && a.creditAccountId === b.creditAccountId && a.amountMicros === b.amountMicros &&
    a.userData === b.userData && a.ledger === b.ledger && a.code === b.code;
}

function transferExists(state: TransferState, t: TransferRequest, e: Transfer): TransferResult {
  const postOrVoid = (t.flags & POST_OR_VOID) !== 0;
  if (t.tenantId !== e.tenantId) return 'exists_with_different_tenant';
  if (t.flags !== e.flags) return 'exists_with_different_flags';
  if (t.pendingId !== e.pendingId) return 'exists_with_different_pending_id';
  if (t.timeoutSeconds !== e.timeoutSeconds) return 'exists_with_different_timeout';
  if (!(postOrVoid && t.debitAccountId === '') && t.debitAccountId !== e.debitAccountId) return 'exists_with_different_debit_account_id';
  if (!(postOrVoid && t.creditAccountId === '') && t.creditAccountId !== e.creditAccountId) return 'exists_with_different_credit_account_id';
  if ((t.flags & BALANCING) !== 0) {
    // A balancing transfer stores what it could move: at most what was asked.
    if (t.amountMicros < e.amountMicros) return 'exists_with_different_amount';
  } else if (postOrVoid && t.amountMicros === 0n) {
    const pending = state.transfers.get(e.pendingId);
    if (!pending || e.amountMicros !== pending.amountMicros) return 'exists_with_different_amount';
  } else if (t.amountMicros !== e.amountMicros) {
    return 'exists_with_different_amount';
  }
  if (t.userData !== e.userData) return 'exists_with_different_user_data';
  if (!(postOrVoid && t.ledger === '') && t.ledger !== e.ledger) return 'exists_with_different_ledger';
  if (!(postOrVoid && t.code === 0) && t.code !== e.code) return 'exists_with_different_code';
  return 'exists';
}

/** The answer for an id whose outcome is already decided (stored, or failed for a state-dependent reason), if any. */
function priorOutcome(state: TransferState, t: TransferRequest): TransferResult | undefined {
  const stored = state.transfers.get(t.id);
  if (stored) return transferExists(state, t, stored);
  const failure = state.failures.get(t.id);
  if (failure) return sameRequest(failure.transfer, t) ? failure.result : 'id_already_failed';
  return undefined;
}

function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

class TransferBatch {
  readonly outcome: TransferBatchOutcome = { results: [], created: [], resolved: [], failures: [], touched: new Set(), expiredCount: 0 };

  constructor(private readonly state: TransferState) {}

  private account(id: string, tenantId: string): Account | undefined {
    const account = this.state.accounts.get(id);
    return account && account.tenantId === tenantId ? account : undefined;
  }

  /** Remembers an account's balances so a broken chain can restore them. */
  private saveBalances(account: Account, undo: Undo | null): void {
    this.outcome.touched.add(account.id);
    if (!undo) return;
    const { debitsPendingMicros, debitsPostedMicros, creditsPendingMicros, creditsPostedMicros } = account;
    undo.push(() => Object.assign(account, { debitsPendingMicros, debitsPostedMicros, creditsPendingMicros, creditsPostedMicros }));
  }

  private store(transfer: Transfer, undo: Undo | null): void {
    this.state.transfers.set(transfer.id, transfer);
    this.outcome.created.push(transfer);
    undo?.push(() => {
      this.state.transfers.delete(transfer.id);
      this.outcome.created.pop();
    });
  }

  private resolve(pendingId: string, resolution: Resolution, undo: Undo | null): void {
    this.state.resolutions.set(pendingId, resolution);
    this.outcome.resolved.push(pendingId);
    undo?.push(() => {
      this.state.resolutions.delete(pendingId);
      this.outcome.resolved.pop();
    });
  }

  create(t: TransferRequest, undo: Undo | null): TransferResult {
    if ((t.flags & ~TRANSFER_FLAGS_ALL) !== 0) return 'reserved_flag';
    if (t.id === ID_ZERO) return 'id_must_not_be_zero';
    if (t.id === ID_INT_MAX) return 'id_must_not_be_int_max';
    const prior = priorOutcome(this.state, t);
    if (prior) return prior;
    const result = this.createNew(t, undo);
    // Inside a chain, failures are recorded when the chain ends (chainFailed).
    if (!undo && STATE_DEPENDENT_RESULTS.has(result)) this.recordFailure(t, result);
    return result;
  }

  recordFailure(t: TransferRequest, result: TransferResult): void {
    if (NOT_RECORDED.has(result) || this.state.transfers.has(t.id) || this.state.failures.has(t.id)) return;
    const failure = { transfer: t, result };
    this.state.failures.set(t.id, failure);
    this.outcome.failures.push(failure);
  }

  private createNew(t: TransferRequest, undo: Undo | null): TransferResult {
    const f = t.flags;
    const pending = (f & TRANSFER_FLAGS.pending) !== 0;
    const post = (f & TRANSFER_FLAGS.postPending) !== 0;
    const voiding = (f & TRANSFER_FLAGS.voidPending) !== 0;
    if ((pending ? 1 : 0) + (post ? 1 : 0) + (voiding ? 1 : 0) > 1 || ((post || voiding) && (f & BALANCING) !== 0)) {
      return 'flags_are_mutually_exclusive';
    }
    return post || voiding ? this.postOrVoid(t, post, undo) : this.single(t, pending, undo);
  }

  private single(t: TransferRequest, pending: boolean, undo: Undo | null): TransferResult {
    if (t.debitAccountId === '' || t.debitAccountId === ID_ZERO) return 'debit_account_id_must_not_be_zero';
    if (t.debitAccountId === ID_INT_MAX) return 'debit_account_id_must_not_be_int_max';
    if (t.creditAccountId === '' || t.creditAccountId === ID_ZERO) return 'credit_account_id_must_not_be_zero';
    if (t.creditAccountId === ID_INT_MAX) return 'credit_account_id_must_not_be_int_max';
    if (t.debitAccountId === t.creditAccountId) return 'accounts_must_be_different';
    if (t.pendingId !== '') return 'pending_id_must_be_zero';
    if (!pending && t.timeoutSeconds !== 0) return 'timeout_reserved_for_pending_transfer';
    if (t.ledger === '') return 'ledger_must_not_be_empty';
    if (t.code === 0) return 'code_must_not_be_zero';
    if (t.amountMicros <= 0n) return 'amount_must_be_positive';
    const dr = this.account(t.debitAccountId, t.tenantId);
    if (!dr) return 'debit_account_not_found';
    const cr = this.account(t.creditAccountId, t.tenantId);
    if (!cr) return 'credit_account_not_found';
    if (dr.ledger !== cr.ledger) return 'accounts_must_have_the_same_ledger';
    if (t.ledger !== dr.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';

    let amount = t.amountMicros;
    if ((t.flags & TRANSFER_FLAGS.balancingDebit) !== 0) {
      const room = dr.creditsPostedMicros - dr.debitsPostedMicros - dr.debitsPendingMicros;
      amount = minBigint(amount, room > 0n ? room : 0n);
      if (amount === 0n) return 'exceeds_credits';
    }
    if ((t.flags & TRANSFER_FLAGS.balancingCredit) !== 0) {
      const room = cr.debitsPostedMicros - cr.creditsPostedMicros - cr.creditsPendingMicros;
      amount = minBigint(amount, room > 0n ? room : 0n);
      if (amount === 0n) return 'exceeds_debits';
    }
    if (mayOverflow(amount, dr, cr)) {
      if (pending) {
        if (amount + dr.debitsPendingMicros > AMOUNT_MAX) return 'overflows_debits_pending';
        if (amount + cr.creditsPendingMicros > AMOUNT_MAX) return 'overflows_credits_pending';
      }
      if (amount + dr.debitsPostedMicros > AMOUNT_MAX) return 'overflows_debits_posted';
      if (amount + cr.creditsPostedMicros > AMOUNT_MAX) return 'overflows_credits_posted';
      if (amount + dr.debitsPendingMicros + dr.debitsPostedMicros > AMOUNT_MAX) return 'overflows_debits';
      if (amount + cr.creditsPendingMicros + cr.creditsPostedMicros > AMOUNT_MAX) return 'overflows_credits';
    }
    if (!Number.isSafeInteger(t.timeoutSeconds) || t.timeoutSeconds < 0 || t.timeoutSeconds > TIMEOUT_SECONDS_MAX) return 'overflows_timeout';
    if ((dr.flags & ACCOUNT_FLAGS.debitsMustNotExceedCredits) !== 0 &&
      dr.debitsPostedMicros + dr.debitsPendingMicros + amount > dr.creditsPostedMicros) return 'exceeds_credits';
    if ((cr.flags & ACCOUNT_FLAGS.creditsMustNotExceedDebits) !== 0 &&
      cr.creditsPostedMicros + cr.creditsPendingMicros + amount > cr.debitsPostedMicros) return 'exceeds_debits';

    this.saveBalances(dr, undo);
    this.saveBalances(cr, undo);
    if (pending) {
      dr.debitsPendingMicros += amount;
      cr.creditsPendingMicros += amount;
    } else {
      dr.debitsPostedMicros += amount;
      cr.creditsPostedMicros += amount;
    }
    this.store({ ...t, amountMicros: amount, createdAtMs: this.state.nowMs }, undo);
    return 'ok';
  }

  private postOrVoid(t: TransferRequest, post: boolean, undo: Undo | null): TransferResult {
    if (t.pendingId === '' || t.pendingId === ID_ZERO) return 'pending_id_must_not_be_zero';
    if (t.pendingId === ID_INT_MAX) return 'pending_id_must_not_be_int_max';
    if (t.pendingId === t.id) return 'pending_id_must_be_different';
    if (t.timeoutSeconds !== 0) return 'timeout_reserved_for_pending_transfer';
    if (t.amountMicros < 0n) return 'amount_must_not_be_negative';
    const p = this.state.transfers.get(t.pendingId);
    if (!p || p.tenantId !== t.tenantId) return 'pending_transfer_not_found';
    if ((p.flags & TRANSFER_FLAGS.pending) === 0) return 'pending_transfer_not_pending';
    if (t.debitAccountId !== '' && t.debitAccountId !== p.debitAccountId) return 'pending_transfer_has_different_debit_account_id';
    if (t.creditAccountId !== '' && t.creditAccountId !== p.creditAccountId) return 'pending_transfer_has_different_credit_account_id';
    if (t.ledger !== '' && t.ledger !== p.ledger) return 'pending_transfer_has_different_ledger';
    if (t.code !== 0 && t.code !== p.code) return 'pending_transfer_has_different_code';
    const amount = t.amountMicros > 0n ? t.amountMicros : p.amountMicros;
    if (amount > p.amountMicros) return 'exceeds_pending_transfer_amount';
    if (!post && amount < p.amountMicros) return 'pending_transfer_has_different_amount';
    const resolution = this.state.resolutions.get(p.id);
    if (resolution?.status === 'posted') return 'pending_transfer_already_posted';
    if (resolution?.status === 'voided') return 'pending_transfer_already_voided';
    if (resolution?.status === 'expired' || isExpired(p, this.state.nowMs)) return 'pending_transfer_expired';
    const { dr, cr } = this.pendingAccounts(p);
    if (post && amount + dr.debitsPostedMicros > AMOUNT_MAX) return 'overflows_debits_posted';
    if (post && amount + cr.creditsPostedMicros > AMOUNT_MAX) return 'overflows_credits_posted';
    this.release(p, dr, cr, undo);
    if (post) {
      dr.debitsPostedMicros += amount;
      cr.creditsPostedMicros += amount;
    }
    this.store({ ...t, debitAccountId: p.debitAccountId, creditAccountId: p.creditAccountId, ledger: p.ledger, code: p.code,
      amountMicros: amount, createdAtMs: this.state.nowMs }, undo);
    this.resolve(p.id, { status: post ? 'posted' : 'voided', transferId: t.id }, undo);
    return 'ok';
  }

  private pendingAccounts(p: Transfer): { dr: Account; cr: Account } {
    const dr = this.state.accounts.get(p.debitAccountId);
    const cr = this.state.accounts.get(p.creditAccountId);
    // The caller locks the accounts of every pending transfer the batch names.
    if (!dr || !cr) throw new Error(`ledger: accounts of pending transfer ${p.id} were not loaded`);
    return { dr, cr };
  }

  private release(p: Transfer, dr: Account, cr: Account, undo: Undo | null): void {
    this.saveBalances(dr, undo);
    this.saveBalances(cr, undo);
    dr.debitsPendingMicros -= p.amountMicros;
    cr.creditsPendingMicros -= p.amountMicros;
  }

  /** Voids a hold whose timeout has passed, as the expiry sweep would (outside any chain: it stands on its own). */
  expire(pendingId: string): void {
    const p = this.state.transfers.get(pendingId);
    if (!p || (p.flags & TRANSFER_FLAGS.pending) === 0 || this.state.resolutions.has(pendingId) || !isExpired(p, this.state.nowMs)) return;
    const id = expiryTransferId(pendingId);
    if (this.state.transfers.has(id)) return;
    const { dr, cr } = this.pendingAccounts(p);
    this.release(p, dr, cr, null);
    this.store({ id, tenantId: p.tenantId, debitAccountId: p.debitAccountId, creditAccountId: p.creditAccountId, amountMicros: p.amountMicros,
      pendingId, timeoutSeconds: 0, ledger: p.ledger, code: p.code, flags: TRANSFER_FLAGS.voidPending, userData: p.userData,
      createdAtMs: this.state.nowMs }, null);
    this.resolve(pendingId, { status: 'expired', transferId: id }, null);
    this.outcome.expiredCount++;
  }
}

const QUARTER_MAX = AMOUNT_MAX / 4n;

/**
 * Whether any overflow check could fail: only when some operand is at least a
 * quarter of the maximum (three of them add up in the worst check). Saves the
 * common path six bigint additions, each an allocation (hot path, measured).
 */
function mayOverflow(amount: bigint, dr: Account, cr: Account): boolean {
  return amount >= QUARTER_MAX || dr.debitsPendingMicros >= QUARTER_MAX || dr.debitsPostedMicros >= QUARTER_MAX ||
    cr.creditsPendingMicros >= QUARTER_MAX || cr.creditsPostedMicros >= QUARTER_MAX;
}

export function isExpired(p: Transfer, nowMs: number): boolean {
  return p.timeoutSeconds > 0 && p.createdAtMs + p.timeoutSeconds * 1000 <= nowMs;
}

/**
 * Decides and applies a batch of transfers in order. Holds that have expired
 * and are named by a post or void in the batch (or listed in
 * `expirePendingIds`) are voided first, so the post/void answers
 * `pending_transfer_expired` and the hold is released in the same batch.
 */
export function applyTransfers(state: TransferState, requests: readonly TransferRequest[], options: TransferBatchOptions = {}): TransferBatchOutcome {
  const batch = new TransferBatch(state);
  for (const pendingId of options.expirePendingIds ?? []) batch.expire(pendingId);
  for (const t of requests) if ((t.flags & POST_OR_VOID) !== 0 && t.pendingId !== '') batch.expire(t.pendingId);
  batch.outcome.results = applyChains<TransferResult>(
    requests.length,
    (i) => (requests[i]!.flags & TRANSFER_FLAGS.linked) !== 0,
    (i, undo) => batch.create(requests[i]!, undo),
    (i) => {
      const prior = priorOutcome(state, requests[i]!);
      const failure = state.failures.get(requests[i]!.id);
      return prior === 'exists' || (failure && prior === failure.result) ? prior : undefined;
    },
    isTransferApplied,
    'linked_event_failed',
    'linked_event_chain_open',
    (first, last, results) => {
      for (let j = first; j <= last; j++) batch.recordFailure(requests[j]!, results[j]!);
    },
  );
  return batch.outcome;
}

// ---------------------------------------------------------------- invariants

export interface BalanceTotals {
  debitsPendingMicros: bigint;
  debitsPostedMicros: bigint;
  creditsPendingMicros: bigint;
  creditsPostedMicros: bigint;
}

/** Why an account's balances break its flags, or undefined. */
export function flagViolation(a: Account): string | undefined {
  if ((a.flags & ACCOUNT_FLAGS.debitsMustNotExceedCredits) !== 0 && a.debitsPostedMicros + a.debitsPendingMicros > a.creditsPostedMicros) {
    return `account ${a.id}: debits ${a.debitsPostedMicros}+${a.debitsPendingMicros} exceed credits ${a.creditsPostedMicros}`;
  }
  if ((a.flags & ACCOUNT_FLAGS.creditsMustNotExceedDebits) !== 0 && a.creditsPostedMicros + a.creditsPendingMicros > a.debitsPostedMicros) {
    return `account ${a.id}: credits ${a.creditsPostedMicros}+${a.creditsPendingMicros} exceed debits ${a.debitsPostedMicros}`;
  }
  if (a.debitsPendingMicros < 0n || a.creditsPendingMicros < 0n || a.debitsPostedMicros < 0n || a.creditsPostedMicros < 0n) {
    return `account ${a.id}: a negative balance`;
  }
  return undefined;
}

/**
 * Asserts what a batch must preserve, given the accounts before and after:
 * debits and credits moved by the same total (posted and pending, per
 * ledger), and no account breaks its flags. Throws: a violation is a bug,
 * never something to store.
 */
export function assertBatchInvariants(before: ReadonlyMap<string, Account>, after: ReadonlyMap<string, Account>, touched: ReadonlySet<string>): void {
  const perLedger = new Map<string, BalanceTotals>();
  for (const id of touched) {
    const a = after.get(id)!;
    const b = before.get(id)!;
    const totals = perLedger.get(a.ledger) ?? { debitsPendingMicros: 0n, debitsPostedMicros: 0n, creditsPendingMicros: 0n, creditsPostedMicros: 0n };
    totals.debitsPendingMicros += a.debitsPendingMicros - b.debitsPendingMicros;
    totals.debitsPostedMicros += a.debitsPostedMicros - b.debitsPostedMicros;
    totals.creditsPendingMicros += a.creditsPendingMicros - b.creditsPendingMicros;
    totals.creditsPostedMicros += a.creditsPostedMicros - b.creditsPostedMicros;
    perLedger.set(a.ledger, totals);
    const violation = flagViolation(a);
    if (violation) throw new LedgerInvariantError(violation);
  }
  for (const [ledger, t] of perLedger) {
    if (t.debitsPendingMicros !== t.creditsPendingMicros || t.debitsPostedMicros !== t.creditsPostedMicros) {
      throw new LedgerInvariantError(`ledger ${ledger}: a batch moved debits ${t.debitsPostedMicros}/${t.debitsPendingMicros} but credits ${t.creditsPostedMicros}/${t.creditsPendingMicros} (posted/pending)`);
    }
  }
}

export class LedgerInvariantError extends Error {
  override readonly name = 'LedgerInvariantError';
}

export function cloneAccount(a: Account): Account {
  return { ...a };
}

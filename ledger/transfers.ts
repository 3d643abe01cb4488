/**
 * Transfers in Postgres: one batch inside one transaction. The batch
 *  1. reads transfers already stored under its ids and the pending transfers it
 *     posts or voids (immutable rows, so before any lock),
 *  2. locks every account it names, in id order (SELECT … ORDER BY id FOR UPDATE),
 *     so concurrent batches queue instead of deadlocking,
 *  3. reads, under those locks, what may have changed meanwhile: earlier
 *     failures of its ids, how the named pending transfers resolved,
 *  4. runs the pure logic (engine.ts) over the batch,
 *  5. writes everything in one statement: transfers (one multi-row INSERT),
 *     balances (one UPDATE … FROM unnest), pending expiries, failures.
 * Hot path: steps 1, 2, 3 and 5 are hand-written SQL over arrays (`unnest`), so a
 * batch costs the same handful of round trips whether it holds 1 transfer or
 * 8,000 (measured in bench/scenarios/ledger.ts).
 *
 * A transfer id that another transaction stores concurrently under other
 * accounts (so no lock orders the two) shows up as a unique violation of the
 * INSERT: the transaction rolls back and `submitTransfers` reruns the batch,
 * which then sees the other transfer.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import { schema, type Database } from '../platform/postgres.ts';
import { TRANSFER_FLAGS } from './account-codes.ts';
import {
  AMOUNT_MAX, applyTransfers, assertBatchInvariants, BATCH_LENGTH_MAX, cloneAccount, CODE_MAX, expiryTransferId, isLedgerId, TIMEOUT_SECONDS_MAX,
  type Account, type TransferBatchOutcome, type TransferRequest, type TransferResult, type TransferState, type Transfer,
} from './engine.ts';
import { countResults, ledgerMetrics } from './metrics.ts';
import { recordWalletEvents } from './wallet-events.ts';

// Any drizzle transaction over our schema.
export type Tx = PgTransaction<any, typeof schema, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type { TransferResult };

/**
 * A transfer as callers write it. `flags`, `pendingId` and `timeoutSeconds`
 * default to none; for post/void, `debitAccountId`, `creditAccountId` and
 * `ledger` may be '' and `code` 0 (taken from the pending transfer), and
 * `amountMicros` 0n posts or voids the whole pending amount.
 */
export interface TransferInput {
  id: string;
  tenantId: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMicros: bigint;
  ledger: string;
  code: number;
  userData: string;
  flags?: number;
  pendingId?: string;
  timeoutSeconds?: number;
}

export interface BatchOptions {
  /** The batch's clock (created_at of its transfers, expiry decisions); default Date.now(). */
  nowMs?: number;
  /** Pending transfers to void if their timeout has passed (the expiry sweep). */
  expirePendingIds?: readonly string[];
}

export interface AppliedBatch {
  outcome: TransferBatchOutcome;
  state: TransferState;
}

/** Runs hand-written SQL and returns its rows, typed by the caller. */
export async function queryRows<T>(db: Database | Tx, query: SQL): Promise<T[]> {
  const result = await (db as Database).execute(query);
  return result.rows as T[];
}

/** Rows from hand-written SQL, as node-postgres returns them (int8 as bigint, see platform/postgres.ts). */
interface TransferRow {
  id: string;
  tenant_id: string;
  debit_account_id: string | null;
  credit_account_id: string | null;
  amount_micros: bigint;
  pending_id: string | null;
  timeout_seconds: number;
  ledger: string;
  code: number;
  flags: number;
  user_data: string;
  /** Epoch milliseconds (drizzle hands raw timestamps back as text, so queries select this instead). */
  created_ms: bigint;
}

interface AccountRow {
  id: string;
  tenant_id: string;
  ledger: string;
  code: number;
  flags: number;
  debits_pending_micros: bigint;
  debits_posted_micros: bigint;
  credits_pending_micros: bigint;
  credits_posted_micros: bigint;
  user_data: string;
}

/** `created_at` as epoch milliseconds, for hand-written SQL. */
export const epochMs = (column: string): string => `floor(extract(epoch from ${column}) * 1000)::bigint`;

const TRANSFER_COLUMNS = sql.raw(`id, tenant_id, debit_account_id, credit_account_id, amount_micros, pending_id, timeout_seconds,
  ledger, code, flags, user_data, ${epochMs('created_at')} AS created_ms`);

// Array parameters as Postgres array literals, built here rather than by node-postgres (which escapes every
// element with two regular expressions: measured as a visible share of an 8,000-transfer batch). Ids are
// validated UUIDs and numbers need no quoting; text is quoted, escaped only when it holds `"` or `\`.
const idArray = (values: readonly string[]): string => `{${values.map((v) => v || 'NULL').join(',')}}`;
const numberArray = (values: readonly (number | bigint)[]): string => `{${values.join(',')}}`;
const quoted = (s: string): string => `"${/["\\]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : s}"`;
const textArray = (values: readonly string[]): string => `{${values.map(quoted).join(',')}}`;

export function transferFromRow(row: TransferRow): Transfer {
  return {
    id: row.id, tenantId: row.tenant_id, debitAccountId: row.debit_account_id ?? '', creditAccountId: row.credit_account_id ?? '',
    amountMicros: row.amount_micros, pendingId: row.pending_id ?? '', timeoutSeconds: row.timeout_seconds, ledger: row.ledger,
    code: row.code, flags: row.flags, userData: row.user_data, createdAtMs: Number(row.created_ms),
  };
}

export function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id, tenantId: row.tenant_id, ledger: row.ledger, code: row.code, flags: row.flags, userData: row.user_data,
    debitsPendingMicros: row.debits_pending_micros, debitsPostedMicros: row.debits_posted_micros,
    creditsPendingMicros: row.credits_pending_micros, creditsPostedMicros: row.credits_posted_micros,
  };
}

function toRequest(t: TransferInput): TransferRequest {
  const request: TransferRequest = {
    id: t.id, tenantId: t.tenantId, debitAccountId: t.debitAccountId, creditAccountId: t.creditAccountId, amountMicros: t.amountMicros,
    pendingId: t.pendingId ?? '', timeoutSeconds: t.timeoutSeconds ?? 0, ledger: t.ledger, code: t.code, flags: t.flags ?? 0,
    userData: t.userData,
  };
  // Malformed ids are a caller's bug (the HTTP layer rejects them with a coded 400), not a result code.
  if (!isLedgerId(request.id)) throw new TypeError(`ledger: transfer id ${JSON.stringify(request.id)} is not a lower-case UUID`);
  for (const id of [request.debitAccountId, request.creditAccountId, request.pendingId]) {
    if (id !== '' && !isLedgerId(id)) throw new TypeError(`ledger: ${JSON.stringify(id)} (in transfer ${request.id}) is not a lower-case UUID`);
  }
  // What Postgres cannot store is a caller's bug too (bigint amounts, smallint codes, integer timeouts).
  if (request.amountMicros > AMOUNT_MAX || request.amountMicros < -AMOUNT_MAX) throw new RangeError(`ledger: transfer ${request.id}: amount beyond 64 bits`);
  if (!Number.isInteger(request.code) || request.code < 0 || request.code > CODE_MAX) throw new RangeError(`ledger: transfer ${request.id}: code beyond 0..${CODE_MAX}`);
  if (!Number.isInteger(request.timeoutSeconds) || request.timeoutSeconds < 0 || request.timeoutSeconds > TIMEOUT_SECONDS_MAX) {
    throw new RangeError(`ledger: transfer ${request.id}: timeout beyond 0..${TIMEOUT_SECONDS_MAX} seconds`);
  }
  return request;
}

const isPostOrVoid = (t: TransferRequest): boolean => (t.flags & (TRANSFER_FLAGS.postPending | TRANSFER_FLAGS.voidPending)) !== 0;

/** Locks accounts in id order and returns them. */
export async function lockAccounts(tx: Tx, ids: readonly string[]): Promise<Map<string, Account>> {
  const accounts = new Map<string, Account>();
  if (ids.length === 0) return accounts;
  const rows = await tx.execute<AccountRow & Record<string, unknown>>(sql`
    SELECT id, tenant_id, ledger, code, flags, debits_pending_micros, debits_posted_micros, credits_pending_micros,
      credits_posted_micros, user_data
    FROM ledger_accounts WHERE id = ANY(${sql.param(idArray(ids))}::uuid[]) ORDER BY id FOR UPDATE`);
  for (const row of rows.rows) accounts.set(row.id, accountFromRow(row));
  return accounts;
}

/**
 * One round trip: transfers stored under `storedIds` (read first, before any
 * lock is taken: UNION ALL runs its branches in order), then the accounts
 * `accountIds` locked in id order. Rows of both share one column list. The
 * accounts come without their user data, which no transfer decision reads.
 */
async function loadStoredThenLock(tx: Tx, state: TransferState, storedIds: readonly string[], accountIds: readonly string[]): Promise<void> {
  const rows = await tx.execute<{ kind: 't' | 'a' } & TransferRow & Record<string, unknown>>(sql`
    SELECT 't' AS kind, ${TRANSFER_COLUMNS}, NULL::bigint AS b1, NULL::bigint AS b2, NULL::bigint AS b3, NULL::bigint AS b4
      FROM ledger_transfers WHERE id = ANY(${sql.param(idArray(storedIds))}::uuid[])
    UNION ALL
    SELECT 'a', id, tenant_id, NULL, NULL, NULL, NULL, NULL, ledger, code, flags, '', NULL,
        debits_pending_micros, debits_posted_micros, credits_pending_micros, credits_posted_micros
      FROM (SELECT * FROM ledger_accounts WHERE id = ANY(${sql.param(idArray(accountIds))}::uuid[]) ORDER BY id FOR UPDATE) locked`);
  for (const row of rows.rows) {
    if (row.kind === 't') {
      state.transfers.set(row.id, transferFromRow(row));
    } else {
      const b = row as unknown as { b1: bigint; b2: bigint; b3: bigint; b4: bigint };
      state.accounts.set(row.id, { id: row.id, tenantId: row.tenant_id, ledger: row.ledger, code: row.code, flags: row.flags, userData: row.user_data,
        debitsPendingMicros: b.b1, debitsPostedMicros: b.b2, creditsPendingMicros: b.b3, creditsPostedMicros: b.b4 });
    }
  }
}

/**
 * Before the locks: transfers already stored under the batch's ids and the
 * pending transfers it names. Both are immutable once there; one stored by a
 * concurrent transaction after this read makes the INSERT fail (unique
 * violation) and the batch reruns, so reading it early is safe.
 */
async function loadStored(tx: Tx, state: TransferState, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.execute<TransferRow & Record<string, unknown>>(sql`
    SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY(${sql.param(idArray(ids))}::uuid[])`);
  for (const row of rows.rows) state.transfers.set(row.id, transferFromRow(row));
}

/** Under the locks: what may still change until then, earlier failures of the batch's ids and how named holds resolved. */
async function loadDecided(tx: Tx, state: TransferState, ids: readonly string[], pendingIds: readonly string[]): Promise<void> {
  const rows = await tx.execute<TransferRow & { kind: 'f' | 'r'; result: string | null } & Record<string, unknown>>(sql`
    SELECT 'f' AS kind, ${TRANSFER_COLUMNS}, result FROM ledger_transfer_failures WHERE id = ANY(${sql.param(idArray(ids))}::uuid[])
    UNION ALL
    SELECT 'r', ${TRANSFER_COLUMNS}, NULL FROM ledger_transfers WHERE pending_id = ANY(${sql.param(idArray(pendingIds))}::uuid[])`);
  for (const row of rows.rows) {
    const transfer = transferFromRow(row);
    if (row.kind === 'f') {
      state.failures.set(transfer.id, { transfer, result: row.result as TransferResult });
    } else {
      const status = (transfer.flags & TRANSFER_FLAGS.postPending) !== 0 ? 'posted'
        : transfer.id === expiryTransferId(transfer.pendingId) ? 'expired' : 'voided';
      state.resolutions.set(transfer.pendingId, { status, transferId: transfer.id });
    }
  }
}

interface ColumnSpec<T> {
  name: string;
  type: string;
  kind: 'id' | 'text' | 'number';
  value: (row: T) => string | number | bigint;
}

/**
 * `SELECT <select> FROM <from>` over rows for a multi-row INSERT: a column
 * that varies becomes an array in one `unnest`, a column with one value in the
 * whole batch (tenant, ledger, code, flags … usually) a single parameter, so
 * neither side builds or parses 8,000 copies of it (hot path, measured).
 */
function unnestRows<T>(rows: readonly T[], columns: readonly ColumnSpec<T>[]): { select: SQL; from: SQL } {
  const select: SQL[] = [];
  const arrays: SQL[] = [];
  const aliases: string[] = [];
  for (const column of columns) {
    const values = rows.map(column.value);
    const first = values[0]!;
    if (values.every((v) => v === first)) {
      const scalar = column.kind === 'id' && first === '' ? null : typeof first === 'bigint' ? first.toString() : first;
      select.push(sql`${sql.param(scalar)}::${sql.raw(column.type)}`);
      continue;
    }
    const literal = column.kind === 'id' ? idArray(values as string[]) : column.kind === 'text' ? textArray(values as string[]) : numberArray(values as (number | bigint)[]);
    arrays.push(sql`${sql.param(literal)}::${sql.raw(column.type)}[]`);
    aliases.push(column.name);
    select.push(sql.raw(`x.${column.name}`));
  }
  // Ids are unique, so only a single row has no varying column: it is one row of scalars.
  const from = arrays.length === 0 ? sql`(VALUES (1)) AS x(one)` : sql`unnest(${sql.join(arrays, sql`, `)}) AS x(${sql.raw(aliases.join(', '))})`;
  return { select: sql.join(select, sql`, `), from };
}

type InsertRows = { select: SQL; from: SQL };

/** The transfers as `SELECT … FROM unnest(…)` rows for the multi-row INSERT. */
function insertRows(transfers: readonly TransferRequest[]): InsertRows {
  return unnestRows(transfers, [
    { name: 'id', type: 'uuid', kind: 'id', value: (t) => t.id },
    { name: 'tenant_id', type: 'text', kind: 'text', value: (t) => t.tenantId },
    { name: 'debit_account_id', type: 'uuid', kind: 'id', value: (t) => t.debitAccountId },
    { name: 'credit_account_id', type: 'uuid', kind: 'id', value: (t) => t.creditAccountId },
    { name: 'amount_micros', type: 'bigint', kind: 'number', value: (t) => t.amountMicros },
    { name: 'pending_id', type: 'uuid', kind: 'id', value: (t) => t.pendingId },
    { name: 'timeout_seconds', type: 'int', kind: 'number', value: (t) => t.timeoutSeconds },
    { name: 'ledger', type: 'text', kind: 'text', value: (t) => t.ledger },
    { name: 'code', type: 'smallint', kind: 'number', value: (t) => t.code },
    { name: 'flags', type: 'int', kind: 'number', value: (t) => t.flags },
    { name: 'user_data', type: 'text', kind: 'text', value: (t) => t.userData },
  ]);
}

/** Whether the batch stored exactly what was asked, in order (no refusal, no balancing clamp): then rows built before the locks still hold. */
function storedAsAsked(requests: readonly TransferRequest[], created: readonly Transfer[]): boolean {
  if (created.length !== requests.length) return false;
  for (let i = 0; i < created.length; i++) {
    if (created[i]!.id !== requests[i]!.id || created[i]!.amountMicros !== requests[i]!.amountMicros) return false;
  }
  return true;
}

function writeStatement(outcome: TransferBatchOutcome, state: TransferState, prebuilt: InsertRows | undefined): SQL {
  const nowIso = new Date(state.nowMs).toISOString();
  const parts: SQL[] = [];
  const created = outcome.created;
  if (created.length > 0) {
    // No ON CONFLICT: a transfer id stored concurrently under other accounts fails the statement (23505), the
    // transaction rolls back and submitTransfers reruns the batch, which then sees the other transfer.
    const rows = prebuilt ?? insertRows(created);
    parts.push(sql`ins AS (
      INSERT INTO ledger_transfers (id, tenant_id, debit_account_id, credit_account_id, amount_micros, pending_id, timeout_seconds,
        ledger, code, flags, user_data, created_at)
      SELECT ${rows.select}, ${nowIso}::timestamptz FROM ${rows.from})`);
  }
  const touched = [...outcome.touched].map((id) => state.accounts.get(id)!);
  if (touched.length > 0) {
    parts.push(sql`upd AS (
      UPDATE ledger_accounts a SET debits_pending_micros = v.dp, debits_posted_micros = v.dpo, credits_pending_micros = v.cp,
        credits_posted_micros = v.cpo, updated_at = ${nowIso}::timestamptz
      FROM unnest(${sql.param(idArray(touched.map((a) => a.id)))}::uuid[], ${sql.param(numberArray(touched.map((a) => a.debitsPendingMicros)))}::bigint[],
        ${sql.param(numberArray(touched.map((a) => a.debitsPostedMicros)))}::bigint[], ${sql.param(numberArray(touched.map((a) => a.creditsPendingMicros)))}::bigint[],
        ${sql.param(numberArray(touched.map((a) => a.creditsPostedMicros)))}::bigint[]) AS v(id, dp, dpo, cp, cpo)
      WHERE a.id = v.id)`);
  }
  const holds = created.filter((t) => (t.flags & TRANSFER_FLAGS.pending) !== 0 && t.timeoutSeconds > 0);
  if (holds.length > 0) {
    parts.push(sql`exp_add AS (
      INSERT INTO ledger_pending_expiries (transfer_id, expires_at)
      SELECT * FROM unnest(${sql.param(holds.map((t) => t.id))}::uuid[],
        ${sql.param(holds.map((t) => new Date(t.createdAtMs + t.timeoutSeconds * 1000).toISOString()))}::timestamptz[]))`);
  }
  if (outcome.resolved.length > 0) {
    parts.push(sql`exp_del AS (DELETE FROM ledger_pending_expiries WHERE transfer_id = ANY(${sql.param(outcome.resolved)}::uuid[]))`);
  }
  const failed = outcome.failures.map((f) => ({ ...f.transfer, result: f.result }));
  if (failed.length > 0) {
    parts.push(sql`fail AS (
      INSERT INTO ledger_transfer_failures (id, tenant_id, result, debit_account_id, credit_account_id, amount_micros, pending_id,
        timeout_seconds, ledger, code, flags, user_data, created_at)
      SELECT *, ${nowIso}::timestamptz FROM unnest(${sql.param(failed.map((t) => t.id))}::uuid[], ${sql.param(failed.map((t) => t.tenantId))}::text[],
        ${sql.param(failed.map((t) => t.result))}::text[], ${sql.param(failed.map((t) => t.debitAccountId || null))}::uuid[],
        ${sql.param(failed.map((t) => t.creditAccountId || null))}::uuid[], ${sql.param(failed.map((t) => t.amountMicros))}::bigint[],
        ${sql.param(failed.map((t) => t.pendingId || null))}::uuid[], ${sql.param(failed.map((t) => t.timeoutSeconds))}::int[],
        ${sql.param(failed.map((t) => t.ledger))}::text[], ${sql.param(failed.map((t) => t.code))}::int[],
        ${sql.param(failed.map((t) => t.flags))}::int[], ${sql.param(failed.map((t) => t.userData))}::text[])
      ON CONFLICT DO NOTHING)`);
  }
  // Every part runs whether or not the final SELECT reads it (Postgres executes data-modifying WITH parts once).
  return sql`WITH ${sql.join(parts, sql`, `)} SELECT 1`;
}

/**
 * Applies a batch inside the caller's transaction and returns everything it
 * decided. Throws (so the transaction rolls back) on a transfer-id race (a
 * unique violation) or a broken invariant; every other failure is a
 * per-transfer result code.
 */
export async function applyTransferBatch(tx: Tx, inputs: readonly TransferInput[], options: BatchOptions = {}): Promise<AppliedBatch> {
  if (inputs.length > BATCH_LENGTH_MAX) throw new RangeError(`ledger: a batch holds at most ${BATCH_LENGTH_MAX} transfers, got ${inputs.length}`);
  const stopTimer = ledgerMetrics.batchSeconds.startTimer();
  const requests = inputs.map(toRequest);
  const state: TransferState = { nowMs: options.nowMs ?? Date.now(), accounts: new Map(), transfers: new Map(), resolutions: new Map(), failures: new Map() };
  const pendingIds = new Set<string>(options.expirePendingIds ?? []);
  for (const t of requests) if (isPostOrVoid(t) && t.pendingId !== '') pendingIds.add(t.pendingId);
  const ids = requests.map((t) => t.id);
  const accountIds = new Set<string>();
  if (pendingIds.size > 0) {
    // A post or void names its accounts through the pending transfer: read it before choosing what to lock.
    await loadStored(tx, state, [...new Set([...ids, ...pendingIds])]);
    for (const pendingId of pendingIds) {
      const pending = state.transfers.get(pendingId);
      if (pending) accountIds.add(pending.debitAccountId).add(pending.creditAccountId);
    }
  }
  for (const t of requests) {
    if (t.debitAccountId !== '') accountIds.add(t.debitAccountId);
    if (t.creditAccountId !== '') accountIds.add(t.creditAccountId);
  }
  // Rows for the INSERT built before the locks, for the usual case that every transfer goes in as asked: node's
  // share of the time under the locks shrinks by that much (hot path, measured on 8,000-transfer batches).
  const prebuilt = requests.length >= PREBUILD_LENGTH_MIN && pendingIds.size === 0 ? insertRows(requests) : undefined;
  await loadStoredThenLock(tx, state, pendingIds.size > 0 ? [] : ids, [...accountIds].sort());
  const before = new Map([...state.accounts].map(([id, a]) => [id, cloneAccount(a)]));
  if (requests.length > 0 || pendingIds.size > 0) await loadDecided(tx, state, ids, [...pendingIds]);

  const outcome = applyTransfers(state, requests, { expirePendingIds: options.expirePendingIds ?? [] });
  assertBatchInvariants(before, state.accounts, outcome.touched);
  if (outcome.created.length > 0 || outcome.touched.size > 0 || outcome.failures.length > 0 || outcome.resolved.length > 0) {
    await tx.execute(writeStatement(outcome, state, prebuilt && storedAsAsked(requests, outcome.created) ? prebuilt : undefined));
  }
  await recordWalletEvents(tx, before, state.accounts, outcome.touched, state.nowMs);
  countResults(ledgerMetrics.transfers, outcome.results);
  ledgerMetrics.batchSize.observe(requests.length);
  if (outcome.expiredCount > 0) ledgerMetrics.expiredHolds.inc(outcome.expiredCount);
  stopTimer();
  return { outcome, state };
}

/** Applies transfers inside the caller's transaction; one result per transfer, in order. */
export async function createTransfers(tx: Tx, transfers: readonly TransferInput[], options: BatchOptions = {}): Promise<TransferResult[]> {
  return (await applyTransferBatch(tx, transfers, options)).outcome.results;
}

const RETRY_ATTEMPTS_MAX = 5;
/** Below this many transfers, building the INSERT rows twice when a transfer is refused costs more than it saves. */
const PREBUILD_LENGTH_MIN = 64;

/** Why a failed transaction may simply be run again, or undefined. */
export function retryReason(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  if (code === '40P01') return 'deadlock';
  if (code === '40001') return 'serialization';
  if (code === '23505') return 'unique_violation';
  return undefined;
}

/** Runs `work` in its own transaction, again (up to a bound) when Postgres or an id race says a rerun will do. */
export async function inTransactionWithRetry<T>(db: Database, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      const reason = retryReason(err);
      if (reason === undefined || attempt >= RETRY_ATTEMPTS_MAX) throw err;
      ledgerMetrics.retries.inc({ reason });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** Applies a batch in a transaction of its own (retried on deadlocks and id races). */
export async function submitTransfers(db: Database, transfers: readonly TransferInput[], options: BatchOptions = {}): Promise<TransferResult[]> {
  return inTransactionWithRetry(db, (tx) => createTransfers(tx, transfers, options));
}

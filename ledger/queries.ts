/**
 * Reading the ledger: transfers by id (with how a pending one resolved), an
 * account's history page by page in apply order, and an account's balances at
 * any past time, computed from the transfers alone.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';
import { TRANSFER_FLAGS } from './account-codes.ts';
import { expiryTransferId, isLedgerId, type PendingStatus, type Transfer } from './engine.ts';
import { epochMs, queryRows, transferFromRow, type Tx } from './transfers.ts';

export interface TransferRecord extends Transfer {
  /** Apply order, across the whole ledger. */
  seq: bigint;
  /** For pending transfers: 'pending' until posted, voided or expired. */
  status?: 'pending' | PendingStatus;
  /** The transfer that posted or voided this pending one. */
  resolvedBy?: string;
}

type Row = Parameters<typeof transferFromRow>[0] & { seq: bigint; resolved_by?: string | null; resolved_flags?: number | null } & Record<string, unknown>;

const COLUMNS = sql.raw(`t.id, t.tenant_id, t.debit_account_id, t.credit_account_id, t.amount_micros, t.pending_id, t.timeout_seconds,
  t.ledger, t.code, t.flags, t.user_data, ${epochMs('t.created_at')} AS created_ms, t.seq`);

function record(row: Row): TransferRecord {
  const transfer: TransferRecord = { ...transferFromRow(row), seq: row.seq };
  if ((transfer.flags & TRANSFER_FLAGS.pending) !== 0) {
    if (!row.resolved_by) {
      transfer.status = 'pending';
    } else {
      transfer.resolvedBy = row.resolved_by;
      transfer.status = ((row.resolved_flags ?? 0) & TRANSFER_FLAGS.postPending) !== 0 ? 'posted'
        : row.resolved_by === expiryTransferId(transfer.id) ? 'expired' : 'voided';
    }
  }
  return transfer;
}

/** The tenant's transfers among `ids`, in the order asked (unknown ids and other tenants' are absent). */
export async function lookupTransfers(db: Database | Tx, tenantId: string, ids: readonly string[]): Promise<TransferRecord[]> {
  const valid = ids.filter(isLedgerId);
  if (valid.length === 0) return [];
  const rows = await queryRows<Row>(db, sql`
    SELECT ${COLUMNS}, r.id AS resolved_by, r.flags AS resolved_flags
    FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id
    WHERE t.id = ANY(${sql.param(valid)}::uuid[]) AND t.tenant_id = ${tenantId}`);
  const found = new Map(rows.map((r) => [r.id, record(r)]));
  return ids.flatMap((id) => found.get(id) ?? []);
}

export const HISTORY_PAGE_MAX = 1000;

export interface HistoryPage {
  transfers: TransferRecord[];
  /** Pass as `afterSeq` (or `beforeSeq` when reversed) for the next page; absent on the last page. */
  nextCursor?: bigint;
}

export interface HistoryOptions {
  limit?: number;
  /** Oldest first, after this seq (exclusive). */
  afterSeq?: bigint;
  /** Newest first, before this seq (exclusive). */
  reversed?: boolean;
  beforeSeq?: bigint;
}

/** One page of the transfers that debit or credit `accountId`, in apply order. The caller checks the account is the tenant's. */
export async function accountTransfers(db: Database | Tx, accountId: string, options: HistoryOptions = {}): Promise<HistoryPage> {
  const limit = Math.max(1, Math.min(options.limit ?? 100, HISTORY_PAGE_MAX));
  const reversed = options.reversed ?? false;
  const bound = reversed
    ? (options.beforeSeq === undefined ? sql`TRUE` : sql`seq < ${options.beforeSeq}`)
    : (options.afterSeq === undefined ? sql`TRUE` : sql`seq > ${options.afterSeq}`);
  const order = sql.raw(reversed ? 'DESC' : 'ASC');
  // One bounded index range per side ((debit|credit)_account_id, seq), merged.
  const rows = await queryRows<Row>(db, sql`
    SELECT * FROM (
      (SELECT ${COLUMNS} FROM ledger_transfers t WHERE debit_account_id = ${accountId} AND ${bound} ORDER BY seq ${order} LIMIT ${limit + 1})
      UNION ALL
      (SELECT ${COLUMNS} FROM ledger_transfers t WHERE credit_account_id = ${accountId} AND ${bound} ORDER BY seq ${order} LIMIT ${limit + 1})
    ) page ORDER BY seq ${order} LIMIT ${limit + 1}`);
  const transfers = rows.slice(0, limit).map(record);
  return rows.length > limit ? { transfers, nextCursor: transfers[transfers.length - 1]!.seq } : { transfers };
}

export interface Balances {
  debitsPendingMicros: bigint;
  debitsPostedMicros: bigint;
  creditsPendingMicros: bigint;
  creditsPostedMicros: bigint;
}

/**
 * An account's balances at `atMs`, from its transfers: posted = single-phase
 * and post transfers up to then; pending = holds made up to then and not yet
 * resolved by then.
 */
export async function accountBalancesAt(db: Database | Tx, accountId: string, atMs: number): Promise<Balances> {
  const at = new Date(atMs).toISOString();
  const notPendingNorVoid = TRANSFER_FLAGS.pending | TRANSFER_FLAGS.voidPending;
  const rows = await queryRows<{ dp: bigint; dpo: bigint; cp: bigint; cpo: bigint }>(db, sql`
    WITH t AS (
      SELECT t.debit_account_id, t.credit_account_id, t.amount_micros, t.flags,
        (t.flags & ${TRANSFER_FLAGS.pending} <> 0 AND NOT EXISTS (
          SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id AND r.created_at <= ${at}::timestamptz)) AS held
      FROM ledger_transfers t
      WHERE (t.debit_account_id = ${accountId} OR t.credit_account_id = ${accountId}) AND t.created_at <= ${at}::timestamptz)
    SELECT
      COALESCE(sum(amount_micros) FILTER (WHERE debit_account_id = ${accountId} AND held), 0)::bigint AS dp,
      COALESCE(sum(amount_micros) FILTER (WHERE debit_account_id = ${accountId} AND flags & ${notPendingNorVoid} = 0), 0)::bigint AS dpo,
      COALESCE(sum(amount_micros) FILTER (WHERE credit_account_id = ${accountId} AND held), 0)::bigint AS cp,
      COALESCE(sum(amount_micros) FILTER (WHERE credit_account_id = ${accountId} AND flags & ${notPendingNorVoid} = 0), 0)::bigint AS cpo
    FROM t`);
  const r = rows[0]!;
  return { debitsPendingMicros: r.dp, debitsPostedMicros: r.dpo, creditsPendingMicros: r.cp, creditsPostedMicros: r.cpo };
}

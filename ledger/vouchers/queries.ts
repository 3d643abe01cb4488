/**
 * Reading vouchers: one by id or by code, pages of a filtered list (keyset
 * pagination on insertion order, so pages stay stable while vouchers change),
 * a voucher's audit trail, and batches.
 */
import { and, asc, count, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { codeDigest, codesEqual, normalizeCode } from './codes.ts';
import { ok, refused, type VoucherResult } from './errors.ts';
import type { BatchView } from './generate.ts';
import type { VoucherStatus } from './state-machine.ts';
import { isUuid, toView, type VoucherRow, type VoucherView } from './store.ts';

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;

export interface VoucherFilter {
  status?: VoucherStatus;
  batchId?: string;
  profileName?: string;
  customerId?: string;
}

export interface VoucherPage {
  vouchers: VoucherView[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const v = schema.vouchers;

/**
 * The WHERE clause of a filter, or null when the filter names something that
 * cannot exist (a malformed id, an unknown profile): the answer is then empty.
 */
async function filterClause(db: Database, tenantId: string, filter: VoucherFilter): Promise<SQL | null> {
  const conditions: SQL[] = [eq(v.tenantId, tenantId)];
  if (filter.status) conditions.push(eq(v.status, filter.status));
  if (filter.batchId !== undefined) {
    if (!isUuid(filter.batchId)) return null;
    conditions.push(eq(v.batchId, filter.batchId));
  }
  if (filter.customerId !== undefined) {
    if (!isUuid(filter.customerId)) return null;
    conditions.push(eq(v.customerId, filter.customerId));
  }
  if (filter.profileName !== undefined) {
    const p = schema.voucherProfiles;
    const profiles = await db.select({ id: p.id }).from(p).where(and(eq(p.tenantId, tenantId), eq(p.name, filter.profileName)));
    if (profiles.length === 0) return null;
    // Archived and current profiles of one name are listed together.
    conditions.push(inArray(v.profileId, profiles.map((r) => r.id)));
  }
  return and(...conditions)!;
}

export async function listVouchers(db: Database, tenantId: string, filter: VoucherFilter, page: { cursor?: string | null; limit?: number } = {}):
  Promise<VoucherResult<VoucherPage>> {
  const limit = page.limit ?? LIST_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) {
    return refused('TG_VOUCHER_INPUT_INVALID', `limit must be an integer 1..${LIST_LIMIT_MAX}`, 'limit');
  }
  if (page.cursor && !/^\d{1,19}$/.test(page.cursor)) return refused('TG_VOUCHER_INPUT_INVALID', 'cursor is not one this API returned', 'cursor');
  const where = await filterClause(db, tenantId, filter);
  if (!where) return ok({ vouchers: [], nextCursor: null });
  const rows = await db.select().from(v).where(page.cursor ? and(where, gt(v.seq, BigInt(page.cursor))) : where)
    .orderBy(asc(v.seq)).limit(limit + 1);
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return ok({ vouchers: shown.map((row) => toView(row, { withCode: false })), nextCursor: more ? shown.at(-1)!.seq.toString() : null });
}

export async function countVouchers(db: Database, tenantId: string, filter: VoucherFilter): Promise<number> {
  const where = await filterClause(db, tenantId, filter);
  if (!where) return 0;
  const [row] = await db.select({ n: count() }).from(v).where(where);
  return row?.n ?? 0;
}

/**
 * Pages of vouchers with their codes, in insertion order, for export. Bounded
 * memory: one page at a time.
 */
export async function* voucherRowsWithCodes(db: Database, tenantId: string, filter: VoucherFilter, pageSize = 1000): AsyncGenerator<VoucherRow[]> {
  const where = await filterClause(db, tenantId, filter);
  if (!where) return;
  let cursor: bigint | null = null;
  for (;;) {
    const rows: VoucherRow[] = await db.select().from(v).where(cursor === null ? where : and(where, gt(v.seq, cursor)))
      .orderBy(asc(v.seq)).limit(pageSize);
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    cursor = rows.at(-1)!.seq;
  }
}

export async function getVoucher(db: Database, tenantId: string, voucherId: string): Promise<VoucherResult<VoucherView>> {
  if (!isUuid(voucherId)) return refused('TG_VOUCHER_NOT_FOUND');
  const [row] = await db.select().from(v).where(and(eq(v.id, voucherId), eq(v.tenantId, tenantId)));
  return row ? ok(toView(row, { withCode: true })) : refused('TG_VOUCHER_NOT_FOUND');
}

/** By the code as a customer typed it (case, spaces and dashes do not matter); constant-time on the code. */
export async function findVoucherByCode(db: Database, tenantId: string, typed: string): Promise<VoucherResult<VoucherView>> {
  const code = normalizeCode(typed);
  if (code === null) return refused('TG_VOUCHER_NOT_FOUND');
  const [row] = await db.select().from(v).where(and(eq(v.codeDigest, codeDigest(tenantId, code)), eq(v.tenantId, tenantId)));
  return row && codesEqual(row.code, code) ? ok(toView(row, { withCode: true })) : refused('TG_VOUCHER_NOT_FOUND');
}

export interface VoucherEventView {
  id: string;
  action: string;
  fromStatus: string;
  toStatus: string;
  actor: string;
  detail: unknown;
  createdAt: Date;
}

export async function voucherHistory(db: Database, tenantId: string, voucherId: string): Promise<VoucherResult<VoucherEventView[]>> {
  const found = await getVoucher(db, tenantId, voucherId);
  if (!found.ok) return found;
  const e = schema.voucherEvents;
  const rows = await db.select().from(e).where(and(eq(e.voucherId, voucherId), eq(e.tenantId, tenantId))).orderBy(asc(e.id));
  return ok(rows.map((r) => ({ id: r.id.toString(), action: r.action, fromStatus: r.fromStatus, toStatus: r.toStatus, actor: r.actor,
    detail: r.detail, createdAt: r.createdAt })));
}

export async function getBatch(db: Database, tenantId: string, batchId: string): Promise<VoucherResult<BatchView>> {
  if (!isUuid(batchId)) return refused('TG_VOUCHER_BATCH_NOT_FOUND');
  const b = schema.voucherBatches;
  const p = schema.voucherProfiles;
  const [row] = await db.select({ batch: b, profileName: p.name }).from(b).innerJoin(p, eq(p.id, b.profileId))
    .where(and(eq(b.id, batchId), eq(b.tenantId, tenantId)));
  if (!row) return refused('TG_VOUCHER_BATCH_NOT_FOUND');
  const batch = row.batch;
  return ok({ id: batch.id, profileId: batch.profileId, profileName: row.profileName, count: batch.count, prefix: batch.prefix,
    codeLength: batch.codeLength, alphabet: batch.alphabet, requestId: batch.requestId, note: batch.note, actor: batch.actor, createdAt: batch.createdAt });
}

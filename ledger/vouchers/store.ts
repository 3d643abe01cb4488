/**
 * Shared Postgres plumbing of the voucher service: row ↔ view mapping,
 * locking one voucher, the audit trail, and running a transaction whose
 * refusals come back as coded values.
 */
import { and, eq } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import type { Tx } from '../index.ts';
import { codeDigest, codeHint, codesEqual, normalizeCode } from './codes.ts';
import { VoucherRefusal, type VoucherResult } from './errors.ts';
import type { VoucherAction, VoucherFacts, VoucherStatus } from './state-machine.ts';
import type { ProfileTerms } from './inputs.ts';

export type VoucherRow = typeof schema.vouchers.$inferSelect;
export type ProfileRow = typeof schema.voucherProfiles.$inferSelect;

/** Who acts and when: every service call takes one. `now` is injectable so tests need no clock. */
export interface VoucherContext {
  tenantId: string;
  /** Recorded in the audit trail: `api`, `cli`, `gateway`, `expiry-sweep`, … */
  actor: string;
  now?: Date;
}

export interface VoucherView extends ProfileTerms {
  id: string;
  batchId: string;
  profileId: string;
  serial: number;
  /** Present only where the operator asked for codes (get, export). */
  code?: string;
  codeHint: string;
  status: VoucherStatus;
  customerId: string | null;
  dataUsedBytes: bigint;
  timeUsedSeconds: bigint;
  soldAt: Date | null;
  activatedAt: Date | null;
  expiresAt: Date | null;
  refundedAt: Date | null;
  statusChangedAt: Date;
  createdAt: Date;
}

export function toView(row: VoucherRow, options: { withCode: boolean }): VoucherView {
  const view: VoucherView = {
    id: row.id, batchId: row.batchId, profileId: row.profileId, serial: row.serial, codeHint: codeHint(row.code),
    status: row.status, currency: row.currency, priceMicros: row.priceMicros, dataQuotaBytes: row.dataQuotaBytes,
    timeQuotaSeconds: row.timeQuotaSeconds, validitySeconds: row.validitySeconds, rateLimit: row.rateLimit, sharedUsers: row.sharedUsers,
    customerId: row.customerId, dataUsedBytes: row.dataUsedBytes, timeUsedSeconds: row.timeUsedSeconds, soldAt: row.soldAt,
    activatedAt: row.activatedAt, expiresAt: row.expiresAt, refundedAt: row.refundedAt, statusChangedAt: row.statusChangedAt, createdAt: row.createdAt,
  };
  if (options.withCode) view.code = row.code;
  return view;
}

export function factsOf(row: VoucherRow): VoucherFacts {
  return { status: row.status, sold: row.soldAt !== null, refunded: row.refundedAt !== null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** How a caller names a voucher: by id (operator) or by the code typed at login (portal, gateway). */
export type VoucherRef = { voucherId: string } | { code: string };

/**
 * Locks the voucher (`SELECT … FOR UPDATE`) for the rest of the transaction.
 * By code, the index is searched by digest and the stored code compared in
 * constant time. Undefined when there is no such voucher in the tenant.
 */
export async function lockVoucher(tx: Tx, tenantId: string, ref: VoucherRef): Promise<VoucherRow | undefined> {
  const v = schema.vouchers;
  if ('voucherId' in ref) {
    if (!isUuid(ref.voucherId)) return undefined;
    const [row] = await tx.select().from(v).where(and(eq(v.id, ref.voucherId), eq(v.tenantId, tenantId))).for('update');
    return row;
  }
  const code = normalizeCode(ref.code);
  if (code === null) return undefined;
  const [row] = await tx.select().from(v).where(and(eq(v.codeDigest, codeDigest(tenantId, code)), eq(v.tenantId, tenantId))).for('update');
  return row && codesEqual(row.code, code) ? row : undefined;
}

export interface AuditEntry {
  voucher: VoucherRow;
  action: VoucherAction | 'generate';
  toStatus: VoucherStatus;
  actor: string;
  detail: Record<string, unknown>;
  at: Date;
}

/** Bigints become decimal strings: jsonb has no 64-bit integers. */
function jsonSafe(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).filter(([, value]) => value !== undefined)
    .map(([key, value]) => [key, typeof value === 'bigint' ? value.toString() : value]));
}

export async function recordEvents(tx: Tx, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(schema.voucherEvents).values(entries.map((e) => ({
    tenantId: e.voucher.tenantId, voucherId: e.voucher.id, action: e.action, fromStatus: e.voucher.status, toStatus: e.toStatus,
    actor: e.actor, detail: jsonSafe(e.detail), createdAt: e.at,
  })));
}

export async function customerInTenant(tx: Tx | Database, tenantId: string, customerId: string): Promise<{ id: string; currency: string } | undefined> {
  if (!isUuid(customerId)) return undefined;
  const c = schema.customers;
  const [row] = await tx.select({ id: c.id, currency: c.currency }).from(c).where(and(eq(c.id, customerId), eq(c.tenantId, tenantId)));
  return row;
}

/** The customer a CloudEvents `subject` names in the tenant (read directly: importing the rater would make a cycle). */
export async function customerIdBySubject(db: Database, tenantId: string, subject: string): Promise<string | undefined> {
  const c = schema.customers;
  const [row] = await db.select({ id: c.id }).from(c).where(and(eq(c.tenantId, tenantId), eq(c.subject, subject)));
  return row?.id;
}

/**
 * Runs `work` in one transaction. A `VoucherRefusal` thrown inside rolls
 * everything back (ledger transfers included) and comes back as a value.
 */
export async function inTransaction<T>(db: Database, work: (tx: Tx) => Promise<VoucherResult<T>>): Promise<VoucherResult<T>> {
  try {
    return await db.transaction(async (tx) => {
      const result = await work(tx);
      // A refusal decided before any write still must not commit half an action.
      if (!result.ok) throw new VoucherRefusal(result.error);
      return result;
    });
  } catch (err) {
    if (err instanceof VoucherRefusal) return { ok: false, error: err.info };
    throw err;
  }
}


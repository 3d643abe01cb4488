/**
 * The expiry sweep: active vouchers whose validity (counted from activation)
 * has passed become `expired`, in batches of bounded size, each batch one
 * transaction. `SKIP LOCKED` lets two sweepers (or a sweep and a live action)
 * run side by side without waiting on each other; a voucher locked by an
 * action is picked up by the next sweep.
 */
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { voucherMetrics } from './metrics.ts';
import { decide } from './state-machine.ts';
import { factsOf, recordEvents, type AuditEntry } from './store.ts';

export const EXPIRY_BATCH_SIZE = 500;
/** A bound on one sweep call, so a huge backlog is worked off over several calls instead of one endless one. */
export const EXPIRY_BATCHES_PER_SWEEP_MAX = 200;

export interface ExpiredVoucher {
  tenantId: string;
  voucherId: string;
}

export interface SweepOptions {
  batchSize?: number;
  actor?: string;
  /** Called after each committed batch, e.g. to disconnect the sessions of those vouchers. */
  onExpired?: (vouchers: ExpiredVoucher[]) => Promise<void> | void;
}

export async function expireDueVouchers(db: Database, now: Date, options: SweepOptions = {}): Promise<{ expiredCount: number }> {
  const batchSize = options.batchSize ?? EXPIRY_BATCH_SIZE;
  const actor = options.actor ?? 'expiry-sweep';
  const v = schema.vouchers;
  let expiredCount = 0;
  for (let batch = 0; batch < EXPIRY_BATCHES_PER_SWEEP_MAX; batch++) {
    const expired = await db.transaction(async (tx) => {
      const due = await tx.select().from(v).where(and(eq(v.status, 'active'), lte(v.expiresAt, now)))
        .orderBy(asc(v.expiresAt)).limit(batchSize).for('update', { skipLocked: true });
      const entries: AuditEntry[] = [];
      for (const row of due) {
        const decision = decide(factsOf(row), 'expire');
        if (!decision.ok || !decision.changed) throw new Error(`expiry sweep: voucher ${row.id} in status ${row.status} cannot expire`);
        entries.push({ voucher: row, action: 'expire', toStatus: decision.to, actor, at: now, detail: { expiresAt: row.expiresAt?.toISOString() } });
      }
      if (due.length === 0) return [];
      await tx.update(v).set({ status: 'expired', statusChangedAt: now }).where(inArray(v.id, due.map((row) => row.id)));
      await recordEvents(tx, entries);
      return due.map((row) => ({ tenantId: row.tenantId, voucherId: row.id }));
    });
    expiredCount += expired.length;
    voucherMetrics.expired.inc(expired.length);
    if (expired.length > 0) await options.onExpired?.(expired);
    if (expired.length < batchSize) break;
  }
  return { expiredCount };
}

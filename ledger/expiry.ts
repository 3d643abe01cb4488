/**
 * The pending-transfer expiry sweep: voids every hold whose timeout has
 * passed, each by a `void_pending_transfer` with an id derived from the hold
 * (so two sweeps, or a sweep and a post racing it, expire a hold once). Until
 * the sweep reaches a hold it still counts against its accounts' limits (the
 * safe side); a post or void of it already answers `pending_transfer_expired`
 * and releases it in the same batch.
 */
import { asc, lte, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import { applyTransferBatch, inTransactionWithRetry } from './transfers.ts';

/** Voids holds expired at `nowMs`, in batches of `batchMax`; returns how many it voided. */
export async function voidExpiredPendingTransfers(db: Database, nowMs: number, batchMax = 1000): Promise<number> {
  let voided = 0;
  for (;;) {
    const due = await db.select({ id: schema.ledgerPendingExpiries.transferId }).from(schema.ledgerPendingExpiries)
      .where(lte(schema.ledgerPendingExpiries.expiresAt, new Date(nowMs))).orderBy(asc(schema.ledgerPendingExpiries.expiresAt)).limit(batchMax);
    if (due.length === 0) return voided;
    const ids = due.map((d) => d.id);
    const { expired, stale } = await inTransactionWithRetry(db, async (tx) => {
      const { outcome, state } = await applyTransferBatch(tx, [], { nowMs, expirePendingIds: ids });
      // A row whose hold is resolved or gone is stale (the ledger's own writes never leave one); drop it so the sweep moves on.
      const resolved = new Set(outcome.resolved);
      const staleIds = ids.filter((id) => !resolved.has(id) && (state.resolutions.has(id) || !state.transfers.has(id)));
      if (staleIds.length > 0) await tx.execute(sql`DELETE FROM ledger_pending_expiries WHERE transfer_id = ANY(${sql.param(staleIds)}::uuid[])`);
      return { expired: outcome.expiredCount, stale: staleIds.length };
    });
    voided += expired;
    if (expired + stale === 0 || due.length < batchMax) return voided;
  }
}

/**
 * Promotional credit expiry. A customer's promotional wallet pools every
 * grant; what it holds is attributed to the grants that expire last (the
 * customer keeps credit as long as possible). So when a grant expires, what is
 * left of it is the pool's balance beyond the grants that expire later, at
 * most the grant itself, and that moves back (promotional wallet → promotions)
 * by a transfer with an id derived from the grant: expiring twice is a no-op.
 */
import { and, asc, isNull, lte, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import { TRANSFER_CODE } from './account-codes.ts';
import { isTransferApplied } from './engine.ts';
import { idFromName } from './ids.ts';
import { ledgerMetrics } from './metrics.ts';
import { createTransfers, inTransactionWithRetry, lockAccounts, type Tx } from './transfers.ts';
import { availableMicros, promotionsAccountId } from './wallet-accounts.ts';

export interface ExpiredPromotion {
  id: string;
  returnedMicros: bigint;
}

async function expireOne(tx: Tx, grantId: string, nowMs: number): Promise<ExpiredPromotion | undefined> {
  const [grant] = await tx.select().from(schema.ledgerPromotions).where(sql`${schema.ledgerPromotions.id} = ${grantId}`).for('update');
  if (!grant || grant.expiredAt !== null) return undefined;
  const [currency] = await tx.select({ ledger: schema.ledgerAccounts.ledger }).from(schema.ledgerAccounts)
    .where(sql`${schema.ledgerAccounts.id} = ${grant.promoAccountId}`);
  if (!currency) throw new Error(`ledger: promotional account ${grant.promoAccountId} of grant ${grant.id} is missing`);
  const promotionsId = promotionsAccountId(grant.tenantId, currency.ledger);
  const accounts = await lockAccounts(tx, [grant.promoAccountId, promotionsId].sort());
  const [later] = await tx.execute<{ micros: bigint }>(sql`
    SELECT COALESCE(sum(amount_micros), 0)::bigint AS micros FROM ledger_promotions
    WHERE promo_account_id = ${grant.promoAccountId} AND expired_at IS NULL
      AND (expires_at, id) > (${grant.expiresAt.toISOString()}::timestamptz, ${grant.id}::uuid)`).then((r) => r.rows);
  const beyondLater = availableMicros(accounts.get(grant.promoAccountId)!) - (later?.micros ?? 0n);
  const returnedMicros = beyondLater <= 0n ? 0n : beyondLater < grant.amountMicros ? beyondLater : grant.amountMicros;
  if (returnedMicros > 0n) {
    const [result] = await createTransfers(tx, [{
      id: idFromName(`promotion-expiry:${grant.id}`), tenantId: grant.tenantId, ledger: currency.ledger,
      debitAccountId: grant.promoAccountId, creditAccountId: promotionsId, amountMicros: returnedMicros,
      code: TRANSFER_CODE.promotionExpiry, userData: `promotion-expiry:${grant.reference}`,
    }], { nowMs });
    if (!isTransferApplied(result!)) throw new Error(`ledger: the expiry of promotion ${grant.id} was refused: ${result}`);
  }
  await tx.update(schema.ledgerPromotions).set({ expiredAt: new Date(nowMs), returnedMicros })
    .where(sql`${schema.ledgerPromotions.id} = ${grant.id}`);
  return { id: grant.id, returnedMicros };
}

/** Expires every grant due at `nowMs` (earliest first, at most `limit`); one transaction per grant. */
export async function expirePromotions(db: Database, nowMs: number, limit = 500): Promise<ExpiredPromotion[]> {
  const due = await db.select({ id: schema.ledgerPromotions.id }).from(schema.ledgerPromotions)
    .where(and(isNull(schema.ledgerPromotions.expiredAt), lte(schema.ledgerPromotions.expiresAt, new Date(nowMs))))
    .orderBy(asc(schema.ledgerPromotions.expiresAt), asc(schema.ledgerPromotions.id)).limit(limit);
  const expired: ExpiredPromotion[] = [];
  for (const { id } of due) {
    const done = await inTransactionWithRetry(db, (tx) => expireOne(tx, id, nowMs));
    if (done) expired.push(done);
  }
  if (expired.length > 0) ledgerMetrics.promotionsExpired.inc(expired.length);
  return expired;
}

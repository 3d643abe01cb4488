/**
 * `quota.exceeded` through an outbox: a crossing found while rating is
 * inserted into `quota_crossings` in the batch's checkpoint transaction (its
 * id derived from customer, meter, period and limit, and the row unique on
 * them, so a replayed batch adds nothing), then published to Kafka after the
 * commit and marked published. A crash between send and mark sends it again:
 * at least once, de-duplicated by consumers on `id`.
 */
import { createHash } from 'node:crypto';
import { and, inArray, isNull, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import type { Tx } from '../ledger/index.ts';
import { TOPICS } from '../schemas/event.ts';
import type { QuotaExceededEvent } from '../schemas/quota-events.ts';
import type { QuotaCrossing } from './rate-events.ts';

/** The slice of a kafkajs Producer the publisher needs. */
export interface QuotaProducer {
  send(record: { topic: string; acks?: number; messages: { key: string; value: string; headers?: Record<string, string> }[] }): Promise<unknown>;
}

function crossingId(c: QuotaCrossing): string {
  const hex = createHash('sha256').update(`quota\u0000${c.customerId}\u0000${c.meterId}\u0000${c.periodStart}\u0000${c.limitQuantity}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function quotaExceededEvent(c: QuotaCrossing): QuotaExceededEvent {
  return {
    type: 'quota.exceeded', id: crossingId(c), tenant: c.tenantId, subject: c.subject, customerId: c.customerId,
    meter: c.meterSlug, periodStart: c.periodStart, periodEnd: c.periodEnd, limit: c.limitQuantity, usage: c.usageQuantity,
    enforcement: c.enforcement, event: c.event,
  };
}

/** Records crossings (idempotent); returns how many were new. */
export async function recordQuotaCrossings(tx: Tx, crossings: readonly QuotaCrossing[]): Promise<number> {
  if (crossings.length === 0) return 0;
  const inserted = await tx.insert(schema.quotaCrossings).values(crossings.map((c) => {
    const payload = quotaExceededEvent(c);
    return { id: payload.id, tenantId: c.tenantId, customerId: c.customerId, meterId: c.meterId, periodStart: c.periodStart, limitQuantity: c.limitQuantity, payload };
  })).onConflictDoNothing().returning({ id: schema.quotaCrossings.id });
  return inserted.length;
}

/** Publishes up to `limit` unpublished crossings, oldest first; returns how many. */
export async function publishQuotaCrossings(db: Database, producer: QuotaProducer, limit = 500): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ id: schema.quotaCrossings.id, payload: schema.quotaCrossings.payload }).from(schema.quotaCrossings)
      .where(isNull(schema.quotaCrossings.publishedAt)).orderBy(schema.quotaCrossings.createdAt).limit(limit).for('update', { skipLocked: true });
    if (rows.length === 0) return 0;
    await producer.send({
      topic: TOPICS.quotaExceeded, acks: -1,
      messages: rows.map((r) => ({ key: `${r.payload.tenant}:${r.payload.subject}`, value: JSON.stringify(r.payload), headers: { 'event-type': 'quota.exceeded' } })),
    });
    await tx.update(schema.quotaCrossings).set({ publishedAt: sql`now()` })
      .where(and(inArray(schema.quotaCrossings.id, rows.map((r) => r.id)), isNull(schema.quotaCrossings.publishedAt)));
    return rows.length;
  });
}

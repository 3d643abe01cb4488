/**
 * Invoice events: written in the transaction that caused them to the
 * invoice outbox (→ Kafka `invoice.events`) and to the webhook delivery queue
 * of every subscribed tenant endpoint. Ids derive from the cause (invoice id
 * and type, payment id), so a retried transaction cannot emit twice.
 */
import { sql } from 'drizzle-orm';
import { TOPICS } from '../schemas/event.ts';
import { idFromName } from '../ledger/index.ts';
import type { Database } from '../platform/postgres.ts';
import { enqueueWebhookDeliveries, type WebhookEvent } from './webhooks/deliveries.ts';

type Queryable = Pick<Database, 'execute'>;

export const INVOICE_EVENT_TYPES = ['invoice.created', 'invoice.finalized', 'payment.received', 'invoice.overdue', 'invoice.voided', 'invoice.paid'] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

/** Money first: a payment reaches receivers before informational events queued with it. */
const PRIORITY: Readonly<Record<InvoiceEventType, number>> = {
  'payment.received': 10, 'invoice.paid': 9, 'invoice.overdue': 5, 'invoice.voided': 5, 'invoice.finalized': 3, 'invoice.created': 1,
};

export interface InvoiceEvent {
  id: string;
  type: InvoiceEventType;
  tenant: string;
  invoiceId: string;
  customerId: string;
  correlationId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export function invoiceEvent(type: InvoiceEventType, tenant: string, invoiceId: string, customerId: string, correlationId: string,
  data: Record<string, unknown>, cause = ''): InvoiceEvent {
  return { id: idFromName(`invoice-event:${type}:${invoiceId}:${cause}`), type, tenant, invoiceId, customerId, correlationId,
    occurredAt: new Date().toISOString(), data };
}

/** Queues events in the caller's transaction: outbox rows (one INSERT) and webhook deliveries. */
export async function emitInvoiceEvents(tx: Queryable, events: readonly InvoiceEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ topic: TOPICS.invoiceEvents, message_key: `${e.tenant}:${e.customerId}`, payload: e }));
  await tx.execute(sql`INSERT INTO invoice_outbox (topic, message_key, payload)
    SELECT r.topic, r.message_key, r.payload FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(topic text, message_key text, payload jsonb)`);
  const hooks: WebhookEvent[] = events.map((e) => ({ id: e.id, type: e.type, tenantId: e.tenant, correlationId: e.correlationId,
    priority: PRIORITY[e.type], payload: e }));
  await enqueueWebhookDeliveries(tx, hooks);
}

/** The slice of a kafkajs Producer the publisher needs. */
export interface OutboxProducer {
  send(record: { topic: string; acks?: number; messages: { key: string; value: string; headers?: Record<string, string> }[] }): Promise<unknown>;
}

/**
 * Publishes up to `limit` outbox rows, oldest first (locked: two publishers
 * never send the same rows), acks=all, deleted in the same transaction once
 * the broker has them. At least once: consumers de-duplicate by event id.
 */
export async function publishInvoiceOutbox(db: Database, producer: OutboxProducer, limit = 500): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: bigint; topic: string; message_key: string; payload: InvoiceEvent } & Record<string, unknown>>(sql`
      SELECT id, topic, message_key, payload FROM invoice_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`);
    if (rows.rows.length === 0) return 0;
    const byTopic = new Map<string, typeof rows.rows>();
    for (const row of rows.rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    for (const [topic, records] of byTopic) {
      await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.message_key, value: JSON.stringify(r.payload),
        headers: { 'event-type': r.payload.type, 'correlation-id': r.payload.correlationId } })) });
    }
    await tx.execute(sql`DELETE FROM invoice_outbox WHERE id = ANY(${sql.param(rows.rows.map((r) => r.id))}::bigint[])`);
    return rows.rows.length;
  });
}

/**
 * The ledger outbox publisher: reads the oldest outbox records (locked, so
 * two publishers never send the same rows at once), sends them to Kafka with
 * acks=all, and deletes them in the same transaction once the broker has
 * them. A crash between the ack and the commit sends them again: delivery is
 * at least once, and every event carries a unique id for consumers to
 * de-duplicate. Kafka transactions are not used (the local broker cannot).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';
import { ledgerMetrics } from './metrics.ts';

/** The slice of a kafkajs Producer the publisher needs. */
export interface OutboxProducer {
  send(record: { topic: string; acks?: number; messages: { key: string; value: string; headers?: Record<string, string> }[] }): Promise<unknown>;
}

interface OutboxRow {
  id: bigint;
  topic: string;
  message_key: string;
  payload: { type?: string } & Record<string, unknown>;
}

/** Publishes up to `limit` records, oldest first; returns how many. */
export async function publishOutbox(db: Database, producer: OutboxProducer, limit = 500): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<OutboxRow & Record<string, unknown>>(sql`
      SELECT id, topic, message_key, payload FROM ledger_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`);
    if (rows.rows.length === 0) return 0;
    const byTopic = new Map<string, OutboxRow[]>();
    for (const row of rows.rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    for (const [topic, records] of byTopic) {
      await producer.send({
        topic, acks: -1,
        messages: records.map((r) => ({ key: r.message_key, value: JSON.stringify(r.payload), headers: { 'event-type': String(r.payload.type ?? '') } })),
      });
    }
    await tx.execute(sql`DELETE FROM ledger_outbox WHERE id = ANY(${sql.param(rows.rows.map((r) => r.id))}::bigint[])`);
    ledgerMetrics.outboxPublished.inc(rows.rows.length);
    return rows.rows.length;
  });
}

export async function outboxBacklog(db: Database): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ledger_outbox`);
  return rows.rows[0]?.n ?? 0;
}

/**
 * The running usage state in Postgres (`rater_usage_state`): loaded per
 * partition when the rater takes the partition, and written — only the
 * entries a batch changed — in the batch's checkpoint transaction, so state
 * and offsets always describe the same point of the log.
 */
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import type { Tx } from '../ledger/index.ts';
import { encodeUsageState, usageStateFromEntries, type UsageStateEntry } from './usage-state.ts';

/** The partition's state as bytes for a worker (rater/usage-state.ts). */
export async function loadPartitionUsageState(db: Database, topic: string, partition: number): Promise<Uint8Array> {
  const rows = await db.select({
    customerId: schema.raterUsageState.customerId,
    meterId: schema.raterUsageState.meterId,
    periodStart: schema.raterUsageState.periodStart,
    quantityNanos: schema.raterUsageState.quantityNanos,
  }).from(schema.raterUsageState)
    .where(and(eq(schema.raterUsageState.topic, topic), eq(schema.raterUsageState.partition, partition)));
  return encodeUsageState(usageStateFromEntries(rows));
}

const UPSERT_ROWS_MAX = 1000;

export async function saveUsageStateChanges(tx: Tx, topic: string, partition: number, changes: readonly UsageStateEntry[]): Promise<void> {
  for (let i = 0; i < changes.length; i += UPSERT_ROWS_MAX) {
    const rows = changes.slice(i, i + UPSERT_ROWS_MAX).map((c) => ({ topic, partition, ...c }));
    await tx.insert(schema.raterUsageState).values(rows).onConflictDoUpdate({
      target: [schema.raterUsageState.topic, schema.raterUsageState.customerId, schema.raterUsageState.meterId, schema.raterUsageState.periodStart],
      set: { quantityNanos: sql`excluded.quantity_nanos`, partition: sql`excluded.partition`, updatedAt: sql`now()` },
    });
  }
}

/** A customer's running quantity of a meter in a period (0 when nothing was rated). */
export async function usageQuantityNanos(db: Database, customerId: string, meterId: string, periodStart: string): Promise<bigint> {
  const rows = await db.select({ quantityNanos: schema.raterUsageState.quantityNanos }).from(schema.raterUsageState)
    .where(and(eq(schema.raterUsageState.customerId, customerId), eq(schema.raterUsageState.meterId, meterId),
      eq(schema.raterUsageState.periodStart, periodStart)));
  return rows.reduce((sum, r) => sum + BigInt(r.quantityNanos), 0n);
}

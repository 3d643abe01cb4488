/**
 * The rater's progress in Postgres: the topic's log epoch and, per partition,
 * the next offset to rate. A checkpoint advances in the same transaction as
 * the batch's ledger transfers, and only forward.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import type { Tx } from '../ledger/index.ts';

export interface TopicProgress {
  epoch: string;
  nextOffsets: Map<number, bigint>;
}

export async function readProgress(db: Database, topic: string): Promise<TopicProgress> {
  await db.insert(schema.raterTopics).values({ topic, epoch: randomUUID().slice(0, 8) }).onConflictDoNothing();
  const [topicRow] = await db.select().from(schema.raterTopics).where(eq(schema.raterTopics.topic, topic));
  const rows = await db.select().from(schema.raterCheckpoints).where(eq(schema.raterCheckpoints.topic, topic));
  return { epoch: topicRow!.epoch, nextOffsets: new Map(rows.map((r) => [r.partition, r.nextOffset])) };
}

/**
 * Starts a new log epoch: for a log that was reset (records gone, offsets
 * restarting at 0), never for a live one. Returns the new epoch.
 */
export async function startNewEpoch(db: Database, topic: string, epoch: string = randomUUID().slice(0, 8)): Promise<string> {
  await db.transaction(async (tx) => {
    await tx.delete(schema.raterCheckpoints).where(eq(schema.raterCheckpoints.topic, topic));
    await tx.insert(schema.raterTopics).values({ topic, epoch }).onConflictDoUpdate({ target: schema.raterTopics.topic, set: { epoch } });
  });
  return epoch;
}

export class CheckpointConflictError extends Error {}

/**
 * Locks the partition's checkpoint, checks nobody else moved it past
 * `expectedNextOffset` (a rebalance), and advances it to `nextOffset`.
 */
export async function advanceCheckpoint(tx: Tx, topic: string, partition: number, expectedNextOffset: bigint | undefined, nextOffset: bigint): Promise<void> {
  const [current] = await tx.select().from(schema.raterCheckpoints)
    .where(and(eq(schema.raterCheckpoints.topic, topic), eq(schema.raterCheckpoints.partition, partition))).for('update');
  if ((current?.nextOffset) !== expectedNextOffset) {
    throw new CheckpointConflictError(`checkpoint of ${topic}/${partition} is at ${current?.nextOffset ?? 'none'}, expected ${expectedNextOffset ?? 'none'}`);
  }
  if (current && nextOffset <= current.nextOffset) {
    throw new CheckpointConflictError(`checkpoint of ${topic}/${partition} would move back from ${current.nextOffset} to ${nextOffset}`);
  }
  await tx.insert(schema.raterCheckpoints).values({ topic, partition, nextOffset })
    .onConflictDoUpdate({ target: [schema.raterCheckpoints.topic, schema.raterCheckpoints.partition], set: { nextOffset, updatedAt: sql`now()` } });
}

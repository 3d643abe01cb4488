/**
 * Detects a Kafka log that was reset under the rater (the in-memory dev broker
 * restarted: every partition's high watermark is below the checkpoint) and
 * starts a new log epoch, so new offsets never alias old ones. For the
 * embedded single-node broker only; against a real cluster a checkpoint ahead
 * of the log is an incident, surfaced by the rater's offset-gap error.
 */
import type { Kafka } from 'kafkajs';
import type { Database } from '../platform/postgres.ts';
import { readProgress, startNewEpoch } from './checkpoints.ts';

export async function startNewEpochIfLogWasReset(kafka: Kafka, db: Database, topic: string): Promise<string | undefined> {
  const progress = await readProgress(db, topic);
  if (progress.nextOffsets.size === 0) return undefined;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const reset = offsets.some((o) => {
      const checkpoint = progress.nextOffsets.get(o.partition);
      return checkpoint !== undefined && BigInt(o.high) < checkpoint;
    });
    return reset ? await startNewEpoch(db, topic) : undefined;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The embedded dev broker keeps its log in memory: each start is a new log
 * whose offsets begin again at 0. scripts/infra.ts names every start with a
 * random incarnation id; the rater uses it as its log epoch, so dedup tokens
 * and ledger references of a new log never alias those of an old one (a
 * reused epoch made ClickHouse drop the new log's first batches as
 * "duplicates"). Against a real cluster the epoch is created once and kept.
 */
import type { Database } from '../platform/postgres.ts';
import { readProgress, startNewEpoch } from './checkpoints.ts';

/** Returns the new epoch when the broker is a new incarnation, else undefined. */
export async function adoptBrokerIncarnation(db: Database, topic: string, incarnation: string): Promise<string | undefined> {
  const progress = await readProgress(db, topic);
  if (progress.epoch === incarnation) return undefined;
  return startNewEpoch(db, topic, incarnation);
}

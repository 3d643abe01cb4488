/**
 * The rater: a kafkajs consumer group on `usage.events`. The main thread only
 * moves record bytes and offsets; Piscina workers decode and price. Per batch:
 *   1. skip records below the Postgres checkpoint (already rated),
 *   2. rate in a worker,
 *   3. drop rows and charges of events rated before (duplicates by source + id),
 *   4. insert rows into ClickHouse with deterministic dedup tokens,
 *   5. in one Postgres transaction: wallet debits, the running usage state the
 *      batch changed, entitlement crossings (quota outbox) + checkpoint advance,
 *   6. commit the Kafka offset (only a hint; Postgres is the truth),
 *   7. publish new `quota.exceeded` events from the outbox.
 * A crash between any two steps replays the batch and converges to one copy.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Kafka, Producer } from 'kafkajs';
import type { Consumer } from '../platform/kafka.ts';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import { counter, gauge, histogram, LATENCY_BUCKETS_SECONDS, SIZE_BUCKETS } from '../platform/metrics.ts';
import { postUsageDebits } from '../ledger/index.ts';
import { loadCatalog } from './catalog.ts';
import { shareCatalog, type SharedCatalog } from './catalog-transport.ts';
import { publishQuotaCrossings, recordQuotaCrossings } from './quota-outbox.ts';
import { loadPartitionUsageState, saveUsageStateChanges } from './usage-state-store.ts';
import { advanceCheckpoint, CheckpointConflictError, readProgress } from './checkpoints.ts';
import { writeBatchRows } from './clickhouse-writer.ts';
import type { RateTask, RateTaskResult } from './rate-task.ts';
import { aggregateDebits } from './rate-events.ts';
import { findEarlierCopies } from './duplicate-check.ts';

export interface RaterOptions {
  kafka: Kafka;
  db: Database;
  clickhouse: ClickHouseClient;
  log: Logger;
  topic: string;
  groupId: string;
  workerThreads: number;
  /** How long a loaded catalog is reused before it is read again. */
  catalogRefreshMs?: number;
  /** How often unpublished `quota.exceeded` events are looked for (besides right after a batch found some). */
  quotaPublishIntervalMs?: number;
}

const metrics = {
  events: counter('tollgate_rater_events_total', 'events rated or stored raw, by outcome', ['outcome']),
  batchRecords: histogram('tollgate_rater_batch_records', 'Kafka records per rated batch', SIZE_BUCKETS),
  batchSeconds: histogram('tollgate_rater_batch_seconds', 'time to rate and persist one batch', LATENCY_BUCKETS_SECONDS),
  lag: gauge('tollgate_rater_consumer_lag_records', 'records behind the high watermark', ['partition']),
  checkpointAt: gauge('tollgate_rater_checkpoint_timestamp_seconds', 'when a checkpoint last advanced', ['partition']),
  problems: counter('tollgate_rater_problems_total', 'loud errors: offset gaps, corrupt records, conflicts', ['kind']),
  quotaExceeded: counter('tollgate_rater_quota_exceeded_total', 'entitlement limits reached (recorded once each)'),
  quotaPublished: counter('tollgate_rater_quota_events_published_total', 'quota.exceeded events sent to Kafka'),
};

export class OffsetGapError extends Error {}

export class RaterService {
  /** One single-thread pool per worker: a partition always goes to the same worker, which holds its usage state. */
  private readonly pools: Piscina<RateTask, RateTaskResult>[];
  private readonly consumer: Consumer;
  private checkpoints = new Map<number, bigint>();
  private epoch = '';
  private catalog: { value: SharedCatalog; loadedAtMs: number } | undefined;
  private readonly catalogRefreshMs: number;
  /**
   * Per partition: which generation of its running usage state the worker
   * holds (`loadId:counter`, counter = batches committed since the load), and
   * the bytes loaded from Postgres until a worker has taken them.
   */
  private readonly usageStates = new Map<number, { loadId: string; counter: number; bytes: Uint8Array | null }>();
  private quotaProducer: Producer | undefined;
  private quotaTimer: NodeJS.Timeout | undefined;
  private quotaPublishing: Promise<void> | undefined;
  private running = false;

  constructor(private readonly options: RaterOptions) {
    this.catalogRefreshMs = options.catalogRefreshMs ?? 2000;
    this.pools = Array.from({ length: options.workerThreads }, () => new Piscina<RateTask, RateTaskResult>({
      filename: fileURLToPath(new URL('./rate-worker-entry.mjs', import.meta.url)),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: 60_000,
    }));
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 5000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      // Keep below one record batch's worst case so the mock broker never stalls (see DESIGN §10).
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    await this.reloadProgress();
    this.quotaProducer = this.options.kafka.producer({ allowAutoTopicCreation: false });
    await this.quotaProducer.connect();
    this.quotaTimer = setInterval(() => this.publishQuotaEvents(), this.options.quotaPublishIntervalMs ?? 1000);
    this.quotaTimer.unref();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(2, this.options.workerThreads * 2),
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const partition = batch.partition;
        await this.rateBatch(partition, batch.messages);
        const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
        resolveOffset(lastOffset);
        const last = BigInt(lastOffset);
        metrics.lag.set({ partition: String(partition) }, Number(BigInt(batch.highWatermark) - last - 1n));
        await this.consumer.commitOffsets([{ topic: this.options.topic, partition, offset: (last + 1n).toString() }]);
        await heartbeat();
      },
    });
    this.running = true;
    this.options.log.info({ topic: this.options.topic, groupId: this.options.groupId, workers: this.options.workerThreads }, 'rater started');
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect(); // waits for the batch in hand to finish
    clearInterval(this.quotaTimer);
    await this.quotaPublishing;
    await this.quotaProducer?.disconnect();
    await Promise.all(this.pools.map((pool) => pool.destroy()));
  }

  private async reloadProgress(): Promise<void> {
    const progress = await readProgress(this.options.db, this.options.topic);
    this.epoch = progress.epoch;
    this.checkpoints = progress.nextOffsets;
    // Another owner may have moved the state along with the checkpoints.
    this.usageStates.clear();
  }

  private async partitionUsageState(partition: number, reload = false): Promise<{ loadId: string; counter: number; bytes: Uint8Array | null }> {
    let state = this.usageStates.get(partition);
    if (!state || reload) {
      const bytes = await loadPartitionUsageState(this.options.db, this.options.topic, partition);
      state = { loadId: randomUUID(), counter: 0, bytes };
      this.usageStates.set(partition, state);
    }
    return state;
  }

  /** Sends what the outbox holds; one run at a time, errors logged (the next tick retries). */
  private publishQuotaEvents(): void {
    const producer = this.quotaProducer;
    if (!producer || this.quotaPublishing) return;
    this.quotaPublishing = (async () => {
      try {
        let sent: number;
        do {
          sent = await publishQuotaCrossings(this.options.db, producer);
          metrics.quotaPublished.inc(sent);
        } while (sent > 0);
      } catch (err) {
        metrics.problems.inc({ kind: 'quota_publish' });
        this.options.log.warn({ err }, 'publishing quota.exceeded failed; retrying on the next tick');
      } finally {
        this.quotaPublishing = undefined;
      }
    })();
  }

  private async currentCatalog(): Promise<SharedCatalog> {
    const now = Date.now();
    if (!this.catalog || now - this.catalog.loadedAtMs > this.catalogRefreshMs) {
      const loaded = await loadCatalog(this.options.db);
      // Encoded only when it changed: workers keep their index for an unchanged version.
      const value = this.catalog?.value.version === loaded.version ? this.catalog.value : shareCatalog(loaded);
      this.catalog = { value, loadedAtMs: now };
    }
    return this.catalog.value;
  }

  private async rateBatch(partition: number, allMessages: { offset: string; value: Buffer | null }[]): Promise<void> {
    const { topic } = this.options;
    const checkpoint = this.checkpoints.get(partition);
    const messages = checkpoint === undefined ? allMessages : allMessages.filter((m) => BigInt(m.offset) >= checkpoint);
    if (messages.length === 0) return;
    const firstOffset = BigInt(messages[0]!.offset);
    if (checkpoint !== undefined && firstOffset > checkpoint) {
      metrics.problems.inc({ kind: 'offset_gap' });
      // Records between the checkpoint and this batch are gone (retention, or a
      // reset broker). Never skip silently: stop here until an operator acts.
      throw new OffsetGapError(`${topic}/${partition}: next offset to rate is ${checkpoint} but the broker returned ${firstOffset}; records were lost upstream`);
    }
    const stopTimer = metrics.batchSeconds.startTimer();
    try {
      await this.rateAndCommit(partition, messages, checkpoint, firstOffset);
    } catch (err) {
      // The state bytes in hand may be ahead of Postgres: reload them with the batch's retry.
      this.usageStates.delete(partition);
      throw err;
    }
    stopTimer();
  }

  private async rateAndCommit(partition: number, messages: { offset: string; value: Buffer | null }[], checkpoint: bigint | undefined, firstOffset: bigint): Promise<void> {
    const { topic, log } = this.options;
    const catalog = await this.currentCatalog();
    const pool = this.pools[partition % this.pools.length]!;
    const rate = async (ratedEarlier: string[]): Promise<RateTaskResult> => {
      for (let attempt = 0; attempt < 2; attempt++) {
        // A miss (the worker restarted) is answered once with the state from Postgres.
        const state = await this.partitionUsageState(partition, attempt > 0);
        const task = this.buildTask(partition, messages, catalog, ratedEarlier, state);
        const result = await pool.run(task, { transferList: [task.records] });
        if (!result.stateMiss) {
          state.bytes = null; // the worker holds it now
          return result;
        }
        metrics.problems.inc({ kind: 'usage_state_miss' });
      }
      throw new Error(`the rating worker of partition ${partition} did not take its usage state`);
    };
    let result = await rate([]);
    for (const corrupt of result.corruptRecords) {
      metrics.problems.inc({ kind: 'corrupt_record' });
      log.error({ topic, partition, offset: corrupt.offset, error: corrupt.error }, 'Kafka record is not a valid event batch; kept in Kafka, not rated');
    }
    const lastOffset = messages[messages.length - 1]!.offset;
    const reference = `${topic}@${this.epoch}:${partition}:${firstOffset}-${lastOffset}`;
    // Events rated before (retries, replays) are neither stored nor charged again.
    const earlierCopies = result.ratedEvents.length > 0
      ? await findEarlierCopies(this.options.clickhouse, result.ratedEvents, this.epoch) : new Set<string>();
    // Rare (SDK retries, replays): rate the batch again without them, so they
    // add to neither rows, charges nor the running state of later events.
    if (earlierCopies.size > 0) result = await rate([...earlierCopies]);
    await writeBatchRows(this.options.clickhouse, reference, { rawJson: result.rawJson, ratedJson: result.ratedJson });
    const debits = aggregateDebits(result.charges);
    const nextOffset = BigInt(lastOffset) + 1n;
    let newCrossings = 0;
    try {
      await this.options.db.transaction(async (tx) => {
        await postUsageDebits(tx, debits, reference);
        await saveUsageStateChanges(tx, topic, partition, result.usageStateChanges);
        newCrossings = await recordQuotaCrossings(tx, result.crossings);
        await advanceCheckpoint(tx, topic, partition, checkpoint, nextOffset);
      });
    } catch (err) {
      if (err instanceof CheckpointConflictError) {
        metrics.problems.inc({ kind: 'checkpoint_conflict' });
        await this.reloadProgress();
      }
      throw err;
    }
    this.checkpoints.set(partition, nextOffset);
    const state = this.usageStates.get(partition);
    if (state) state.counter += 1;
    if (newCrossings > 0) {
      metrics.quotaExceeded.inc(newCrossings);
      this.publishQuotaEvents();
    }
    metrics.checkpointAt.set({ partition: String(partition) }, Date.now() / 1000);
    metrics.batchRecords.observe(messages.length);
    metrics.events.inc({ outcome: 'rated' }, result.ratedCount);
    if (earlierCopies.size > 0) metrics.events.inc({ outcome: 'duplicate_of_earlier_batch' }, earlierCopies.size);
    for (const [reason, count] of Object.entries(result.skipCounts)) metrics.events.inc({ outcome: reason }, count);
    if (result.skipSamples.length > 0) log.debug({ samples: result.skipSamples }, 'events stored raw, not rated');
  }

  private buildTask(partition: number, messages: { offset: string; value: Buffer | null }[], catalog: SharedCatalog,
    ratedEarlier: string[], state: { loadId: string; counter: number; bytes: Uint8Array | null }): RateTask {
    const lengths = new Uint32Array(messages.length);
    const offsets = new Float64Array(messages.length);
    let total = 0;
    messages.forEach((m, i) => {
      lengths[i] = m.value?.length ?? 0;
      offsets[i] = Number(m.offset);
      total += lengths[i]!;
    });
    const records = new ArrayBuffer(total);
    const view = new Uint8Array(records);
    let position = 0;
    for (const m of messages) {
      if (m.value) view.set(m.value, position);
      position += m.value?.length ?? 0;
    }
    return {
      catalog, ratedEarlier, epoch: this.epoch, partition, records, recordLengths: lengths, recordOffsets: offsets,
      stateGeneration: `${state.loadId}:${state.counter}`, nextStateGeneration: `${state.loadId}:${state.counter + 1}`, usageState: state.bytes,
    };
  }
}

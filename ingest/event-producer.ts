/**
 * Batches validated events into Kafka records, one record per partition per
 * linger window (msgpack array of WireEvent), and resolves each caller only
 * once Kafka acknowledged (acks = all) every record holding its events.
 *
 * Bounds: at most `batchEventsMax` events per record, at most `queueEventsMax`
 * events waiting or in flight (past that `publish` throws OverloadedError
 * without enqueuing anything), one produce request in flight per partition so
 * records of a partition are appended in order.
 */
import { Packr } from 'msgpackr';
import { counter, gauge, histogram, LATENCY_BUCKETS_SECONDS, SIZE_BUCKETS } from '../platform/metrics.ts';
import { WIRE_SCHEMA_VERSION, type WireEvent } from '../schemas/event.ts';
import { partitionFor } from './partitioner.ts';
import type { RecordSender } from './record-sender.ts';

export class OverloadedError extends Error {
  constructor(readonly queuedEvents: number, readonly queueEventsMax: number) {
    super(`ingest queue holds ${queuedEvents} events (limit ${queueEventsMax})`);
  }
}

export class KafkaUnavailableError extends Error {}

export interface EventProducerOptions {
  topic: string;
  partitionCount: number;
  lingerMs: number;
  batchEventsMax: number;
  queueEventsMax: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined); // a rejection is observed by whoever awaits it
  return { promise, resolve, reject };
}

interface OpenBatch {
  events: WireEvent[];
  acked: Deferred;
}

interface PartitionLane {
  open: OpenBatch | undefined;
  sealed: OpenBatch[];
  lingerTimer: NodeJS.Timeout | undefined;
  sending: boolean;
}

const metrics = {
  recordEvents: histogram('tollgate_ingest_record_events', 'events per Kafka record', SIZE_BUCKETS),
  produceSeconds: histogram('tollgate_ingest_produce_seconds', 'Kafka produce latency (until acks=all)', LATENCY_BUCKETS_SECONDS),
  produceFailures: counter('tollgate_ingest_produce_failures_total', 'Kafka produce requests that failed'),
  queuedEvents: gauge('tollgate_ingest_queued_events', 'events waiting for or in flight to Kafka'),
};

export class EventProducer {
  private readonly lanes: PartitionLane[];
  private readonly packr = new Packr({ useRecords: true });
  private queuedEvents = 0;

  constructor(private readonly producer: RecordSender, private readonly options: EventProducerOptions) {
    this.lanes = Array.from({ length: options.partitionCount }, () => ({ open: undefined, sealed: [], lingerTimer: undefined, sending: false }));
  }

  get queued(): number {
    return this.queuedEvents;
  }

  /** Resolves when Kafka has every event; rejects with KafkaUnavailableError otherwise. */
  publish(events: WireEvent[]): Promise<void> {
    if (this.queuedEvents + events.length > this.options.queueEventsMax) {
      throw new OverloadedError(this.queuedEvents, this.options.queueEventsMax);
    }
    this.queuedEvents += events.length;
    metrics.queuedEvents.set(this.queuedEvents);
    const waits = new Set<Promise<void>>();
    for (const event of events) {
      const partition = partitionFor(event.tenant, event.subject, this.options.partitionCount);
      const lane = this.lanes[partition]!;
      lane.open ??= { events: [], acked: deferred() };
      lane.open.events.push(event);
      waits.add(lane.open.acked.promise);
      if (lane.open.events.length >= this.options.batchEventsMax) this.seal(partition);
      else lane.lingerTimer ??= setTimeout(() => this.seal(partition), this.options.lingerMs);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Sends whatever is open now and waits for every in-flight record. */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (let partition = 0; partition < this.lanes.length; partition++) {
      const lane = this.lanes[partition]!;
      if (lane.open) pending.push(lane.open.acked.promise);
      for (const batch of lane.sealed) pending.push(batch.acked.promise);
      this.seal(partition);
    }
    await Promise.allSettled(pending);
  }

  private seal(partition: number): void {
    const lane = this.lanes[partition]!;
    if (lane.lingerTimer) clearTimeout(lane.lingerTimer);
    lane.lingerTimer = undefined;
    if (lane.open) lane.sealed.push(lane.open);
    lane.open = undefined;
    this.pump(partition);
  }

  private pump(partition: number): void {
    const lane = this.lanes[partition]!;
    if (lane.sending || lane.sealed.length === 0) return;
    const batches = lane.sealed.splice(0);
    lane.sending = true;
    this.send(partition, batches).finally(() => {
      lane.sending = false;
      this.pump(partition);
    });
  }

  private async send(partition: number, batches: OpenBatch[]): Promise<void> {
    const ingestedAt = String(Date.now());
    const messages = batches.map((batch) => {
      metrics.recordEvents.observe(batch.events.length);
      return {
        partition,
        key: String(partition),
        // Copied into a buffer of its own: msgpackr hands out views of a buffer it reuses, and a
        // producer thread takes the bytes by transfer.
        value: new Uint8Array(this.packr.pack(batch.events)),
        headers: { 'schema-version': WIRE_SCHEMA_VERSION, 'ingested-at': ingestedAt, 'event-count': String(batch.events.length) },
      };
    });
    const eventCount = batches.reduce((sum, batch) => sum + batch.events.length, 0);
    const stopTimer = metrics.produceSeconds.startTimer();
    try {
      await this.producer.send({ topic: this.options.topic, acks: -1, timeout: 10_000, messages });
      for (const batch of batches) batch.acked.resolve();
    } catch (err) {
      metrics.produceFailures.inc();
      const failure = new KafkaUnavailableError(`Kafka did not acknowledge ${eventCount} events: ${err instanceof Error ? err.message : String(err)}`);
      for (const batch of batches) batch.acked.reject(failure);
    } finally {
      stopTimer();
      this.queuedEvents -= eventCount;
      metrics.queuedEvents.set(this.queuedEvents);
    }
  }
}

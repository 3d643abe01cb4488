/**
 * The shape of a rating task crossing to and from a Piscina worker. The main
 * thread sends Kafka record bytes (one transferred ArrayBuffer) and offsets
 * only; the worker decodes, rates and returns ClickHouse-ready JSONEachRow
 * bytes (transferred back) plus the per-event prepaid charges.
 */
import type { SharedCatalog } from './catalog-transport.ts';
import type { PrepaidCharge, QuotaCrossing, RatingSkip } from './rate-events.ts';
import type { UsageStateEntry } from './usage-state.ts';

export interface RatedEventKey {
  identity: string;
  tenant: string;
  subject: string;
  source: string;
  id: string;
  offset: number;
}

export interface RateTask {
  /** Shared, encoded once per version (catalog-transport.ts). */
  catalog: SharedCatalog;
  /**
   * The partition's running usage lives in the worker that owns the partition
   * (rate-worker.ts); the service names the generation it expects and sends the
   * state bytes only when the worker cannot have it (first batch, after a reload).
   */
  stateGeneration: string;
  /** The generation the worker's state will have after this batch commits. */
  nextStateGeneration: string;
  /** Full state bytes (usage-state.ts), or null to use the worker's own. */
  usageState: Uint8Array | null;
  /** Identities of events rated in an earlier batch: stored raw, not rated, not counted into the state. */
  ratedEarlier: string[];
  /** The topic's log epoch, stored with each rated row. */
  epoch: string;
  partition: number;
  /** Kafka record values back to back. */
  records: ArrayBuffer;
  /** Byte length of each record in `records`. */
  recordLengths: Uint32Array;
  /** Kafka offset of each record. */
  recordOffsets: Float64Array;
}

export interface RateTaskResult {
  rawJson: Uint8Array;
  ratedJson: Uint8Array;
  /** Byte offset where each rated row's line ends in `ratedJson` (one per row). */
  ratedLineEnds: Uint32Array;
  /** Identity (tenant, source, id) of each rated row's event, parallel to `ratedLineEnds`. */
  ratedRowIdentities: string[];
  /** Each rated event once: what the duplicate check asks ClickHouse about. */
  ratedEvents: RatedEventKey[];
  rawCount: number;
  ratedCount: number;
  /** Per-event prepaid charges; duplicates of earlier batches are removed before debiting. */
  charges: PrepaidCharge[];
  skipCounts: Partial<Record<RatingSkip['reason'], number>>;
  /** A few skipped events, for logs. */
  skipSamples: RatingSkip[];
  /** The worker did not hold the expected state generation (restarted): nothing was rated; send the bytes. */
  stateMiss: boolean;
  /** The entries the batch changed, for the checkpoint transaction. */
  usageStateChanges: UsageStateEntry[];
  /** Entitlement limits reached in this batch. */
  crossings: QuotaCrossing[];
  /** Records whose bytes were not a valid event batch: a loud error upstream. */
  corruptRecords: { offset: number; error: string }[];
}

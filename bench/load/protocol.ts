/** Messages between the bench (parent) and its load generator process (child). */
import type { BatchSpec } from '../events.ts';
import type { Percentiles } from '../stats.ts';

export type BodySource =
  /** The same body on every request (ceilings). */
  | { kind: 'static'; body: string }
  /** `requests` distinct bodies prepared before the clock starts (every event id unique). */
  | { kind: 'unique'; requests: number; batch: BatchSpec };

export interface LoadSpec {
  url: string;
  contentType: string;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  connections: number;
  /** Time-bounded (`seconds`) or amount-bounded (`requests`, then `seconds` is the hard limit). */
  seconds: number;
  requests?: number;
  warmupSeconds: number;
  bodies: BodySource;
  /** Sum `accepted` from JSON bodies of 2xx answers (ingest's reply). */
  countAccepted: boolean;
  /** Per-request timeout. */
  requestTimeoutSeconds: number;
}

export interface LoadResult {
  /** Date.now() when the first request went out and when the last answer came. */
  startedAtMs: number;
  finishedAtMs: number;
  wallSeconds: number;
  responses: number;
  responses2xx: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Sum of `accepted` over 2xx answers, when counted. */
  acceptedEvents: number | null;
  bodyBytesAvg: number;
  latencyMs: Percentiles;
  /** CPU of the load generator during the measured phase (% of one core). */
  cpuPercent: number;
}

export type ParentMessage = { type: 'prepare'; spec: LoadSpec } | { type: 'go' };
export type ChildMessage =
  | { type: 'ready'; bodies: number; bodyBytesAvg: number }
  /** Warm-up done: the measured phase starts now. */
  | { type: 'measuring' }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

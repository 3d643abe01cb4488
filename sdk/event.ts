/**
 * Completing and checking an event before it is buffered. The shape is
 * `UsageEventSchema` from schemas/event.ts, the same schema ingest compiles,
 * so an event the SDK lets through fails at the server only on checks the
 * schema cannot express (data limits, calendar dates).
 */
import { monotonicFactory } from 'ulid';
import type { UsageEvent } from '../schemas/event.ts';
import { firstViolation, isUsageEvent } from '../schemas/event-check.ts';
import type { ErrorCode } from '../schemas/errors.ts';

/** What a caller passes to `ingest()`: a usage event whose envelope fields the SDK fills in when absent. */
export type EventInput = Omit<UsageEvent, 'specversion' | 'id' | 'source'> & {
  specversion?: '1.0';
  /** Idempotency key: the server counts one event per (source, id). Default: a new ULID. */
  id?: string;
  /** Default: the client's `source` option. */
  source?: string;
};


// Monotonic within a millisecond, so ids of one client sort in ingest order.
const nextUlid = monotonicFactory();

export function newEventId(nowMs: number): string {
  return nextUlid(nowMs);
}

/**
 * Fills the envelope. `time` defaults to the moment of `ingest()`, not of the
 * (later, maybe retried) send, so buffering and retries do not move usage in time.
 */
export function completeEvent(input: EventInput, defaults: { source: string; now: Date }): UsageEvent {
  return {
    ...input,
    specversion: input.specversion ?? '1.0',
    id: input.id ?? newEventId(defaults.now.getTime()),
    source: input.source ?? defaults.source,
    time: input.time ?? defaults.now.toISOString(),
  };
}

export interface LocalRejection {
  code: ErrorCode;
  field: string;
  message: string;
}

/** The first schema violation, coded like ingest's rejections; undefined when the event is valid. */
export function checkEvent(event: unknown): LocalRejection | undefined {
  if (isUsageEvent(event)) return undefined;
  const violation = firstViolation(event);
  return { ...violation, message: `${violation.field || 'event'}: ${violation.message}` };
}


/**
 * Completing and checking an event before it is buffered. The shape is
 * `UsageEventSchema` from schemas/event.ts, the same schema ingest compiles,
 * so an event the SDK lets through fails at the server only on checks the
 * schema cannot express (data limits, calendar dates).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { monotonicFactory } from 'ulid';
import { UsageEventSchema, type UsageEvent } from '../schemas/event.ts';
import type { ErrorCode } from '../schemas/errors.ts';

/** What a caller passes to `ingest()`: a usage event whose envelope fields the SDK fills in when absent. */
export type EventInput = Omit<UsageEvent, 'specversion' | 'id' | 'source'> & {
  specversion?: '1.0';
  /** Idempotency key: the server counts one event per (source, id). Default: a new ULID. */
  id?: string;
  /** Default: the client's `source` option. */
  source?: string;
};

const compiled = TypeCompiler.Compile(UsageEventSchema);

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
  if (compiled.Check(event)) return undefined;
  const first = compiled.Errors(event).First();
  if (!first) return { code: 'TG_EVENT_FIELD_INVALID', field: '', message: 'the event does not match the usage event schema' };
  const field = first.path.replace(/^\//, '').replace(/\//g, '.');
  return { code: codeFor(first), field, message: `${field || 'event'}: ${first.message}` };
}

function codeFor(error: ValueError): ErrorCode {
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty: return 'TG_EVENT_FIELD_MISSING';
    case ValueErrorType.StringMaxLength: return 'TG_EVENT_FIELD_TOO_LONG';
    case ValueErrorType.StringMinLength: return 'TG_EVENT_FIELD_EMPTY';
    case ValueErrorType.StringPattern:
    case ValueErrorType.Literal: return 'TG_EVENT_FIELD_FORMAT';
    case ValueErrorType.String:
    case ValueErrorType.Object: return 'TG_EVENT_FIELD_TYPE';
    default: return 'TG_EVENT_FIELD_INVALID';
  }
}

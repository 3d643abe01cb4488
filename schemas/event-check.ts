/**
 * The usage event schema compiled once (TypeBox), with its violations mapped
 * to Tollgate's error codes. Ingest and the SDK both check events with this,
 * so a client sees locally the same code the server would answer.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { ErrorCode } from './errors.ts';
import { UsageEventSchema, type UsageEvent } from './event.ts';

const compiled = TypeCompiler.Compile(UsageEventSchema);

export interface SchemaViolation {
  code: ErrorCode;
  /** Dot path of the offending field, e.g. `data.tokens`; empty for the event itself. */
  field: string;
  message: string;
}

export function isUsageEvent(value: unknown): value is UsageEvent {
  return compiled.Check(value);
}

function codeFor(error: ValueError): ErrorCode {
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty: return 'TG_EVENT_FIELD_MISSING';
    case ValueErrorType.StringMaxLength: return 'TG_EVENT_FIELD_TOO_LONG';
    case ValueErrorType.StringMinLength: return 'TG_EVENT_FIELD_EMPTY';
    case ValueErrorType.StringPattern:
    case ValueErrorType.Literal: return 'TG_EVENT_FIELD_FORMAT';
    case ValueErrorType.String:
    case ValueErrorType.Object:
    case ValueErrorType.Number: return 'TG_EVENT_FIELD_TYPE';
    default: return 'TG_EVENT_FIELD_INVALID';
  }
}

/** The first violation of a value that is not a usage event (call after `isUsageEvent` said no). */
export function firstViolation(value: unknown): SchemaViolation {
  const first = compiled.Errors(value).First();
  if (!first) return { code: 'TG_EVENT_FIELD_INVALID', field: '', message: 'the event does not match the usage event schema' };
  return { code: codeFor(first), field: first.path.replace(/^\//, '').replace(/\//g, '.'), message: first.message };
}

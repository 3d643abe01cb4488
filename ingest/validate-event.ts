/**
 * Per-event validation compiled once from schemas/event.ts (TypeBox), then the
 * conversion to the Kafka wire form. Returns a coded rejection naming the field.
 */
import type { UsageEvent, WireEvent } from '../schemas/event.ts';
import { firstViolation, isUsageEvent } from '../schemas/event-check.ts';
import type { ErrorCode, EventRejection } from '../schemas/errors.ts';
import { MalformedLine } from './parse-body.ts';

/** Date.parse rolls 2026-02-30 over to March 2; a usage time must name a real day. */
function isRealCalendarDate(time: string): boolean {
  // Every month has 28 days: only days 29–31 need the calendar (hot path: one char compare).
  if (time.charCodeAt(8) < 0x32 || (time.charCodeAt(8) === 0x32 && time.charCodeAt(9) < 0x39)) return true;
  const year = Number(time.slice(0, 4));
  const month = Number(time.slice(5, 7));
  const day = Number(time.slice(8, 10));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/** Bounds on an event's `data`, beyond the envelope limits of the schema. */
export interface DataLimits {
  propertiesMax: number;
  stringLengthMax: number;
  depthMax: number;
}

export const DEFAULT_DATA_LIMITS: DataLimits = { propertiesMax: 256, stringLengthMax: 8192, depthMax: 8 };

type DataProblem = { code: ErrorCode; field: string; message: string } | undefined;

/**
 * Walks `data` once, depth first, counting properties (all levels) and
 * checking string lengths and depth. Hot path: no allocation per property
 * beyond the path string of a reported problem.
 */
function checkData(data: Record<string, unknown>, limits: DataLimits): DataProblem {
  const counter = { properties: 0 };
  return checkValue(data, 1, limits, counter, () => 'data');
}

function checkValue(value: unknown, depth: number, limits: DataLimits, counter: { properties: number }, path: () => string): DataProblem {
  if (typeof value === 'string') {
    if (value.length <= limits.stringLengthMax) return undefined;
    return { code: 'TG_EVENT_DATA_STRING_TOO_LONG', field: path(), message: `${path()} is ${value.length} characters; the limit is ${limits.stringLengthMax}` };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > limits.depthMax) return { code: 'TG_EVENT_DATA_TOO_DEEP', field: path(), message: `${path()} nests deeper than ${limits.depthMax} levels` };
  const object = value as Record<string, unknown>;
  for (const name in object) {
    counter.properties += 1;
    if (counter.properties > limits.propertiesMax) {
      return { code: 'TG_EVENT_DATA_TOO_MANY_PROPERTIES', field: 'data', message: `data holds more than ${limits.propertiesMax} properties` };
    }
    const child = object[name];
    if (typeof child !== 'string' && (child === null || typeof child !== 'object')) continue;
    const problem = checkValue(child, depth + 1, limits, counter, () => `${path()}.${name}`);
    if (problem) return problem;
  }
  return undefined;
}

export type Validated = { ok: true; event: WireEvent } | { ok: false; rejection: EventRejection };

export function validateEvent(candidate: unknown, index: number, tenant: string, nowMs: number, limits: DataLimits = DEFAULT_DATA_LIMITS): Validated {
  if (candidate instanceof MalformedLine) {
    return { ok: false, rejection: { index, code: 'TG_BODY_MALFORMED', field: '', message: `line ${candidate.lineNumber} is not valid JSON: ${candidate.reason}` } };
  }
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    return { ok: false, rejection: { index, code: 'TG_EVENT_NOT_OBJECT', field: '', message: 'an event must be an object' } };
  }
  if (!isUsageEvent(candidate)) return { ok: false, rejection: { index, ...firstViolation(candidate) } };
  const event = candidate as UsageEvent;
  if (event.data !== undefined) {
    const problem = checkData(event.data, limits);
    if (problem) return { ok: false, rejection: { index, ...problem } };
  }
  let timeMs = nowMs;
  if (event.time !== undefined) {
    timeMs = Date.parse(event.time);
    if (Number.isNaN(timeMs) || !isRealCalendarDate(event.time)) {
      return { ok: false, rejection: { index, code: 'TG_EVENT_FIELD_FORMAT', field: 'time', message: 'time is not a real date' } };
    }
  }
  return {
    ok: true,
    event: {
      tenant,
      id: event.id,
      source: event.source,
      type: event.type,
      subject: event.subject,
      timeMs,
      ingestedAtMs: nowMs,
      data: event.data ?? {},
    },
  };
}

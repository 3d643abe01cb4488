import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS } from '../schemas/event.ts';
import type { ErrorCode } from '../schemas/errors.ts';
import { MalformedLine } from './parse-body.ts';
import { validateEvent } from './validate-event.ts';

const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const VALID = { specversion: '1.0', id: 'ev-1', source: 'gateway-7', type: 'api.request', subject: 'cust-42' } as const;

/** VALID with fields replaced; a field set to undefined is removed, not sent as undefined. */
function eventWith(patch: Record<string, unknown>): Record<string, unknown> {
  const candidate: Record<string, unknown> = { ...VALID, ...patch };
  for (const [k, v] of Object.entries(candidate)) if (v === undefined) delete candidate[k];
  return candidate;
}

describe('validateEvent rejects', () => {
  const rows: { candidate: unknown; code: ErrorCode; field: string; why: string }[] = [
    // Required fields, one at a time.
    { candidate: eventWith({ specversion: undefined }), code: 'TG_EVENT_FIELD_MISSING', field: 'specversion', why: 'specversion is required by CloudEvents' },
    { candidate: eventWith({ id: undefined }), code: 'TG_EVENT_FIELD_MISSING', field: 'id', why: 'id is the deduplication key' },
    { candidate: eventWith({ source: undefined }), code: 'TG_EVENT_FIELD_MISSING', field: 'source', why: 'source scopes the id' },
    { candidate: eventWith({ type: undefined }), code: 'TG_EVENT_FIELD_MISSING', field: 'type', why: 'type selects the meters' },
    { candidate: eventWith({ subject: undefined }), code: 'TG_EVENT_FIELD_MISSING', field: 'subject', why: 'subject names the customer' },
    { candidate: {}, code: 'TG_EVENT_FIELD_MISSING', field: 'specversion', why: 'an empty object is missing its first field' },
    // Wrong types.
    { candidate: eventWith({ id: 5 }), code: 'TG_EVENT_FIELD_TYPE', field: 'id', why: 'a numeric id is not a string' },
    { candidate: eventWith({ source: true }), code: 'TG_EVENT_FIELD_TYPE', field: 'source', why: 'a boolean source is not a string' },
    { candidate: eventWith({ type: null }), code: 'TG_EVENT_FIELD_TYPE', field: 'type', why: 'null is not a type name' },
    { candidate: eventWith({ subject: { id: 1 } }), code: 'TG_EVENT_FIELD_TYPE', field: 'subject', why: 'an object subject is not a string' },
    { candidate: eventWith({ time: 1_700_000_000_000 }), code: 'TG_EVENT_FIELD_TYPE', field: 'time', why: 'epoch numbers are not RFC 3339 strings' },
    { candidate: eventWith({ data: 'tokens=5' }), code: 'TG_EVENT_FIELD_TYPE', field: 'data', why: 'data must be an object to be metered' },
    { candidate: eventWith({ data: [1, 2] }), code: 'TG_EVENT_FIELD_TYPE', field: 'data', why: 'an array is not a data object' },
    { candidate: eventWith({ data: null }), code: 'TG_EVENT_FIELD_TYPE', field: 'data', why: 'null data is not an object (omit it instead)' },
    { candidate: eventWith({ datacontenttype: 5 }), code: 'TG_EVENT_FIELD_TYPE', field: 'datacontenttype', why: 'optional attributes are type-checked too' },
    // Formats.
    { candidate: eventWith({ specversion: '0.3' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'specversion', why: 'only CloudEvents 1.0 is accepted' },
    { candidate: eventWith({ specversion: 1 }), code: 'TG_EVENT_FIELD_FORMAT', field: 'specversion', why: 'the number 1 is not the string "1.0"' },
    { candidate: eventWith({ specversion: '1.0 ' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'specversion', why: 'specversion matches exactly' },
    { candidate: eventWith({ type: 'api request' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'type', why: 'spaces are not allowed in a type' },
    { candidate: eventWith({ time: '2026-11-23 10:00:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'RFC 3339 needs the T separator' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'a time without offset is ambiguous' },
    { candidate: eventWith({ time: '2026-11-23' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'a date alone is not a time' },
    { candidate: eventWith({ time: '23/11/2026 10:00' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'local date formats are refused' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00.1234567890Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'more than 9 fractional digits' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00+0100' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'the offset needs its colon' },
    // Well-formed but impossible times.
    { candidate: eventWith({ time: '2026-13-01T00:00:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'there is no 13th month' },
    { candidate: eventWith({ time: '2026-00-10T00:00:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'there is no month 0' },
    { candidate: eventWith({ time: '2026-11-32T00:00:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'no month has 32 days' },
    { candidate: eventWith({ time: '2026-11-23T25:00:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'there is no hour 25' },
    { candidate: eventWith({ time: '2026-11-23T10:60:00Z' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'there is no minute 60' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00+25:00' }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', why: 'there is no +25:00 offset' },
    // Lengths.
    { candidate: eventWith({ id: 'x'.repeat(EVENT_LIMITS.idLengthMax + 1) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'id', why: 'id is bounded' },
    { candidate: eventWith({ source: 'x'.repeat(EVENT_LIMITS.sourceLengthMax + 1) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'source', why: 'source is bounded' },
    { candidate: eventWith({ type: 'x'.repeat(EVENT_LIMITS.typeLengthMax + 1) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'type', why: 'type is bounded' },
    { candidate: eventWith({ subject: 'x'.repeat(EVENT_LIMITS.subjectLengthMax + 1) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'subject', why: 'subject is bounded' },
    { candidate: eventWith({ datacontenttype: 'x'.repeat(129) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'datacontenttype', why: 'datacontenttype is bounded at 128' },
    { candidate: eventWith({ dataschema: 'x'.repeat(513) }), code: 'TG_EVENT_FIELD_TOO_LONG', field: 'dataschema', why: 'dataschema is bounded at 512' },
    { candidate: eventWith({ id: '' }), code: 'TG_EVENT_FIELD_EMPTY', field: 'id', why: 'an empty id cannot deduplicate' },
    { candidate: eventWith({ subject: '' }), code: 'TG_EVENT_FIELD_EMPTY', field: 'subject', why: 'an empty subject names no customer' },
    // Not an object at all.
    { candidate: null, code: 'TG_EVENT_NOT_OBJECT', field: '', why: 'null is not an event' },
    { candidate: 42, code: 'TG_EVENT_NOT_OBJECT', field: '', why: 'a number is not an event' },
    { candidate: 'event', code: 'TG_EVENT_NOT_OBJECT', field: '', why: 'a string is not an event' },
    { candidate: true, code: 'TG_EVENT_NOT_OBJECT', field: '', why: 'a boolean is not an event' },
    { candidate: [VALID], code: 'TG_EVENT_NOT_OBJECT', field: '', why: 'a nested array is not an event' },
    { candidate: new MalformedLine(4, 'Unexpected token'), code: 'TG_BODY_MALFORMED', field: '', why: 'an unparseable NDJSON line is rejected as its own event' },
  ];

  for (const { candidate, code, field, why } of rows) {
    it(`${code}${field ? ` on ${field}` : ''}: ${why}`, () => {
      const result = validateEvent(candidate, 7, 'tenant-a', NOW_MS);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.rejection).toMatchObject({ index: 7, code, field });
      expect(result.rejection.message).not.toBe('');
    });
  }

  // BUG: Date.parse in V8 rolls a day past the end of the month over into the
  // next month (as long as the day is <= 31), so these times, which match
  // RFC3339_PATTERN, are accepted and silently moved: 2026-02-30 becomes
  // 2026-03-02. The module means to reject them ("time is not a real date").
  const impossibleDays: { time: string; why: string }[] = [
    { time: '2026-02-30T10:00:00Z', why: 'February never has 30 days (accepted as 2026-03-02)' },
    { time: '2026-02-29T10:00:00Z', why: '2026 is not a leap year (accepted as 2026-03-01)' },
    { time: '2026-04-31T00:00:00Z', why: 'April has 30 days (accepted as 2026-05-01)' },
  ];
  for (const { time, why } of impossibleDays) {
    it(`TG_EVENT_FIELD_FORMAT on time: ${why}`, () => {
      const result = validateEvent(eventWith({ time }), 0, 'tenant-a', NOW_MS);
      expect(result).toMatchObject({ ok: false, rejection: { code: 'TG_EVENT_FIELD_FORMAT', field: 'time' } });
    });
  }

  it('says which NDJSON line was malformed and why', () => {
    const result = validateEvent(new MalformedLine(4, 'Unexpected token'), 2, 'tenant-a', NOW_MS);
    expect(!result.ok && result.rejection.message).toBe('line 4 is not valid JSON: Unexpected token');
  });

  it('says the date is not real when the pattern matches but the calendar does not', () => {
    const result = validateEvent(eventWith({ time: '2026-13-01T00:00:00Z' }), 0, 'tenant-a', NOW_MS);
    expect(!result.ok && result.rejection.message).toBe('time is not a real date');
  });
});

describe('validateEvent accepts', () => {
  const rows: { candidate: Record<string, unknown>; timeMs: number; why: string }[] = [
    { candidate: eventWith({}), timeMs: NOW_MS, why: 'without time, the event happened when ingest received it' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00Z' }), timeMs: Date.UTC(2026, 10, 23, 10), why: 'a UTC time is taken as is' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00.123Z' }), timeMs: Date.UTC(2026, 10, 23, 10, 0, 0, 123), why: 'milliseconds are kept' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00.123456789Z' }), timeMs: Date.UTC(2026, 10, 23, 10, 0, 0, 123), why: 'nanoseconds are truncated to milliseconds' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00+05:30' }), timeMs: Date.UTC(2026, 10, 23, 4, 30), why: 'an offset converts to UTC' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00-08:00' }), timeMs: Date.UTC(2026, 10, 23, 18), why: 'a negative offset converts to UTC' },
    { candidate: eventWith({ time: '2028-02-29T00:00:00Z' }), timeMs: Date.UTC(2028, 1, 29), why: '2028 is a leap year' },
    { candidate: eventWith({ time: '2026-11-23T10:00:00Z', extension: 'x', traceparent: '00-abc' }), timeMs: Date.UTC(2026, 10, 23, 10), why: 'CloudEvents extension attributes are allowed' },
    { candidate: eventWith({ id: 'x'.repeat(EVENT_LIMITS.idLengthMax), subject: 's'.repeat(EVENT_LIMITS.subjectLengthMax) }), timeMs: NOW_MS, why: 'strings exactly at their limit' },
  ];

  for (const { candidate, timeMs, why } of rows) {
    it(`takes timeMs ${timeMs}: ${why}`, () => {
      const result = validateEvent(candidate, 0, 'tenant-a', NOW_MS);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.event.timeMs).toBe(timeMs);
    });
  }

  it('converts to the wire form with the tenant, ingest time and data, dropping other attributes', () => {
    const data = { usage: { tokens: 12 }, model: 'm' };
    const result = validateEvent(eventWith({ time: '2026-11-23T10:00:00Z', data, datacontenttype: 'application/json', extension: 'x' }), 0, 'tenant-a', NOW_MS);
    expect(result).toEqual({
      ok: true,
      event: {
        tenant: 'tenant-a', id: 'ev-1', source: 'gateway-7', type: 'api.request', subject: 'cust-42',
        timeMs: Date.UTC(2026, 10, 23, 10), ingestedAtMs: NOW_MS, data,
      },
    });
  });

  it('defaults absent data to an empty object', () => {
    const result = validateEvent(eventWith({}), 0, 'tenant-b', NOW_MS);
    expect(result).toEqual({
      ok: true,
      event: { tenant: 'tenant-b', id: 'ev-1', source: 'gateway-7', type: 'api.request', subject: 'cust-42', timeMs: NOW_MS, ingestedAtMs: NOW_MS, data: {} },
    });
  });

  it('takes the tenant from the caller, never from the event body', () => {
    const result = validateEvent(eventWith({ tenant: 'someone-else' }), 0, 'tenant-a', NOW_MS);
    expect(result.ok && result.event.tenant).toBe('tenant-a');
  });
});

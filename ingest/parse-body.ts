/**
 * Turns a request body into candidate events, by content type. Only the
 * envelope is checked here (well-formed, one event or an array, batch length);
 * each event is validated on its own afterwards so good events survive bad
 * neighbours.
 */
import { unpack } from 'msgpackr';
import type { ApiError } from '../schemas/errors.ts';

export type ParsedBody = { ok: true; candidates: unknown[] } | { ok: false; status: number; error: ApiError };

export type BodyFormat = 'json' | 'ndjson' | 'msgpack';

const FORMAT_BY_MEDIA_TYPE: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/cloudevents+json': 'json',
  'application/cloudevents-batch+json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/msgpack': 'msgpack',
  'application/x-msgpack': 'msgpack',
  'application/vnd.msgpack': 'msgpack',
};

export function bodyFormat(contentType: string): BodyFormat | undefined {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === '' ? 'json' : FORMAT_BY_MEDIA_TYPE[mediaType];
}

export const SUPPORTED_MEDIA_TYPES = Object.keys(FORMAT_BY_MEDIA_TYPE);

function malformed(message: string): ParsedBody {
  return { ok: false, status: 400, error: { code: 'TG_BODY_MALFORMED', message } };
}

function parseNdjson(text: string): ParsedBody {
  const candidates: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      candidates.push(JSON.parse(line));
    } catch (err) {
      // One unparseable line cannot be attributed to an event index reliably
      // for its neighbours' sake, so it becomes a rejected candidate.
      candidates.push(new MalformedLine(i + 1, err instanceof Error ? err.message : String(err)));
    }
  }
  return { ok: true, candidates };
}

/** An NDJSON line that is not JSON: rejected as its own event, neighbours kept. */
export class MalformedLine {
  constructor(readonly lineNumber: number, readonly reason: string) {}
}

export function parseBody(format: BodyFormat, body: Buffer, batchLengthMax: number): ParsedBody {
  if (body.length === 0) return { ok: false, status: 400, error: { code: 'TG_BODY_EMPTY', message: 'the request body is empty' } };
  let parsed: unknown;
  if (format === 'ndjson') {
    const result = parseNdjson(body.toString('utf8'));
    if (!result.ok) return result;
    parsed = result.candidates;
  } else if (format === 'json') {
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return malformed(`body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    try {
      parsed = unpack(body);
    } catch (err) {
      return malformed(`body is not valid msgpack: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const candidates = Array.isArray(parsed) ? parsed : [parsed];
  if (!Array.isArray(parsed) && (parsed === null || typeof parsed !== 'object')) {
    return { ok: false, status: 400, error: { code: 'TG_BODY_NOT_EVENTS', message: 'expected one event object or an array of events' } };
  }
  if (candidates.length === 0) return { ok: false, status: 400, error: { code: 'TG_BODY_EMPTY', message: 'the batch holds no events' } };
  if (candidates.length > batchLengthMax) {
    return { ok: false, status: 413, error: { code: 'TG_BATCH_TOO_LONG', message: `${candidates.length} events in one request; the limit is ${batchLengthMax}` } };
  }
  return { ok: true, candidates };
}

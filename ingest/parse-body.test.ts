import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../schemas/errors.ts';
import { bodyFormat, MalformedLine, parseBody, SUPPORTED_MEDIA_TYPES, type BodyFormat } from './parse-body.ts';

describe('bodyFormat', () => {
  const rows: { contentType: string; format: BodyFormat | undefined; why: string }[] = [
    { contentType: 'application/json', format: 'json', why: 'plain JSON' },
    { contentType: 'application/json; charset=utf-8', format: 'json', why: 'parameters after ; are ignored' },
    { contentType: 'Application/JSON; Charset=UTF-8', format: 'json', why: 'media types are case-insensitive' },
    { contentType: '  application/json  ;charset=utf-8', format: 'json', why: 'whitespace around the media type is ignored' },
    { contentType: 'application/cloudevents+json', format: 'json', why: 'CloudEvents structured mode is JSON' },
    { contentType: 'application/cloudevents-batch+json; charset=utf-8', format: 'json', why: 'CloudEvents batch mode is a JSON array' },
    { contentType: 'application/x-ndjson', format: 'ndjson', why: 'the common NDJSON name' },
    { contentType: 'application/ndjson', format: 'ndjson', why: 'NDJSON without x-' },
    { contentType: 'APPLICATION/JSONL; charset=utf-8', format: 'ndjson', why: 'JSON Lines, any case, with a charset' },
    { contentType: 'application/msgpack', format: 'msgpack', why: 'msgpack' },
    { contentType: 'application/x-msgpack', format: 'msgpack', why: 'the older msgpack name' },
    { contentType: 'application/vnd.msgpack', format: 'msgpack', why: 'the registered msgpack name' },
    { contentType: '', format: 'json', why: 'no Content-Type defaults to JSON (curl -d without -H)' },
    { contentType: '; charset=utf-8', format: 'json', why: 'only parameters, no media type, also defaults to JSON' },
    { contentType: 'text/plain', format: undefined, why: 'text is not an event format' },
    { contentType: 'application/xml', format: undefined, why: 'XML is not supported' },
    { contentType: 'application/json-seq', format: undefined, why: 'a similar-looking name is not accepted' },
    { contentType: 'multipart/form-data; boundary=x', format: undefined, why: 'form uploads are not events' },
  ];

  for (const { contentType, format, why } of rows) {
    it(`maps ${JSON.stringify(contentType)} to ${format ?? 'no format'}: ${why}`, () => {
      expect(bodyFormat(contentType)).toBe(format);
    });
  }

  it('recognises every media type it advertises as supported', () => {
    for (const mediaType of SUPPORTED_MEDIA_TYPES) expect(bodyFormat(mediaType)).toBeDefined();
  });
});

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const A = { specversion: '1.0', id: 'a', source: 's', type: 't', subject: 'x' };
const B = { ...A, id: 'b' };
const C = { ...A, id: 'c' };

describe('parseBody accepts', () => {
  const rows: { format: BodyFormat; body: Buffer; candidates: unknown[]; why: string }[] = [
    { format: 'json', body: text(JSON.stringify(A)), candidates: [A], why: 'one JSON event becomes a batch of one' },
    { format: 'json', body: text(JSON.stringify([A, B, C])), candidates: [A, B, C], why: 'a JSON array keeps its order' },
    { format: 'json', body: text(` \n${JSON.stringify([A])}\n `), candidates: [A], why: 'whitespace around JSON is fine' },
    { format: 'json', body: text('[1, "x", null]'), candidates: [1, 'x', null], why: 'array items are checked one by one later, so bad items do not sink the batch here' },
    { format: 'ndjson', body: text(`${JSON.stringify(A)}\n${JSON.stringify(B)}\n`), candidates: [A, B], why: 'one event per line, trailing newline allowed' },
    { format: 'ndjson', body: text(`${JSON.stringify(A)}\r\n\r\n  \n${JSON.stringify(B)}`), candidates: [A, B], why: 'CRLF and blank lines are skipped' },
    { format: 'ndjson', body: text(JSON.stringify(A)), candidates: [A], why: 'a single line without newline' },
    { format: 'ndjson', body: text('42\n"x"'), candidates: [42, 'x'], why: 'scalar lines are candidates too, rejected later per event' },
    { format: 'msgpack', body: pack(A), candidates: [A], why: 'one msgpack map becomes a batch of one' },
    { format: 'msgpack', body: pack([A, B, C]), candidates: [A, B, C], why: 'a msgpack array keeps its order' },
  ];

  for (const { format, body, candidates, why } of rows) {
    it(`${format}: ${why}`, () => {
      expect(parseBody(format, body, 100)).toEqual({ ok: true, candidates });
    });
  }

  it('keeps a bad NDJSON line as a MalformedLine candidate in its place, neighbours kept', () => {
    const body = text(`${JSON.stringify(A)}\n{"id": "b",\n\n${JSON.stringify(C)}\n`);
    const result = parseBody('ndjson', body, 100);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.candidates).toHaveLength(3);
    expect(result.candidates[0]).toEqual(A);
    expect(result.candidates[2]).toEqual(C);
    const bad = result.candidates[1];
    expect(bad).toBeInstanceOf(MalformedLine);
    // Line numbers are physical lines (1-based), so a client can find the line in its file.
    expect(bad).toMatchObject({ lineNumber: 2, reason: expect.any(String) });
  });

  it('numbers malformed lines by physical line, counting blank lines', () => {
    const result = parseBody('ndjson', text('\n\nnot json\n'), 100);
    expect(result.ok && result.candidates[0]).toMatchObject({ lineNumber: 3 });
  });

  it('accepts exactly batchLengthMax events', () => {
    expect(parseBody('json', text(JSON.stringify([A, B, C])), 3)).toEqual({ ok: true, candidates: [A, B, C] });
  });
});

describe('parseBody refuses', () => {
  const rows: { format: BodyFormat; body: Buffer; status: number; code: ErrorCode; why: string }[] = [
    { format: 'json', body: Buffer.alloc(0), status: 400, code: 'TG_BODY_EMPTY', why: 'an empty JSON body' },
    { format: 'ndjson', body: Buffer.alloc(0), status: 400, code: 'TG_BODY_EMPTY', why: 'an empty NDJSON body' },
    { format: 'msgpack', body: Buffer.alloc(0), status: 400, code: 'TG_BODY_EMPTY', why: 'an empty msgpack body' },
    { format: 'json', body: text('[]'), status: 400, code: 'TG_BODY_EMPTY', why: 'an empty JSON array holds no events' },
    { format: 'ndjson', body: text('\n \r\n\n'), status: 400, code: 'TG_BODY_EMPTY', why: 'NDJSON of blank lines holds no events' },
    { format: 'msgpack', body: pack([]), status: 400, code: 'TG_BODY_EMPTY', why: 'an empty msgpack array holds no events' },
    { format: 'json', body: text('{"id": "a",'), status: 400, code: 'TG_BODY_MALFORMED', why: 'truncated JSON' },
    { format: 'json', body: text(`${JSON.stringify(A)}\n${JSON.stringify(B)}`), status: 400, code: 'TG_BODY_MALFORMED', why: 'NDJSON sent as JSON is not one JSON value' },
    { format: 'json', body: text('not json'), status: 400, code: 'TG_BODY_MALFORMED', why: 'text that is not JSON' },
    { format: 'msgpack', body: pack([A, B]).subarray(0, 10), status: 400, code: 'TG_BODY_MALFORMED', why: 'truncated msgpack' },
    { format: 'msgpack', body: Buffer.concat([pack(A), pack(B)]), status: 400, code: 'TG_BODY_MALFORMED', why: 'two msgpack values back to back are not one body' },
    { format: 'json', body: text('42'), status: 400, code: 'TG_BODY_NOT_EVENTS', why: 'a JSON number is not an event' },
    { format: 'json', body: text('"event"'), status: 400, code: 'TG_BODY_NOT_EVENTS', why: 'a JSON string is not an event' },
    { format: 'json', body: text('null'), status: 400, code: 'TG_BODY_NOT_EVENTS', why: 'null is not an event' },
    { format: 'json', body: text('true'), status: 400, code: 'TG_BODY_NOT_EVENTS', why: 'a boolean is not an event' },
    { format: 'msgpack', body: pack(42), status: 400, code: 'TG_BODY_NOT_EVENTS', why: 'a msgpack scalar is not an event' },
    { format: 'json', body: text(JSON.stringify([A, B, C, A])), status: 413, code: 'TG_BATCH_TOO_LONG', why: 'a JSON array longer than the limit' },
    { format: 'ndjson', body: text([A, B, C, A].map((e) => JSON.stringify(e)).join('\n')), status: 413, code: 'TG_BATCH_TOO_LONG', why: 'more NDJSON lines than the limit' },
    { format: 'msgpack', body: pack([A, B, C, A]), status: 413, code: 'TG_BATCH_TOO_LONG', why: 'a msgpack array longer than the limit' },
  ];

  for (const { format, body, status, code, why } of rows) {
    it(`${format}: ${why} → ${status} ${code}`, () => {
      const result = parseBody(format, body, 3);
      expect(result).toMatchObject({ ok: false, status, error: { code } });
      if (!result.ok) expect(result.error.message).not.toBe('');
    });
  }

  it('names the count and the limit in TG_BATCH_TOO_LONG', () => {
    const result = parseBody('json', text(JSON.stringify([A, B, C, A])), 3);
    expect(!result.ok && result.error.message).toBe('4 events in one request; the limit is 3');
  });

  it('carries the parser\'s reason in TG_BODY_MALFORMED', () => {
    const result = parseBody('json', text('{"id": "a",'), 3);
    expect(!result.ok && result.error.message).toMatch(/^body is not valid JSON: /);
  });
});

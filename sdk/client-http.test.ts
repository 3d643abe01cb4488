/**
 * The client over HTTP against a local node:http server that the test
 * scripts (LocalIngestServer): this is the SDK's own unit test, so the server
 * answers whatever each case needs (429, 413, a dropped socket) on cue. The
 * real Tollgate node is exercised in sdk.integration.test.ts. Backoff sleeps
 * are injected and recorded, so no test waits out a delay or measures time.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RFC3339_PATTERN } from '../schemas/event.ts';
import { TollgateClient, type TollgateClientOptions } from './client.ts';
import { TollgateError, type DeliveryFailure, type RejectedEvent } from './errors.ts';
import type { EventInput } from './event.ts';
import { gate, LocalIngestServer, type RecordedRequest, type Reply } from './test-servers.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let server: LocalIngestServer;
const clients: TollgateClient[] = [];

beforeEach(async () => {
  server = await LocalIngestServer.start();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 1_000 })));
  await server.close();
});

interface Seen {
  rejected: RejectedEvent[];
  failed: DeliveryFailure[];
  dropped: { ids: string[]; reason: string }[];
  sleepsMs: number[];
}

function newClient(options: Partial<TollgateClientOptions> = {}): { client: TollgateClient; seen: Seen; exitEvents: EventEmitter } {
  const seen: Seen = { rejected: [], failed: [], dropped: [], sleepsMs: [] };
  const exitEvents = new EventEmitter();
  const client = new TollgateClient({
    baseUrl: server.url,
    batchEventsMax: 3,
    // Long enough never to fire in a test that does not mean it to.
    flushIntervalMs: 3_600_000,
    random: () => 0.5,
    sleep: async (ms) => { seen.sleepsMs.push(ms); },
    onRejected: (r) => seen.rejected.push(...r),
    onFailed: (f) => seen.failed.push(f),
    onDropped: (events, reason) => seen.dropped.push({ ids: events.map((e) => e.id), reason }),
    exitEvents,
    ...options,
  });
  clients.push(client);
  return { client, seen, exitEvents };
}

function usage(tokens: number, id?: string): EventInput {
  return { type: 'api_request', subject: 'cust_1', data: { tokens }, ...(id === undefined ? {} : { id }) };
}

function ids(request: RecordedRequest | undefined): string[] {
  return (request?.events ?? []).map((e) => e.id);
}

const accept = (request: RecordedRequest): Reply => ({ status: 202, body: { accepted: request.events?.length ?? 0, rejected: [] } });

describe('batching and flushing', () => {
  it('sends a batch as soon as it holds batchEventsMax events, msgpack-encoded, with ULID ids and the envelope filled in', async () => {
    const { client } = newClient();
    const returned = [client.ingest(usage(1)), client.ingest(usage(2)), client.ingest(usage(3))];
    const [request] = await server.requests.waitFor(1);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/msgpack' } });
    expect(ids(request)).toEqual(returned);
    expect(new Set(returned).size).toBe(3);
    for (const event of request!.events!) {
      expect(event.id).toMatch(ULID);
      expect(event.time).toMatch(new RegExp(RFC3339_PATTERN));
      expect(event).toMatchObject({ specversion: '1.0', source: 'tollgate-sdk', type: 'api_request', subject: 'cust_1' });
    }
    expect(request!.events!.map((e) => e.data)).toEqual([{ tokens: 1 }, { tokens: 2 }, { tokens: 3 }]);
  });

  it('keeps the id, source and time the caller gave, and sends JSON when asked to', async () => {
    const { client } = newClient({ encoding: 'json', source: 'billing-api' });
    client.ingest({ ...usage(1, 'evt-own-id'), source: 'edge-7', time: '2026-11-23T10:00:00.123Z' });
    client.ingest(usage(2));
    await client.flush();
    const [request] = server.requests.items;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.events?.[0]).toMatchObject({ id: 'evt-own-id', source: 'edge-7', time: '2026-11-23T10:00:00.123Z' });
    expect(request?.events?.[1]).toMatchObject({ source: 'billing-api' });
  });

  it('sends a partial batch once flushIntervalMs has passed since its first event, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = newClient({ flushIntervalMs: 1_000 });
    client.ingest(usage(1));
    await vi.advanceTimersByTimeAsync(999);
    expect(client.stats()).toMatchObject({ queued: 1, inFlight: 0 });
    await vi.advanceTimersByTimeAsync(1);
    expect(client.stats()).toMatchObject({ queued: 0, inFlight: 1 });
    const [request] = await server.requests.waitFor(1);
    expect(request?.events).toHaveLength(1);
  });

  it('flush() sends the partial batch and resolves once the server has answered for it', async () => {
    const { client } = newClient();
    client.ingest(usage(1));
    client.ingest(usage(2));
    await client.flush();
    expect(server.requests.items).toHaveLength(1);
    expect(client.stats()).toEqual({ queued: 0, inFlight: 0, accepted: 2, rejected: 0, failed: 0, dropped: 0 });
  });

  it('flush() also waits for batches already in flight, and not for events ingested after it', async () => {
    const answers = [gate(), gate()];
    server.reply = async (request, index) => {
      await answers[index]?.promise;
      return accept(request);
    };
    const { client } = newClient();
    for (let i = 0; i < 4; i++) client.ingest(usage(i));
    let flushed = false;
    const flushing = client.flush().then(() => { flushed = true; });
    await server.requests.waitFor(2);
    client.ingest(usage(99));
    answers[1]!.open();
    await vi.waitFor(() => expect(client.stats().accepted).toBe(1));
    expect(flushed).toBe(false);
    answers[0]!.open();
    await flushing;
    expect(client.stats()).toMatchObject({ accepted: 4 });
    expect(client.stats().queued + client.stats().inFlight).toBe(1);
  });

  it('keeps at most requestsInFlightMax requests in flight', async () => {
    const answers = [gate(), gate(), gate()];
    server.reply = async (request, index) => {
      await answers[index]?.promise;
      return accept(request);
    };
    const { client } = newClient({ batchEventsMax: 1, requestsInFlightMax: 2 });
    for (let i = 0; i < 5; i++) client.ingest(usage(i));
    await server.requests.waitFor(2);
    expect(client.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    answers[0]!.open();
    await server.requests.waitFor(3);
    expect(client.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    for (const answer of answers) answer.open();
    await client.flush();
    expect(server.requests.items.flatMap((r) => r.events ?? []).map((e) => e.data)).toHaveLength(5);
  });

  const authCases: { apiKey: string | undefined; expected: string | undefined }[] = [
    { apiKey: 'tg_live_123', expected: 'Bearer tg_live_123' },
    { apiKey: undefined, expected: undefined },
  ];
  it.each(authCases)('sends Authorization $expected for apiKey $apiKey', async ({ apiKey, expected }) => {
    const { client } = newClient(apiKey === undefined ? {} : { apiKey });
    client.ingest(usage(1));
    await client.flush();
    expect(server.requests.items[0]?.headers.authorization).toBe(expected);
  });
});

describe('retries', () => {
  it('retries a 503 after max(Retry-After, backoff) with the same event ids', async () => {
    server.reply = (request, index) => index === 0
      ? { status: 503, headers: { 'retry-after': '2' }, body: { error: { code: 'TG_KAFKA_UNAVAILABLE', message: 'no ack' }, accepted: 0 } }
      : accept(request);
    const { client, seen } = newClient();
    for (let i = 0; i < 3; i++) client.ingest(usage(i));
    await client.flush();
    // Retry-After 2 s beats the first backoff (0.5 × 100 ms).
    expect(seen.sleepsMs).toEqual([2_000]);
    const [first, second] = server.requests.items;
    expect(ids(second)).toEqual(ids(first));
    expect(client.stats()).toMatchObject({ accepted: 3, failed: 0 });
  });

  const transient: { name: string; reply: Reply }[] = [
    { name: '429', reply: { status: 429, body: { error: { code: 'TG_OVERLOADED', message: 'slow down' } } } },
    { name: '503 without Retry-After', reply: { status: 503, body: { error: { code: 'TG_OVERLOADED', message: 'queue full' } } } },
    { name: 'a dropped connection', reply: { destroy: true } },
  ];
  it.each(transient)('retries $name with backoff, then delivers', async ({ reply }) => {
    server.reply = (request, index) => (index === 0 ? reply : accept(request));
    const { client, seen } = newClient();
    client.ingest(usage(1));
    await client.flush();
    expect(seen.sleepsMs).toEqual([50]);
    expect(server.requests.items).toHaveLength(2);
    expect(client.stats()).toMatchObject({ accepted: 1, failed: 0 });
  });

  it('reports the events a 429 already rejected and retries only the others', async () => {
    server.reply = (request, index) => index === 0
      ? { status: 429, headers: { 'retry-after': '1' }, body: {
        error: { code: 'TG_RATE_LIMITED', message: 'over 5 events/s' }, accepted: 0,
        rejected: [{ index: 1, code: 'TG_EVENT_DATA_TOO_DEEP', field: 'data.a', message: 'too deep' }],
      } }
      : accept(request);
    const { client, seen } = newClient();
    const sent = [client.ingest(usage(1)), client.ingest(usage(2)), client.ingest(usage(3))];
    await client.flush();
    expect(seen.rejected.map((r) => [r.event.id, r.code])).toEqual([[sent[1], 'TG_EVENT_DATA_TOO_DEEP']]);
    expect(ids(server.requests.items[1])).toEqual([sent[0], sent[2]]);
    expect(seen.sleepsMs).toEqual([1_000]);
    expect(client.stats()).toMatchObject({ accepted: 2, rejected: 1, failed: 0 });
  });

  it('backs off exponentially and reports the batch as failed after attemptsMax attempts', async () => {
    server.reply = () => ({ status: 503, body: { error: { code: 'TG_OVERLOADED', message: 'queue full' } } });
    const { client, seen } = newClient({ retry: { attemptsMax: 4 } });
    for (let i = 0; i < 3; i++) client.ingest(usage(i));
    await client.flush();
    expect(seen.sleepsMs).toEqual([50, 100, 200]);
    expect(server.requests.items).toHaveLength(4);
    expect(seen.failed).toHaveLength(1);
    expect(seen.failed[0]).toMatchObject({ attempts: 4, error: { code: 'TG_OVERLOADED', status: 503, retryable: true } });
    expect(seen.failed[0]?.events).toHaveLength(3);
    expect(client.stats()).toMatchObject({ failed: 3, accepted: 0, queued: 0, inFlight: 0 });
  });

  it('never retries a 400: every rejected event is reported with its code and field', async () => {
    server.reply = () => ({
      status: 400,
      body: {
        error: { code: 'TG_ALL_EVENTS_REJECTED', message: 'all 2 events were rejected' }, accepted: 0,
        rejected: [
          { index: 0, code: 'TG_EVENT_DATA_TOO_DEEP', field: 'data.a', message: 'too deep' },
          { index: 1, code: 'TG_EVENT_FIELD_INVALID', field: 'time', message: 'no such day' },
        ],
      },
    });
    const { client, seen } = newClient();
    const sent = [client.ingest(usage(1)), client.ingest(usage(2))];
    await client.flush();
    expect(server.requests.items).toHaveLength(1);
    expect(seen.sleepsMs).toEqual([]);
    expect(seen.rejected.map((r) => [r.event.id, r.code, r.field])).toEqual([
      [sent[0], 'TG_EVENT_DATA_TOO_DEEP', 'data.a'],
      [sent[1], 'TG_EVENT_FIELD_INVALID', 'time'],
    ]);
    expect(client.stats()).toMatchObject({ rejected: 2, failed: 0, accepted: 0 });
  });

  it('reports the rejected events of a 202 and counts the others as accepted', async () => {
    server.reply = () => ({ status: 202, body: { accepted: 2, rejected: [{ index: 1, code: 'TG_EVENT_FIELD_TYPE', field: 'subject', message: 'not a string' }] } });
    const { client, seen } = newClient();
    const sent = [client.ingest(usage(1)), client.ingest(usage(2)), client.ingest(usage(3))];
    await client.flush();
    expect(seen.rejected).toEqual([{ event: expect.objectContaining({ id: sent[1] }), code: 'TG_EVENT_FIELD_TYPE', field: 'subject', message: 'not a string' }]);
    expect(client.stats()).toMatchObject({ accepted: 2, rejected: 1 });
  });

  const fatal: { name: string; reply: Reply; code: string }[] = [
    { name: '401', reply: { status: 401, body: { error: { code: 'TG_UNAUTHORIZED', message: 'bad key' } } }, code: 'TG_UNAUTHORIZED' },
    { name: '401 without a body', reply: { status: 401 }, code: 'TG_UNAUTHORIZED' },
    { name: '400 malformed body', reply: { status: 400, body: { error: { code: 'TG_BODY_MALFORMED', message: 'not msgpack' } } }, code: 'TG_BODY_MALFORMED' },
    { name: '415', reply: { status: 415, body: { error: { code: 'TG_CONTENT_TYPE_UNSUPPORTED', message: 'no' } } }, code: 'TG_CONTENT_TYPE_UNSUPPORTED' },
  ];
  it.each(fatal)('reports a $name as failed without retrying it', async ({ reply, code }) => {
    server.reply = () => reply;
    const { client, seen } = newClient();
    client.ingest(usage(1));
    await client.flush();
    expect(server.requests.items).toHaveLength(1);
    expect(seen.failed).toEqual([expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code, retryable: false }) })]);
  });

  it('halves a batch answered 413 until the parts fit, and rejects an event too large on its own', async () => {
    // The scripted server takes at most 2 events per request, and never the one marked big.
    server.reply = (request) => {
      const events = request.events ?? [];
      if (events.length > 2 || events.some((e) => e.data?.big === true)) {
        return { status: 413, body: { error: { code: 'TG_BODY_TOO_LARGE', message: 'too large' } } };
      }
      return accept(request);
    };
    const { client, seen } = newClient({ batchEventsMax: 5 });
    const sent = [0, 1, 2, 3, 4].map((i) => client.ingest({ ...usage(i), data: { tokens: i, big: i === 2 } }));
    await client.flush();
    expect(server.requests.items.map((r) => r.events?.length)).toEqual([5, 3, 2, 1, 2]);
    expect(seen.rejected.map((r) => [r.event.id, r.code])).toEqual([[sent[2], 'TG_BODY_TOO_LARGE']]);
    expect(client.stats()).toMatchObject({ accepted: 4, rejected: 1, failed: 0 });
    expect(seen.sleepsMs).toEqual([]);
  });
});

describe('bounded buffer', () => {
  /** bufferEventsMax 4, one request at a time, held: e1 e2 in flight, e3 e4 queued; then e5 arrives. */
  async function fullClient(overflow: TollgateClientOptions['overflow']): Promise<{ client: TollgateClient; seen: Seen; release: () => void; offer: () => void }> {
    const first = gate();
    server.reply = async (request, index) => {
      if (index === 0) await first.promise;
      return accept(request);
    };
    const { client, seen } = newClient({ batchEventsMax: 2, bufferEventsMax: 4, requestsInFlightMax: 1, ...(overflow ? { overflow } : {}) });
    for (const id of ['e1', 'e2', 'e3', 'e4']) client.ingest(usage(1, id));
    await server.requests.waitFor(1);
    return { client, seen, release: () => first.open(), offer: () => { client.ingest(usage(1, 'e5')); } };
  }

  const cases: { overflow: TollgateClientOptions['overflow']; throws: boolean; dropped: string[]; delivered: string[]; why: string }[] = [
    { overflow: undefined, throws: true, dropped: [], delivered: ['e1', 'e2', 'e3', 'e4'], why: 'the default refuses: no event is lost without the caller knowing' },
    { overflow: 'drop-newest', throws: false, dropped: ['e5'], delivered: ['e1', 'e2', 'e3', 'e4'], why: 'the new event is dropped and reported' },
    { overflow: 'drop-oldest', throws: false, dropped: ['e3'], delivered: ['e1', 'e2', 'e4', 'e5'], why: 'the oldest unsent event is dropped; e1, e2 are already sent' },
  ];
  it.each(cases)('overflow $overflow: $why', async ({ overflow, throws, dropped, delivered }) => {
    const { client, seen, release, offer } = await fullClient(overflow);
    if (throws) {
      expect(offer).toThrow(expect.objectContaining({ code: 'TG_SDK_BUFFER_FULL' }));
    } else {
      offer();
    }
    expect(seen.dropped).toEqual(dropped.length > 0 ? [{ ids: dropped, reason: 'overflow' }] : []);
    release();
    await client.flush();
    expect(server.requests.items.flatMap(ids)).toEqual(delivered);
    expect(client.stats()).toMatchObject({ accepted: 4, dropped: dropped.length });
  });

  it('waitForRoom() resolves once acknowledged events free the buffer', async () => {
    const { client, release } = await fullClient('throw');
    let roomy = false;
    const waiting = client.waitForRoom().then(() => { roomy = true; });
    await Promise.resolve();
    expect(roomy).toBe(false);
    release();
    await waiting;
    expect(() => client.ingest(usage(1, 'e5'))).not.toThrow();
  });

  it('waitForRoom() also resolves when the client closes, after which ingest() refuses with TG_SDK_CLOSED', async () => {
    const { client, release } = await fullClient('throw');
    const waiting = client.waitForRoom();
    const closing = client.close({ timeoutMs: 5_000 });
    await waiting;
    expect(() => client.ingest(usage(1, 'e5'))).toThrow(expect.objectContaining({ code: 'TG_SDK_CLOSED' }));
    release();
    await closing;
    expect(client.stats()).toMatchObject({ accepted: 4 });
  });

  it('refuses a buffer smaller than one batch', () => {
    expect(() => newClient({ batchEventsMax: 10, bufferEventsMax: 5 })).toThrow(expect.objectContaining({ code: 'TG_CONFIG_INVALID', field: 'bufferEventsMax' }));
  });
});

describe('lifecycle', () => {
  it('close() delivers what is buffered, then refuses ingest() with TG_SDK_CLOSED', async () => {
    const { client } = newClient();
    client.ingest(usage(1));
    await client.close();
    expect(client.stats()).toMatchObject({ accepted: 1, queued: 0 });
    expect(() => client.ingest(usage(2))).toThrow(expect.objectContaining({ code: 'TG_SDK_CLOSED' }));
  });

  it('close() gives up at its timeout: the unsent events are dropped, the in-flight ones fail with TG_SDK_CLOSED', async () => {
    server.reply = () => new Promise<Reply>(() => undefined);
    const { client, seen } = newClient({ batchEventsMax: 1, requestsInFlightMax: 1 });
    const sent = [client.ingest(usage(1)), client.ingest(usage(2))];
    await server.requests.waitFor(1);
    await client.close({ timeoutMs: 50 });
    expect(seen.dropped).toEqual([{ ids: [sent[1]], reason: 'closed' }]);
    expect(seen.failed).toEqual([expect.objectContaining({ events: [expect.objectContaining({ id: sent[0] })], error: expect.objectContaining({ code: 'TG_SDK_CLOSED' }) })]);
  });

  it('flushes when the event loop empties (beforeExit)', async () => {
    const { client, exitEvents } = newClient();
    client.ingest(usage(1));
    exitEvents.emit('beforeExit', 0);
    await server.requests.waitFor(1);
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 1 });
  });

  it('reports the events a process exit strands, in flight or queued', async () => {
    server.reply = () => new Promise<Reply>(() => undefined);
    const { client, seen, exitEvents } = newClient({ batchEventsMax: 1, requestsInFlightMax: 1 });
    const sent = [client.ingest(usage(1)), client.ingest(usage(2))];
    await server.requests.waitFor(1);
    exitEvents.emit('exit', 0);
    expect(seen.dropped).toEqual([{ ids: [sent[1], sent[0]], reason: 'exit' }]);
    await client.close({ timeoutMs: 10 });
  });

  it('stops listening to process events once closed', async () => {
    const { client, exitEvents } = newClient();
    expect(exitEvents.listenerCount('beforeExit')).toBe(1);
    await client.close();
    expect(exitEvents.listenerCount('beforeExit') + exitEvents.listenerCount('exit')).toBe(0);
  });

  const invalid: { name: string; event: EventInput; code: string; field: string }[] = [
    { name: 'a type with a space', event: { type: 'api request', subject: 'cust_1' }, code: 'TG_EVENT_FIELD_FORMAT', field: 'type' },
    { name: 'an empty subject', event: { type: 'api_request', subject: '' }, code: 'TG_EVENT_FIELD_EMPTY', field: 'subject' },
    { name: 'a time without offset', event: { type: 'api_request', subject: 'cust_1', time: '2026-11-23 10:00' }, code: 'TG_EVENT_FIELD_FORMAT', field: 'time' },
    { name: 'no subject', event: { type: 'api_request' } as EventInput, code: 'TG_EVENT_FIELD_MISSING', field: 'subject' },
  ];
  it.each(invalid)('rejects $name locally against schemas/event.ts, without buffering or sending it', async ({ event, code, field }) => {
    const { client, seen } = newClient();
    const id = client.ingest(event);
    await client.flush();
    expect(seen.rejected).toEqual([{ event: expect.objectContaining({ id }), code, field, message: expect.any(String) }]);
    expect(server.requests.items).toHaveLength(0);
  });
});

describe('read helpers', () => {
  const total = { subject: 'cust_1', meter: 'tokens', from: '2026-11-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z', quantity: '1200', amountMicros: '24000', currency: 'USD', events: 1,
    windowSize: null, groupBy: [], rows: [{ windowStart: null, windowEnd: null, subject: 'cust_1', meter: 'tokens', currency: 'USD', quantity: '1200', amountMicros: '24000', events: 1 }] };

  it('usage() asks /v1/usage with the query and returns the total', async () => {
    server.reply = () => ({ status: 200, body: total });
    const { client } = newClient({ apiKey: 'k' });
    const result = await client.usage({ subject: 'cust 1', meter: 'tokens', from: new Date(Date.UTC(2026, 10, 1)) });
    expect(result).toEqual(total);
    const [request] = server.requests.items;
    expect(request).toMatchObject({ method: 'GET', headers: { authorization: 'Bearer k' } });
    const url = new URL(request!.path, server.url);
    expect(url.pathname).toBe('/v1/usage');
    expect(Object.fromEntries(url.searchParams)).toEqual({ subject: 'cust 1', meter: 'tokens', from: '2026-11-01T00:00:00.000Z' });
  });

  it('usage() throws the server\'s coded error for a 400, without retrying', async () => {
    server.reply = () => ({ status: 400, body: { error: { code: 'TG_QUERY_PARAM_MISSING', message: 'subject is required', field: 'subject' } } });
    const { client } = newClient();
    const error = await client.usage({ subject: '', meter: 'tokens' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ code: 'TG_QUERY_PARAM_MISSING', field: 'subject', status: 400 });
    expect(server.requests.items).toHaveLength(1);
  });

  it('usage() retries a 503 like ingest does', async () => {
    server.reply = (_request, index) => (index === 0 ? { status: 503, body: { error: { code: 'TG_OVERLOADED', message: 'busy' } } } : { status: 200, body: total });
    const { client, seen } = newClient();
    expect(await client.usage({ subject: 'cust_1', meter: 'tokens' })).toEqual(total);
    expect(seen.sleepsMs).toEqual([50]);
  });

  it('checkAccess() asks /v1/entitlements/{subject}/{feature} and returns the answer', async () => {
    const answer = { subject: 'cust/1', feature: 'gpt-4o', hasAccess: true, enforcement: 'hard', limit: '100', usage: '57.5', remaining: '42.5',
      periodStart: '2026-11-01', periodEnd: '2026-12-01' };
    server.reply = () => ({ status: 200, body: answer });
    const { client } = newClient();
    expect(await client.checkAccess('cust/1', 'gpt-4o')).toEqual(answer);
    expect(server.requests.items[0]?.path).toBe('/v1/entitlements/cust%2F1/gpt-4o');
  });

  it('checkAccess() throws TG_SDK_UNEXPECTED_RESPONSE on an answer of another shape', async () => {
    server.reply = () => ({ status: 200, body: { hasAccess: true, remaining: 42 } });
    const { client } = newClient();
    await expect(client.checkAccess('cust_1', 'x')).rejects.toMatchObject({ code: 'TG_SDK_UNEXPECTED_RESPONSE' });
  });

  it('checkAccess() throws the server\'s code for an unknown subject or feature', async () => {
    server.reply = () => ({ status: 404, body: { error: { code: 'TG_NOT_FOUND', message: 'no meter x in this tenant' } } });
    const { client } = newClient();
    await expect(client.checkAccess('cust_1', 'x')).rejects.toMatchObject({ code: 'TG_NOT_FOUND', status: 404 });
  });
});

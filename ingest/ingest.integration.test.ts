/**
 * Ingest against the real broker and Postgres: API keys and tenancy, rate
 * limits, the WebSocket stream, a broker outage mid-load, and a fuzz run of
 * malformed bodies. The node here runs no rater: these tests read Kafka itself.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { schema } from '../platform/postgres.ts';
import { TOPICS, type WireEvent } from '../schemas/event.ts';
import { setBrokersDown } from '../scripts/infra.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { startTestNode, testConfig } from '../test/node-fixture.ts';
import { createApiKey, revokeApiKey } from './index.ts';

const TENANT = 'itest-ingest';
const OTHER_TENANT = 'itest-ingest-other';
let node: SingleNode;
let key: string;

function event(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id, source: 'itest-ingest', type: 'api_request', subject: 'cust-ingest', data: { tokens: 1 }, ...extra };
}

async function post(body: unknown, headers: Record<string, string> = {}, raw?: string | Buffer): Promise<{ status: number; json: any; headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${node.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Every event in usage.events, read by a fresh consumer group from the beginning up to today's end of each partition. */
async function eventsInKafka(): Promise<WireEvent[]> {
  const kafka = connectKafka(testConfig().kafkaBrokers, 'itest-ingest-reader', createLogger('silent', 'test'));
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(TOPICS.usageEvents);
  await admin.disconnect();
  const endOffset = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const readUpTo = new Map(offsets.map((o) => [o.partition, Number(o.low)]));
  const consumer = kafka.consumer({ groupId: `itest-ingest-reader-${Date.now()}`, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const unpackr = new Unpackr({ useRecords: true });
  const events: WireEvent[] = [];
  const caughtUp = (): boolean => [...endOffset].every(([partition, end]) => readUpTo.get(partition)! >= end);
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.usageEvents, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    if (caughtUp()) resolve();
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (Number(message.offset) < endOffset.get(partition)!) events.push(...(unpackr.unpack(message.value!) as WireEvent[]));
        readUpTo.set(partition, Number(message.offset) + 1);
        if (caughtUp()) resolve();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return events;
}

beforeAll(async () => {
  node = await startTestNode({ defaultTenant: TENANT, authMode: 'required' }, { rater: false });
  await node.postgres.db.insert(schema.tenants).values([{ id: TENANT, name: TENANT }, { id: OTHER_TENANT, name: OTHER_TENANT }]).onConflictDoNothing();
  key = (await createApiKey(node.postgres.db, TENANT, 'itest')).key;
});

afterAll(async () => {
  await node?.close();
});

describe('API keys', () => {
  it('refuses a request without a key, with a malformed key, with an unknown key and with a revoked key', async () => {
    const revoked = await createApiKey(node.postgres.db, TENANT, 'to revoke');
    expect(await revokeApiKey(node.postgres.db, revoked.key.split('_')[1]!)).toBe(true);
    const cases = [
      { authorization: '', why: 'no key' },
      { authorization: 'Bearer nonsense', why: 'malformed' },
      { authorization: `Bearer ${key.slice(0, -4)}AAAA`, why: 'right id, wrong secret' },
      { authorization: `Bearer ${revoked.key}`, why: 'revoked' },
    ];
    for (const { authorization } of cases) {
      const result = await post(event('evt-unauth'), { authorization });
      expect(result.status).toBe(401);
      expect(result.json.error.code).toBe('TG_UNAUTHORIZED');
    }
  });

  it('files events under the key\'s tenant, whatever the event says', async () => {
    const otherKey = (await createApiKey(node.postgres.db, OTHER_TENANT, 'other')).key;
    expect((await post(event('evt-tenant-a'))).status).toBe(202);
    expect((await post(event('evt-tenant-b', { tenant: TENANT }), { authorization: `Bearer ${otherKey}` })).status).toBe(202);
    const events = await eventsInKafka();
    expect(events.find((e) => e.id === 'evt-tenant-a')?.tenant).toBe(TENANT);
    expect(events.find((e) => e.id === 'evt-tenant-b')?.tenant).toBe(OTHER_TENANT);
  });

  it('answers 429 with Retry-After once a key passes its events per second', async () => {
    const slow = await createApiKey(node.postgres.db, TENANT, 'slow', 5);
    const first = await post([1, 2, 3, 4, 5].map((i) => event(`evt-rate-${i}`)), { authorization: `Bearer ${slow.key}` });
    expect(first.status).toBe(202);
    const second = await post([event('evt-rate-6')], { authorization: `Bearer ${slow.key}` });
    expect(second.status).toBe(429);
    expect(second.json.error.code).toBe('TG_RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('event data limits', () => {
  it.each([
    { name: 'too many properties', data: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, i])), code: 'TG_EVENT_DATA_TOO_MANY_PROPERTIES', field: 'data' },
    { name: 'a string too long', data: { model: 'x'.repeat(9000) }, code: 'TG_EVENT_DATA_STRING_TOO_LONG', field: 'data.model' },
    { name: 'nesting too deep', data: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } }, code: 'TG_EVENT_DATA_TOO_DEEP', field: 'data.a.b.c.d.e.f.g.h' },
  ])('rejects $name with $code and keeps the good neighbour', async ({ data, code, field }) => {
    const result = await post([event('evt-limit-good'), event('evt-limit-bad', { data })]);
    expect(result.status).toBe(202);
    expect(result.json).toEqual({ accepted: 1, rejected: [{ index: 1, code, field, message: expect.any(String) }] });
  });

  it('answers 413 for a body over the byte limit', async () => {
    const result = await post(undefined, {}, JSON.stringify(event('evt-huge', { data: { blob: 'x'.repeat(5 * 1024 * 1024) } })));
    expect(result.status).toBe(413);
    expect(result.json.error.code).toBe('TG_BODY_TOO_LARGE');
  });
});

describe('WebSocket stream', () => {
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

  async function openStream(authorization = `Bearer ${key}`): Promise<{ ws: WebSocket; messages: any[]; next: () => Promise<any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const ws = new WebSocket(`${node.url.replace('http', 'ws')}/v1/stream`, { headers: { authorization } });
    const messages: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const waiters: ((m: unknown) => void)[] = [];
    ws.on('message', (data: Buffer) => {
      const message = unpackr.unpack(data);
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else messages.push(message);
    });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const next = (): Promise<any> => (messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiters.push(resolve))); // eslint-disable-line @typescript-eslint/no-explicit-any
    return { ws, messages, next };
  }

  it('greets with its limits and acknowledges 50 pipelined frames in seq order once Kafka has them', async () => {
    const { ws, next } = await openStream();
    expect(await next()).toEqual({ hello: { inFlightFramesMax: 64, frameEventsMax: expect.any(Number), frameBytesMax: expect.any(Number) } });
    for (let seq = 1; seq <= 50; seq++) {
      const events = seq === 7 ? [event('evt-ws-bad', { id: 5 })] : [event(`evt-ws-${seq}-a`), event(`evt-ws-${seq}-b`, { subject: `other-${seq}` })];
      ws.send(packr.pack({ seq, events }));
    }
    const acks = [];
    for (let i = 0; i < 50; i++) acks.push(await next());
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(acks[0]).toEqual({ seq: 1, accepted: 2, rejected: [] });
    expect(acks[6]).toMatchObject({ seq: 7, error: { code: 'TG_ALL_EVENTS_REJECTED' }, retryable: false });
    ws.close();
    const inKafka = new Set((await eventsInKafka()).map((e) => e.id));
    expect(inKafka.has('evt-ws-50-b')).toBe(true);
    expect(inKafka.has('evt-ws-1-a')).toBe(true);
  });

  it('closes the connection on a frame that is not msgpack or breaks the seq order', async () => {
    const { ws, next } = await openStream();
    await next();
    ws.send(packr.pack({ seq: 3, events: [event('evt-ws-skip')] }));
    expect(await next()).toMatchObject({ error: { code: 'TG_FRAME_INVALID' } });
    const code = await new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
    expect(code).toBe(1008);
  });

  it('refuses the upgrade without a valid key', async () => {
    await expect(openStream('Bearer nope')).rejects.toThrow(/401/);
  });
});

describe('fuzz: malformed bodies', () => {
  it('answers thousands of malformed bodies with a coded 4xx and keeps serving', async () => {
    let seed = 12345;
    const random = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    const valid = JSON.stringify([event('evt-fuzz-base')]);
    const mutate = (): { body: Buffer | string; contentType: string } => {
      const kind = Math.floor(random() * 7);
      switch (kind) {
        case 0: return { body: valid.slice(0, Math.floor(random() * valid.length)), contentType: 'application/json' };
        case 1: return { body: Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256))), contentType: 'application/msgpack' };
        case 2: return { body: JSON.stringify([{ ...event('evt-fuzz'), id: random() > 0.5 ? 12 : null, subject: [] }]), contentType: 'application/json' };
        case 3: return { body: JSON.stringify(event('evt-fuzz', { type: 'x'.repeat(200 + Math.floor(random() * 1000)) })), contentType: 'application/json' };
        case 4: return { body: valid, contentType: ['text/plain', 'image/png', 'application/xml', 'multipart/form-data'][Math.floor(random() * 4)]! };
        case 5: return { body: valid.split('').map((c) => (random() < 0.05 ? String.fromCharCode(Math.floor(random() * 128)) : c)).join(''), contentType: 'application/x-ndjson' };
        default: return { body: JSON.stringify(Math.floor(random() * 3) === 0 ? 'string' : Math.floor(random() * 3) === 1 ? null : 17), contentType: 'application/json' };
      }
    };
    const statuses = new Map<number, number>();
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { body, contentType } = mutate();
      const response = await fetch(`${node.url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, body });
      const json = await response.json() as { error?: { code?: string }; accepted?: number };
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      // A mutation may still be a valid event (202); anything else must be a coded 4xx.
      if (response.status !== 202) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(json.error?.code).toMatch(/^TG_[A-Z_]+$/);
        codes.add(json.error!.code!);
      }
    }
    expect([...statuses.keys()].some((s) => s >= 500)).toBe(false);
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect((await post(event('evt-after-fuzz'))).status).toBe(202);
  });
});

describe('broker outage', () => {
  it('answers 503 while Kafka is down, and every event it acknowledged with 202 is in Kafka afterwards', async () => {
    const stateDir = inject('infra').stateDir;
    const acknowledged: string[] = [];
    const refused: number[] = [];
    let n = 0;
    const sendOne = async (): Promise<void> => {
      const ids = [0, 1, 2, 3, 4].map((i) => `evt-outage-${n}-${i}`);
      n += 1;
      const result = await post(ids.map((id) => event(id, { subject: `outage-${id.length % 7}` })));
      if (result.status === 202) acknowledged.push(...ids);
      else {
        expect(result.status).toBe(503);
        expect(result.json.error.code).toMatch(/^TG_(KAFKA_UNAVAILABLE|OVERLOADED)$/);
        refused.push(result.status);
      }
    };
    for (let i = 0; i < 20; i++) await sendOne();
    setBrokersDown(stateDir, true);
    try {
      // Bounded: until the outage shows as 503s (the producer retries for a few seconds first).
      for (let i = 0; i < 200 && refused.length < 3; i++) await Promise.all([sendOne(), sendOne()]);
    } finally {
      setBrokersDown(stateDir, false);
    }
    expect(refused.length).toBeGreaterThanOrEqual(3);
    // The producer path recovers by itself once the broker is back.
    let recovered = false;
    for (let i = 0; i < 60 && !recovered; i++) {
      const before = acknowledged.length;
      await sendOne();
      recovered = acknowledged.length > before;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(recovered).toBe(true);
    const inKafka = new Set((await eventsInKafka()).map((e) => e.id));
    const missing = acknowledged.filter((id) => !inKafka.has(id));
    expect(missing).toEqual([]);
  }, 180_000);
});

/**
 * The walking skeleton end to end, on real servers: an event posted to
 * uWebSockets.js ingest is acknowledged after the Kafka broker has it, rated
 * by the rater's Piscina workers into ClickHouse, readable from /v1/usage,
 * and debited from the customer's prepaid wallet in the Postgres ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { TOPICS } from '../schemas/event.ts';
import { checkLedgerInvariants } from '../ledger/index.ts';
import { DEMO, seedDemo } from '../cli/demo-data.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { eventually, startTestNode, testConfig } from './node-fixture.ts';

const TENANT = 'itest-skeleton';
let node: SingleNode;

async function post(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, json: await response.json() };
}

async function getJson(path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${node.url}${path}`);
  expect(response.status).toBe(200);
  return response.json();
}

async function producedRecordCount(): Promise<number> {
  const kafka = connectKafka(testConfig().kafkaBrokers, 'itest-offsets', createLogger('silent', 'test'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICS.usageEvents);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function event(id: string, tokens: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id, source: 'itest', type: DEMO.eventType, subject: DEMO.subject,
    time: '2026-11-23T10:00:00.123Z', data: { tokens }, ...overrides };
}

beforeAll(async () => {
  // Optional auth: requests without a key act for the default tenant, as in `npm start`.
  node = await startTestNode({ defaultTenant: TENANT, authMode: 'optional' });
  await seedDemo(node.postgres.db, TENANT);
});

afterAll(async () => {
  await node?.close();
});

describe('walking skeleton', () => {
  it('rates an accepted event into ClickHouse, answers it from /v1/usage and debits the prepaid wallet', async () => {
    const before = await getJson(`/v1/wallets/${DEMO.subject}`);
    expect(before.availableMicros).toBe(DEMO.walletTopUpMicros.toString());

    const accepted = await post('/v1/events', JSON.stringify(event('evt-e2e-1', 1200)));
    expect(accepted).toEqual({ status: 202, json: { accepted: 1, rejected: [] } });

    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === 1);
    // 1200 tokens × 20 micros = 24,000 micros ($0.024).
    expect(usage).toMatchObject({ quantity: '1200', amountMicros: '24000', currency: 'USD', events: 1 });

    const wallet = await eventually(() => getJson(`/v1/wallets/${DEMO.subject}`), (w) => w.debitsPostedMicros === '24000');
    expect(wallet.availableMicros).toBe((DEMO.walletTopUpMicros - 24_000n).toString());
    const usageTransfer = wallet.transfers.find((t: { userData: string }) => t.userData.startsWith('usage:'));
    // The transfer names the Kafka offsets its events came from.
    expect(usageTransfer).toMatchObject({ amountMicros: '24000' });
    expect(usageTransfer.userData).toMatch(/^usage:usage\.events@[0-9a-f]{8,12}:\d+:\d+-\d+$/);

    const invariants = await checkLedgerInvariants(node.postgres.db, TENANT);
    expect(invariants).toEqual({ ok: true, violations: [] });
  });

  it('keeps the good events of a batch with bad ones and reports each bad one by index and field', async () => {
    const batch = [event('evt-mix-1', 10), { ...event('evt-mix-2', 10), subject: 42 }, event('evt-mix-3', 5)];
    const result = await post('/v1/events', JSON.stringify(batch), 'application/cloudevents-batch+json');
    expect(result.status).toBe(202);
    expect(result.json.accepted).toBe(2);
    expect(result.json.rejected).toEqual([{ index: 1, code: 'TG_EVENT_FIELD_TYPE', field: 'subject', message: expect.any(String) }]);
    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === 3);
    expect(usage.quantity).toBe('1215');
  });

  it('answers NDJSON and msgpack bodies like JSON ones', async () => {
    const ndjson = [event('evt-nd-1', 1), event('evt-nd-2', 2)].map((e) => JSON.stringify(e)).join('\n');
    expect((await post('/v1/events', ndjson, 'application/x-ndjson')).json).toEqual({ accepted: 2, rejected: [] });
    const { pack } = await import('msgpackr');
    const response = await fetch(`${node.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/msgpack' },
      body: pack([event('evt-mp-1', 3)]) });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, rejected: [] });
    // Rated like the JSON events before them: 1215 + 1 + 2 + 3 tokens.
    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === 6);
    expect(usage.quantity).toBe('1221');
  });

  describe('bad input gets a coded 4xx and nothing reaches Kafka', () => {
    const cases: { name: string; body: string; contentType?: string; status: number; code: string; field?: string }[] = [
      { name: 'malformed JSON', body: '{"specversion":"1.0",', status: 400, code: 'TG_BODY_MALFORMED' },
      { name: 'missing id', body: JSON.stringify({ ...event('x', 1), id: undefined }), status: 400, code: 'TG_ALL_EVENTS_REJECTED', field: 'id' },
      { name: 'missing type', body: JSON.stringify({ ...event('x', 1), type: undefined }), status: 400, code: 'TG_ALL_EVENTS_REJECTED', field: 'type' },
      { name: 'missing subject', body: JSON.stringify({ ...event('x', 1), subject: undefined }), status: 400, code: 'TG_ALL_EVENTS_REJECTED', field: 'subject' },
      { name: 'id of the wrong type', body: JSON.stringify(event(7 as unknown as string, 1)), status: 400, code: 'TG_ALL_EVENTS_REJECTED', field: 'id' },
      { name: 'a scalar body', body: '42', status: 400, code: 'TG_BODY_NOT_EVENTS' },
      { name: 'an empty batch', body: '[]', status: 400, code: 'TG_BODY_EMPTY' },
      { name: 'an unsupported content type', body: 'a=b', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'TG_CONTENT_TYPE_UNSUPPORTED' },
    ];
    it.each(cases)('$name → $status $code', async ({ body, contentType, status, code, field }) => {
      const recordsBefore = await producedRecordCount();
      const result = await post('/v1/events', body, contentType);
      expect(result.status).toBe(status);
      expect(result.json.error.code).toBe(code);
      if (field !== undefined) expect(result.json.rejected[0]).toMatchObject({ index: 0, field });
      expect(await producedRecordCount()).toBe(recordsBefore);
    });
  });

  it('answers /v1/usage without a subject with a coded 400 naming the parameter', async () => {
    const response = await fetch(`${node.url}/v1/usage?meter=tokens`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'TG_QUERY_PARAM_MISSING', message: expect.any(String), field: 'subject' } });
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 'ok' });
    expect(await getJson('/readyz')).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_ingest_events_accepted_total [1-9]/m);
    expect(metrics).toMatch(/^tollgate_rater_events_total\{outcome="rated"\} [1-9]/m);
  });
});

describe('duplicates', () => {
  it('counts and charges an event retried with the same source and id once, in separate requests and within one', async () => {
    const usageBefore = await getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`);
    const walletBefore = await getJson(`/v1/wallets/${DEMO.subject}`);
    const first = event('evt-dup-1', 50);
    expect((await post('/v1/events', JSON.stringify(first))).status).toBe(202);
    await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === usageBefore.events + 1);
    // The SDK retries the same event (a lost 202), once alone and once twice within a batch, beside a new event.
    expect((await post('/v1/events', JSON.stringify(first))).status).toBe(202);
    expect((await post('/v1/events', JSON.stringify([first, first, event('evt-dup-2', 1)]))).status).toBe(202);
    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === usageBefore.events + 2);
    expect(BigInt(usage.quantity)).toBe(BigInt(usageBefore.quantity) + 51n);
    // 51 tokens × 20 micros; waiting for the rater to have passed the last record before reading the wallet.
    const wallet = await eventually(() => getJson(`/v1/wallets/${DEMO.subject}`),
      (w) => BigInt(w.debitsPostedMicros) >= BigInt(walletBefore.debitsPostedMicros) + 1_020n);
    expect(BigInt(wallet.debitsPostedMicros)).toBe(BigInt(walletBefore.debitsPostedMicros) + 1_020n);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_rater_events_total\{outcome="duplicate_of_earlier_batch"\} [1-9]/m);
  });
});

describe('duplicates without a time', () => {
  it('stores and charges a retried event that carries no time once, though ingest stamps each copy with its own clock', async () => {
    const usageBefore = await getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`);
    const walletBefore = await getJson(`/v1/wallets/${DEMO.subject}`);
    const timeless = { ...event('evt-timeless-1', 40), time: undefined };
    expect((await post('/v1/events', JSON.stringify(timeless))).status).toBe(202);
    await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === usageBefore.events + 1);
    expect((await post('/v1/events', JSON.stringify([timeless, event('evt-timeless-marker', 1)]))).status).toBe(202);
    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events >= usageBefore.events + 2);
    expect(usage.events).toBe(usageBefore.events + 2);
    expect(BigInt(usage.quantity)).toBe(BigInt(usageBefore.quantity) + 41n);
    const wallet = await eventually(() => getJson(`/v1/wallets/${DEMO.subject}`),
      (w) => BigInt(w.debitsPostedMicros) >= BigInt(walletBefore.debitsPostedMicros) + 820n);
    expect(BigInt(wallet.debitsPostedMicros)).toBe(BigInt(walletBefore.debitsPostedMicros) + 820n);
  });
});

describe('large batches', () => {
  it('rates and debits 3,000 prepaid events sent as 1,000-event requests', async () => {
    const usageBefore = await getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`);
    const walletBefore = await getJson(`/v1/wallets/${DEMO.subject}`);
    for (let r = 0; r < 3; r++) {
      const batch = Array.from({ length: 1000 }, (_, i) => event(`evt-large-${r}-${i}-${'p'.repeat(24)}`, 2));
      expect((await post('/v1/events', JSON.stringify(batch))).json).toEqual({ accepted: 1000, rejected: [] });
    }
    const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === usageBefore.events + 3000);
    expect(BigInt(usage.quantity)).toBe(BigInt(usageBefore.quantity) + 6000n);
    // 6,000 tokens × 20 micros.
    const wallet = await eventually(() => getJson(`/v1/wallets/${DEMO.subject}`),
      (w) => BigInt(w.debitsPostedMicros) === BigInt(walletBefore.debitsPostedMicros) + 120_000n);
    expect(BigInt(wallet.availableMicros)).toBe(BigInt(walletBefore.availableMicros) - 120_000n);
  });
});

describe('replay (last: it stops the node\'s own rater)', () => {
  it('changes no total when a new consumer group re-reads the whole log', async () => {
    const { RaterService } = await import('../rater/index.ts');
    const usageBefore = await getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`);
    const walletBefore = await getJson(`/v1/wallets/${DEMO.subject}`);
    await node.rater.stop();
    const replay = new RaterService({
      kafka: connectKafka(testConfig().kafkaBrokers, 'itest-replay', createLogger('silent', 'test')),
      db: node.postgres.db, clickhouse: node.clickhouse, log: createLogger('silent', 'test'),
      topic: TOPICS.usageEvents, groupId: 'itest-replay-group', workerThreads: 1,
    });
    await replay.start();
    try {
      // A new event after the replayed ones proves the replaying rater has read the log through.
      expect((await post('/v1/events', JSON.stringify(event('evt-after-replay', 7)))).status).toBe(202);
      const usage = await eventually(() => getJson(`/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}`), (u) => u.events === usageBefore.events + 1);
      expect(BigInt(usage.quantity)).toBe(BigInt(usageBefore.quantity) + 7n);
      expect(BigInt(usage.amountMicros)).toBe(BigInt(usageBefore.amountMicros) + 140n);
      const wallet = await eventually(() => getJson(`/v1/wallets/${DEMO.subject}`),
        (w) => BigInt(w.debitsPostedMicros) === BigInt(walletBefore.debitsPostedMicros) + 140n);
      expect(BigInt(wallet.availableMicros)).toBe(BigInt(walletBefore.availableMicros) - 140n);
      expect(await checkLedgerInvariants(node.postgres.db, TENANT)).toEqual({ ok: true, violations: [] });
    } finally {
      await replay.stop();
    }
  });
});

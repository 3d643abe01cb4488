/**
 * Plan-based rating through the real pipeline (uWS ingest → Kafka → rater
 * workers → ClickHouse, state and checkpoints in Postgres): every price model
 * priced marginally with running state, MAX meters, replay from a rewound
 * checkpoint producing identical rows, and entitlement crossings emitting
 * `quota.exceeded` once.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { schema } from '../platform/postgres.ts';
import { Packr } from 'msgpackr';
import { TOPICS, type WireEvent } from '../schemas/event.ts';
import type { QuotaExceededEvent } from '../schemas/quota-events.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { eventually, startTestNode, testConfig } from '../test/node-fixture.ts';
import { readProgress } from './checkpoints.ts';
import { RaterService } from './index.ts';

const TENANT = `itest-plans-${process.pid}`;
const SUBJECT = 'plan-cust';
const LIMITED = 'limited-cust';
const NOVEMBER = '2026-11-15T00:00:00Z';
const REPLAY = 'replay-cust';
let node: SingleNode;
let quotaConsumer: Consumer;
const quotaEvents: QuotaExceededEvent[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${node.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function created(path: string, body: unknown): Promise<void> {
  const result = await api('POST', path, body);
  expect(result, JSON.stringify(result.json)).toMatchObject({ status: 201 });
}

/** One meter per model, each summing `data.q` of its own event type (so one charge per meter on one version). */
const MODELS: { meter: string; aggregation?: string; price: unknown }[] = [
  { meter: 'm-per-unit', price: { model: 'per_unit', params: { unitPriceMicros: '2500' } } },
  { meter: 'm-graduated', price: { model: 'graduated', params: { tiers: [
    { upTo: '1000', unitPriceMicros: '2' }, { upTo: '10000', unitPriceMicros: '1', flatFeeMicros: '500' }, { upTo: null, unitPriceMicros: '0.5', flatFeeMicros: '1000' }] } } },
  { meter: 'm-volume', price: { model: 'volume', params: { tiers: [
    { upTo: '100', unitPriceMicros: '1000' }, { upTo: '1000', unitPriceMicros: '500', flatFeeMicros: '10000' }, { upTo: null, unitPriceMicros: '0.25' }] } } },
  { meter: 'm-package', price: { model: 'package', params: { packageSize: '1000', packagePriceMicros: '5000', freeUnits: '100' } } },
  { meter: 'm-percentage', price: { model: 'percentage', params: { ratePercent: '2.9', fixedFeeMicros: '300000', minAmountMicros: '500000', maxAmountMicros: '10000000' } } },
  { meter: 'm-free', price: { model: 'free_allowance', params: { freeUnits: '1000', price: { model: 'per_unit', params: { unitPriceMicros: '3' } } } } },
  { meter: 'm-peak', aggregation: 'MAX', price: { model: 'per_unit', params: { unitPriceMicros: '10' } } },
];

/**
 * Events in log order and the amount each must be rated at (marginal, given
 * the running quantity of its meter in November 2026) — why, per row.
 */
const CASES: { meter: string; q: number; amountMicros: string; why: string }[] = [
  { meter: 'm-per-unit', q: 1, amountMicros: '2500', why: '1 × 2,500' },
  { meter: 'm-per-unit', q: 2, amountMicros: '5000', why: 'per event, no state' },
  { meter: 'm-graduated', q: 999, amountMicros: '1998', why: '999 units in tier 0 at 2' },
  { meter: 'm-graduated', q: 2, amountMicros: '503', why: 'unit 1,000 at 2, unit 1,001 at 1 + tier 1 fee 500' },
  { meter: 'm-graduated', q: 9002, amountMicros: '10001', why: 'total(10,003) 12,502 − total(1,001) 2,501' },
  { meter: 'm-volume', q: 100, amountMicros: '100000', why: '100 at tier 0 (1,000)' },
  { meter: 'm-volume', q: 1, amountMicros: '-39500', why: '101 moves all to tier 1: 60,500 − 100,000' },
  { meter: 'm-package', q: 100, amountMicros: '0', why: 'free units' },
  { meter: 'm-package', q: 1000, amountMicros: '5000', why: 'starts and fills block 1' },
  { meter: 'm-package', q: 1, amountMicros: '5000', why: 'starts block 2' },
  { meter: 'm-percentage', q: 10, amountMicros: '590000', why: '2.9 % of $10 + $0.30' },
  { meter: 'm-percentage', q: 5, amountMicros: '500000', why: '445,000 raised to the minimum' },
  { meter: 'm-percentage', q: 1000, amountMicros: '10000000', why: 'capped at the maximum' },
  { meter: 'm-free', q: 999, amountMicros: '0', why: 'inside the allowance' },
  { meter: 'm-free', q: 2, amountMicros: '3', why: 'one unit above 1,000 at 3' },
  { meter: 'm-peak', q: 5, amountMicros: '50', why: 'max 0 → 5' },
  { meter: 'm-peak', q: 3, amountMicros: '0', why: 'below the max' },
  { meter: 'm-peak', q: 8, amountMicros: '30', why: 'max 5 → 8' },
];

function usageEvent(id: string, subject: string, meter: string, q: number): Record<string, unknown> {
  return { specversion: '1.0', id, source: 'itest-plans', type: `ev.${meter}`, subject, time: '2026-11-10T12:00:00Z', data: { q } };
}

interface RatedRow { id: string; meter: string; quantity: string; amount_micros: string; price_model: string; price_id: string; kafka_offset: string }

async function ratedRows(subject: string): Promise<RatedRow[]> {
  const result = await node.clickhouse.query({
    query: `SELECT id, meter, toString(quantity) AS quantity, toString(amount_micros) AS amount_micros, price_model, price_id, toString(kafka_offset) AS kafka_offset
            FROM usage_rated FINAL WHERE tenant = {tenant:String} AND subject = {subject:String} ORDER BY kafka_offset, id, meter`,
    query_params: { tenant: TENANT, subject }, format: 'JSONEachRow',
  });
  return result.json<RatedRow>();
}

async function customerId(subject: string): Promise<string> {
  const [row] = await node.postgres.db.select().from(schema.customers).where(and(eq(schema.customers.tenantId, TENANT), eq(schema.customers.subject, subject)));
  return row!.id;
}

async function stateOf(subject: string): Promise<Record<string, string>> {
  const rows = await node.postgres.db.select().from(schema.raterUsageState).where(eq(schema.raterUsageState.customerId, await customerId(subject)));
  return Object.fromEntries(rows.map((r) => [`${r.meterId}:${r.periodStart}`, r.quantityNanos]));
}

beforeAll(async () => {
  node = await startTestNode({ defaultTenant: TENANT, authMode: 'optional' });
  for (const m of MODELS) {
    await created('/v1/meters', { slug: m.meter, eventType: `ev.${m.meter}`, aggregation: m.aggregation ?? 'SUM', valueProperty: 'q' });
  }
  await created('/v1/customers', { subject: SUBJECT, name: 'Plan customer', currency: 'USD', billingMode: 'postpaid' });
  await created('/v1/customers', { subject: LIMITED, name: 'Limited customer', currency: 'USD', billingMode: 'postpaid' });
  await created('/v1/plans', { slug: 'all-models', name: 'Every model' });
  await created('/v1/plans/all-models/versions', {
    currency: 'USD',
    charges: [...MODELS.map((m) => ({ name: m.meter, meter: m.meter, price: m.price })),
      { name: 'Platform fee', price: { model: 'flat_fee', params: { amountMicros: '30000000', prorate: true } } }],
    entitlements: [{ meter: 'm-per-unit', limit: '10', enforcement: 'hard' }],
  });
  await created('/v1/customers', { subject: REPLAY, name: 'Replayed customer', currency: 'USD', billingMode: 'postpaid' });
  for (const subject of [SUBJECT, LIMITED, REPLAY]) {
    await created('/v1/subscriptions', { subject, plan: 'all-models', version: 1, startsAt: '2026-01-01T00:00:00Z' });
  }
  const kafka = connectKafka(testConfig().kafkaBrokers, 'itest-quota', createLogger('silent', 'test'));
  quotaConsumer = kafka.consumer({ groupId: `itest-quota-${process.pid}`, sessionTimeout: 6000, rebalanceTimeout: 3000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await quotaConsumer.connect();
  await quotaConsumer.subscribe({ topic: TOPICS.quotaExceeded, fromBeginning: true });
  await quotaConsumer.run({ eachMessage: async ({ message }) => {
    const payload = JSON.parse(message.value!.toString()) as QuotaExceededEvent;
    if (payload.tenant === TENANT) quotaEvents.push(payload);
  } });
}, 60_000);

afterAll(async () => {
  await quotaConsumer?.disconnect();
  await node?.close();
});

describe('plan pricing through the pipeline', () => {
  it('rates each price model at its marginal amount, in log order, with the plan charge as the price', async () => {
    const events = CASES.map((c, i) => usageEvent(`pm-${i}`, SUBJECT, c.meter, c.q));
    expect((await api('POST', '/v1/events', events)).json).toEqual({ accepted: CASES.length, rejected: [] });
    const rows = await eventually(() => ratedRows(SUBJECT), (r) => r.length === CASES.length);
    const version = (await api('GET', '/v1/plans/all-models/versions/1')).json;
    const chargeIdOf = new Map<string, string>(version.charges.map((c: { meter: string; id: string }) => [c.meter, c.id]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [i, c] of CASES.entries()) {
      const row = byId.get(`pm-${i}`);
      expect({ case: i, why: c.why, amount: row?.amount_micros, price: row?.price_id }).toEqual({ case: i, why: c.why, amount: c.amountMicros, price: chargeIdOf.get(c.meter) });
    }
    // MAX rows keep the observed value as quantity; the running maximum is in the state.
    expect(rows.filter((r) => r.meter === 'm-peak').map((r) => r.quantity)).toEqual(['5', '3', '8']);
    expect(version.locked).toBe(true);
  });

  it('keeps a retried event out of the running state: the duplicate neither rates nor moves the tiers', async () => {
    const packageMeter = (await api('GET', '/v1/meters/m-package')).json.id as string;
    const quantity = async (): Promise<string | undefined> => (await stateOf(SUBJECT))[`${packageMeter}:2026-11-01`];
    expect(await quantity()).toBe('1101000000000');
    // pm-8 (1,000 units) again, as an SDK retry, with a new event behind it in the same request.
    const retry = usageEvent('pm-8', SUBJECT, 'm-package', 1000);
    expect((await api('POST', '/v1/events', [retry, usageEvent('pm-after-retry', SUBJECT, 'm-package', 1000)])).status).toBe(202);
    const rows = await eventually(() => ratedRows(SUBJECT), (r) => r.some((row) => row.id === 'pm-after-retry'));
    expect(rows.filter((r) => r.id === 'pm-8')).toHaveLength(1);
    // 2,101 units: the retry was not counted (3,101 otherwise); 2,001 beyond the free 100 start block 3.
    expect(await quantity()).toBe('2101000000000');
    expect(rows.find((r) => r.id === 'pm-after-retry')?.amount_micros).toBe('5000');
  });

  it('reaches a hard limit once: one quota.exceeded, access denied, remaining 0', async () => {
    const before = await api('GET', `/v1/entitlements/${LIMITED}/m-per-unit?at=${NOVEMBER}`);
    expect(before.json).toEqual({ subject: LIMITED, feature: 'm-per-unit', hasAccess: true, limit: '10', enforcement: 'hard', usage: '0', remaining: '10',
      periodStart: '2026-11-01', periodEnd: '2026-12-01' });
    // 4 + 4 stays under 10; 3 reaches it (11); 5 more stays over it and must not emit again.
    const events = [4, 4, 3, 5].map((q, i) => usageEvent(`lim-${i}`, LIMITED, 'm-per-unit', q));
    expect((await api('POST', '/v1/events', events)).status).toBe(202);
    await eventually(async () => quotaEvents.length, (n) => n >= 1);
    await eventually(() => ratedRows(LIMITED), (r) => r.length === 4);
    expect(quotaEvents).toEqual([expect.objectContaining({
      type: 'quota.exceeded', tenant: TENANT, subject: LIMITED, meter: 'm-per-unit', periodStart: '2026-11-01', periodEnd: '2026-12-01',
      limit: '10', usage: '11', enforcement: 'hard', event: expect.objectContaining({ id: 'lim-2' }),
    })]);
    const access = await api('GET', `/v1/entitlements/${LIMITED}/m-per-unit?at=${NOVEMBER}`);
    expect(access.json).toMatchObject({ hasAccess: false, limit: '10', remaining: '0', usage: '16' });
    const stored = await node.postgres.db.select().from(schema.quotaCrossings).where(eq(schema.quotaCrossings.customerId, await customerId(LIMITED)));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.publishedAt).not.toBeNull();
  });

  it('answers the entitlement check of a meter without a limit, and 404s for unknown subjects and features', async () => {
    expect((await api('GET', `/v1/entitlements/${LIMITED}/m-graduated?at=${NOVEMBER}`)).json).toMatchObject({ hasAccess: true, limit: null, remaining: null });
    expect((await api('GET', `/v1/entitlements/${LIMITED}/m-graduated?at=yesterday`)).json.error).toMatchObject({ code: 'TG_QUERY_PARAM_INVALID', field: 'at' });
    expect((await api('GET', `/v1/entitlements/nobody/m-per-unit`)).json.error).toMatchObject({ code: 'TG_NOT_FOUND', field: 'subject' });
    expect((await api('GET', `/v1/entitlements/${LIMITED}/no-meter`)).json.error).toMatchObject({ code: 'TG_NOT_FOUND', field: 'feature' });
  });

  it('replays from a rewound checkpoint with the state of that checkpoint and writes identical rows', async () => {
    // A topic of its own, so rewinding its checkpoint touches no other test's rater.
    const topic = `itest-plans-replay-${process.pid}`;
    const db = node.postgres.db;
    const kafka = connectKafka(testConfig().kafkaBrokers, 'itest-plans-replay', createLogger('silent', 'test'));
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const packr = new Packr({ useRecords: true });
    const timeMs = Date.UTC(2026, 10, 12);
    const send = (events: { meter: string; q: number }[], prefix: string): Promise<unknown> => producer.send({ topic, messages: [{
      partition: 0, key: REPLAY, value: Buffer.from(packr.pack(events.map((e, i): WireEvent => ({ tenant: TENANT, id: `${prefix}-${i}`, source: 'itest-plans',
        type: `ev.${e.meter}`, subject: REPLAY, timeMs, ingestedAtMs: timeMs, data: { q: e.q } })))) }] });
    const rater = (group: string): RaterService => new RaterService({ kafka, db, clickhouse: node.clickhouse, log: createLogger('silent', 'test'),
      topic, groupId: `${group}-${process.pid}`, workerThreads: 2 });
    const checkpoint = async (): Promise<bigint | undefined> => (await readProgress(db, topic)).nextOffsets.get(0);
    const stateRows = (): Promise<(typeof schema.raterUsageState.$inferSelect)[]> => db.select().from(schema.raterUsageState).where(eq(schema.raterUsageState.topic, topic));

    const first = rater('itest-replay-a');
    await first.start();
    let stateBefore: Awaited<ReturnType<typeof stateRows>>;
    let rowsAfter: RatedRow[];
    let stateAfter: Record<string, string>;
    try {
      await send(CASES.map((c) => ({ meter: c.meter, q: c.q })), 'ra');
      await eventually(checkpoint, (next) => next === 1n, 60_000);
      stateBefore = await stateRows();
      // Second batch: each period model continues from the state of the first.
      // graduated: total(10,004) = 12,502 and total(10,003) = 12,501.5 → 12,502 (half-even), so the unit adds 0.
      const more = [{ meter: 'm-graduated', q: 1, amountMicros: '0' }, { meter: 'm-volume', q: 899, amountMicros: '449500' },
        { meter: 'm-package', q: 999, amountMicros: '0' }, { meter: 'm-free', q: 10, amountMicros: '30' }, { meter: 'm-peak', q: 9, amountMicros: '10' }];
      await send(more, 'rb');
      await eventually(checkpoint, (next) => next === 2n, 60_000);
      rowsAfter = await ratedRows(REPLAY);
      expect(rowsAfter).toHaveLength(CASES.length + more.length);
      expect(more.map((m, i) => rowsAfter.find((r) => r.id === `rb-${i}`)?.amount_micros)).toEqual(more.map((m) => m.amountMicros));
      expect(CASES.map((c, i) => rowsAfter.find((r) => r.id === `ra-${i}`)?.amount_micros)).toEqual(CASES.map((c) => c.amountMicros));
      stateAfter = await stateOf(REPLAY);
    } finally {
      await first.stop();
    }

    // A crash after the ClickHouse insert of the second batch, before its Postgres commit:
    // the checkpoint and the state are back at the first batch.
    await db.transaction(async (tx) => {
      await tx.update(schema.raterCheckpoints).set({ nextOffset: 1n }).where(and(eq(schema.raterCheckpoints.topic, topic), eq(schema.raterCheckpoints.partition, 0)));
      await tx.delete(schema.raterUsageState).where(eq(schema.raterUsageState.topic, topic));
      await tx.insert(schema.raterUsageState).values(stateBefore);
    });
    expect(await stateOf(REPLAY)).not.toEqual(stateAfter);
    const second = rater('itest-replay-b');
    await second.start();
    try {
      await eventually(checkpoint, (next) => next === 2n, 60_000);
      expect(await stateOf(REPLAY)).toEqual(stateAfter);
      expect(await ratedRows(REPLAY)).toEqual(rowsAfter);
    } finally {
      await second.stop();
      await producer.disconnect();
    }
  }, 180_000);

  it('emitted each crossing once over all of the above', async () => {
    const crossings = await node.postgres.db.select({ n: sql<number>`count(*)::int` }).from(schema.quotaCrossings).where(eq(schema.quotaCrossings.tenantId, TENANT));
    expect(crossings[0]!.n).toBe(1);
    expect(quotaEvents).toHaveLength(1);
  });
});

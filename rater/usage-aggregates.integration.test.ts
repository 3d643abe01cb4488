/**
 * The per-window usage aggregates and `queryUsage` on the real ClickHouse
 * (chdb endpoint): retried inserts count once in the views, and answers read
 * from the views equal the same sums over the raw rows.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { CLICKHOUSE_OBJECTS_DROP_ORDER, USAGE_WINDOWS, usageWindowTable } from '../schemas/clickhouse/ddl.ts';
import { writeBatchRows } from './clickhouse-writer.ts';
import type { RatedRow } from './rate-events.ts';
import { queryUsage, UsageTooLargeError, type UsageQuery } from './usage-query.ts';
import { meterGroupByOf } from './http-routes.ts';
import { eq } from 'drizzle-orm';
import { DEMO, seedDemo } from '../cli/demo-data.ts';
import { connectPostgres, migratePostgres, schema } from '../platform/postgres.ts';

const TENANT = `itest-usage-${process.pid}-${Date.now().toString(36)}`;
const KEEP_RANK_BASE = 2n ** 63n;
let clickhouse: ClickHouseClient;

function ratedRow(n: number, subject: string, meter: string, timeMs: number, quantity: string, amountMicros: bigint, currency = 'USD'): RatedRow {
  return {
    tenant: TENANT, subject, customer_id: `c-${subject}`, meter, source: 'itest', id: `ev-${n}`, time: new Date(timeMs).toISOString(),
    quantity, amount_micros: amountMicros.toString(), currency, price_model: 'per_unit', price_id: 'p1',
    kafka_partition: 0, kafka_offset: n, kafka_epoch: 'e1', keep_rank: (KEEP_RANK_BASE - BigInt(n)).toString(),
  };
}

const jsonEachRow = (rows: readonly object[]): Uint8Array => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

async function viewTotals(window: (typeof USAGE_WINDOWS)[number]): Promise<{ amount: string; events: string; quantity: string }> {
  const result = await clickhouse.query({
    query: `SELECT toString(sum(amount_micros)) AS amount, toString(sum(events)) AS events, toString(sum(quantity)) AS quantity
            FROM ${usageWindowTable(window).table} WHERE tenant = {tenant:String}`,
    query_params: { tenant: TENANT },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ amount: string; events: string; quantity: string }>();
  return row!;
}

/** The same answer computed from usage_rated FINAL alone: the reference the views must match. */
async function rawUsage(q: Omit<UsageQuery, 'tenant'>): Promise<Map<string, string>> {
  const windowExpr = q.windowSize ? `toUnixTimestamp(${usageWindowTable(q.windowSize).startOf}(time))` : '0';
  const result = await clickhouse.query({
    query: `SELECT subject, meter, currency, ${windowExpr} AS w, toString(sum(quantity)) AS quantity, toString(sum(amount_micros)) AS amount, count() AS events
            FROM usage_rated FINAL
            WHERE tenant = {tenant:String} AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
              ${q.subject ? 'AND subject = {subject:String}' : ''} ${q.meter ? 'AND meter = {meter:String}' : ''}
            GROUP BY subject, meter, currency, w`,
    query_params: { tenant: TENANT, from: q.fromMs, to: q.toMs, subject: q.subject ?? '', meter: q.meter ?? '' },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ subject: string; meter: string; currency: string; w: number | string; quantity: string; amount: string; events: number | string }>();
  return new Map(rows.map((r) => [`${Number(r.w) * 1000}|${r.subject}|${r.meter}|${r.currency}`, `${r.quantity}|${r.amount}|${Number(r.events)}`]));
}

async function apiUsage(q: Omit<UsageQuery, 'tenant'>): Promise<Map<string, string>> {
  const answer = await queryUsage(clickhouse, { tenant: TENANT, ...q });
  return new Map(answer.rows.map((r) => [
    `${r.windowStart ? Date.parse(r.windowStart) : 0}|${r.subject}|${r.meter}|${r.currency ?? ''}`, `${r.quantity}|${r.amountMicros}|${r.events}`,
  ]));
}

beforeAll(async () => {
  clickhouse = connectClickhouse(inject('infra').clickhouseUrl);
  await applyClickhouseSchema(clickhouse);
});

afterAll(async () => {
  await clickhouse.close();
});

describe('usage aggregates (materialized views)', () => {
  const base = Date.UTC(2026, 10, 3, 10, 59, 30);
  const batchA = [
    ratedRow(1, 'cust_a', 'tokens', base, '1.5', 30n),
    ratedRow(2, 'cust_a', 'tokens', base + 45_000, '2', 40n),
    ratedRow(3, 'cust_b', 'tokens', base + 3_600_000, '10', 200n, 'EUR'),
  ];
  const batchB = [ratedRow(4, 'cust_a', 'requests', base + 86_400_000, '1', 7n)];

  it('counts a retried insert (same dedup token) once in usage_rated and in every view', async () => {
    await writeBatchRows(clickhouse, 'itest@e1:0:1-3', { rawJson: new Uint8Array(), ratedJson: jsonEachRow(batchA) });
    // The retry after a crash between the insert and the checkpoint: same rows, same reference.
    await writeBatchRows(clickhouse, 'itest@e1:0:1-3', { rawJson: new Uint8Array(), ratedJson: jsonEachRow(batchA) });
    await writeBatchRows(clickhouse, 'itest@e1:0:4-4', { rawJson: new Uint8Array(), ratedJson: jsonEachRow(batchB) });
    await writeBatchRows(clickhouse, 'itest@e1:0:4-4', { rawJson: new Uint8Array(), ratedJson: jsonEachRow(batchB) });
    for (const window of USAGE_WINDOWS) {
      expect({ window, ...(await viewTotals(window)) }).toEqual({ window, amount: '277', events: '4', quantity: '14.5' });
    }
    const raw = await clickhouse.query({ query: 'SELECT count() AS n FROM usage_rated WHERE tenant = {tenant:String}', query_params: { tenant: TENANT }, format: 'JSONEachRow' });
    expect(Number((await raw.json<{ n: string }>())[0]!.n)).toBe(4);
  });

  it('puts events into the minute, hour and day they happened in (UTC)', async () => {
    const minutes = await queryUsage(clickhouse, { tenant: TENANT, subject: 'cust_a', meter: 'tokens', fromMs: 0, toMs: Date.UTC(2100, 0, 1), windowSize: 'MINUTE' });
    expect(minutes.rows.map((r) => [r.windowStart, r.windowEnd, r.quantity, r.amountMicros, r.events])).toEqual([
      ['2026-11-03T10:59:00.000Z', '2026-11-03T11:00:00.000Z', '1.5', '30', 1],
      ['2026-11-03T11:00:00.000Z', '2026-11-03T11:01:00.000Z', '2', '40', 1],
    ]);
    const hours = await queryUsage(clickhouse, { tenant: TENANT, meter: 'tokens', fromMs: 0, toMs: Date.UTC(2100, 0, 1), windowSize: 'HOUR', groupBy: ['subject'] });
    expect(hours.rows.map((r) => [r.windowStart, r.subject, r.currency, r.quantity])).toEqual([
      ['2026-11-03T10:00:00.000Z', 'cust_a', 'USD', '1.5'],
      ['2026-11-03T11:00:00.000Z', 'cust_a', 'USD', '2'],
      ['2026-11-03T11:00:00.000Z', 'cust_b', 'EUR', '10'],
    ]);
    // Two currencies: no top-level amount, the rows carry them.
    expect(hours).toMatchObject({ subject: null, meter: 'tokens', quantity: '13.5', amountMicros: null, currency: null, events: 3, groupBy: ['subject'] });
    const days = await queryUsage(clickhouse, { tenant: TENANT, subject: 'cust_a', fromMs: 0, toMs: Date.UTC(2100, 0, 1), windowSize: 'DAY', groupBy: ['meter'] });
    expect(days.rows.map((r) => [r.windowStart, r.meter, r.quantity])).toEqual([
      ['2026-11-03T00:00:00.000Z', 'tokens', '3.5'], ['2026-11-04T00:00:00.000Z', 'requests', '1'],
    ]);
    expect(days).toMatchObject({ quantity: null, amountMicros: '77', currency: 'USD', events: 3 });
  });

  it('answers any range and window from the views exactly as the raw rows do (random ranges, seed printed)', async () => {
    const seed = Number(process.env.TOLLGATE_TEST_SEED ?? randomInt(1, 2 ** 31));
    console.log(`usage-aggregates seed ${seed} (TOLLGATE_TEST_SEED=${seed} to repeat)`);
    // mulberry32: small, seedable, and its low bits do not cycle (an LCG's do).
    let state = seed >>> 0;
    const next = (n: number): number => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    // 300 events over three days across minute/hour/day boundaries, two subjects, two meters.
    const start = Date.UTC(2026, 10, 10, 22, 0, 0);
    const rows = Array.from({ length: 300 }, (_, i) => ratedRow(1000 + i, `cust_${next(2)}`, next(2) === 0 ? 'tokens' : 'requests',
      start + next(3 * 86_400_000), `${next(1000)}.${next(1000)}`, BigInt(next(1_000_000)), 'USD'));
    await writeBatchRows(clickhouse, 'itest@e1:0:1000-1299', { rawJson: new Uint8Array(), ratedJson: jsonEachRow(rows) });
    for (let round = 0; round < 12; round++) {
      const a = start - 3_600_000 + next(4 * 86_400_000);
      const b = start - 3_600_000 + next(4 * 86_400_000);
      const query: Omit<UsageQuery, 'tenant'> = {
        fromMs: Math.min(a, b), toMs: Math.max(a, b) + 1,
        ...(round % 4 === 0 ? {} : { windowSize: USAGE_WINDOWS[round % 3]! }),
        ...(round % 2 === 0 ? { subject: 'cust_1', groupBy: ['meter' as const] } : { meter: 'tokens', groupBy: ['subject' as const] }),
      };
      expect({ round, rows: await apiUsage(query) }).toEqual({ round, rows: await rawUsage(query) });
    }
  });

  it('backfills the aggregates from usage_rated when the view is created over existing rows', async () => {
    const before = await Promise.all(USAGE_WINDOWS.map(viewTotals));
    // A database from before the views: usage_rated holds rows, the aggregates do not exist.
    for (const name of CLICKHOUSE_OBJECTS_DROP_ORDER.filter((n) => n !== 'usage_rated' && n !== 'events_raw')) {
      await clickhouse.command({ query: `DROP TABLE IF EXISTS ${name} SYNC` });
    }
    await applyClickhouseSchema(clickhouse);
    expect(await Promise.all(USAGE_WINDOWS.map(viewTotals))).toEqual(before);
  });

  it('groups by data properties of the events (from events_raw), strings and numbers, nested paths', async () => {
    const t0 = Date.UTC(2026, 11, 1, 12);
    const rated = [ratedRow(5000, 'cust_d', 'tokens', t0, '1', 10n), ratedRow(5001, 'cust_d', 'tokens', t0 + 1000, '2', 20n), ratedRow(5002, 'cust_d', 'tokens', t0 + 2000, '4', 40n)];
    const raw = rated.map((r, i) => ({
      tenant: TENANT, subject: r.subject, type: 'api_request', source: r.source, id: r.id, time: r.time, ingested_at: r.time,
      data: JSON.stringify(i < 2 ? { model: 'small', usage: { n: i } } : { usage: { n: 7 } }), metered: true, kafka_partition: 0, kafka_offset: 5000 + i,
    }));
    await writeBatchRows(clickhouse, 'itest@e1:0:5000-5002', { rawJson: jsonEachRow(raw), ratedJson: jsonEachRow(rated) });
    const range = { tenant: TENANT, subject: 'cust_d', meter: 'tokens', fromMs: t0, toMs: t0 + 60_000 };
    const byModel = await queryUsage(clickhouse, { ...range, groupBy: ['model'] });
    // The third event has no model: its own row, with ''.
    expect(byModel.rows.map((r) => [r.dimensions, r.quantity, r.amountMicros, r.events])).toEqual([[{ model: '' }, '4', '40', 1], [{ model: 'small' }, '3', '30', 2]]);
    expect(byModel).toMatchObject({ quantity: '7', amountMicros: '70', events: 3 });
    const byN = await queryUsage(clickhouse, { ...range, windowSize: 'HOUR', groupBy: ['usage.n', 'subject'] });
    expect(byN.rows.map((r) => [r.windowStart, r.dimensions, r.quantity])).toEqual([
      ['2026-12-01T12:00:00.000Z', { 'usage.n': '0' }, '1'], ['2026-12-01T12:00:00.000Z', { 'usage.n': '1' }, '2'], ['2026-12-01T12:00:00.000Z', { 'usage.n': '7' }, '4'],
    ]);
  });

  it('reads the data properties a meter groups by from the meters table', async () => {
    const postgres = connectPostgres(inject('infra').postgresUrl, 2);
    try {
      await migratePostgres(postgres.db);
      await seedDemo(postgres.db, TENANT);
      await postgres.db.update(schema.meters).set({ groupBy: ['model', 'usage.region'] }).where(eq(schema.meters.tenantId, TENANT));
      expect(await meterGroupByOf(postgres.db, TENANT, DEMO.meter)).toEqual(['model', 'usage.region']);
      expect(await meterGroupByOf(postgres.db, TENANT, 'no-such-meter')).toBeUndefined();
    } finally {
      await postgres.close();
    }
  });

  it('refuses an answer over the row limit instead of truncating it', async () => {
    await expect(queryUsage(clickhouse, { tenant: TENANT, subject: 'cust_1', fromMs: 0, toMs: Date.UTC(2100, 0, 1), windowSize: 'MINUTE', groupBy: ['meter'], rowsMax: 5 }))
      .rejects.toBeInstanceOf(UsageTooLargeError);
  });
});

/**
 * Every SQL query of every Grafana dashboard (panels and template
 * variables) runs against the real schemas — ClickHouse (schemas/clickhouse/
 * ddl.ts on the test chdb endpoint) and Postgres (the drizzle migrations on
 * the test server) — with Grafana's variables and the datasources' macros
 * substituted, over rows the test writes, and must return data. A renamed
 * column or table, or a query that silently matches nothing, fails here.
 * "Revenue per plan" joins a ClickHouse and a Postgres query in Grafana; the
 * test performs the same join and expects revenue on the seeded plan.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { connectPostgres, migratePostgres, schema, type Postgres } from '../platform/postgres.ts';
import { CLICKHOUSE_DATASOURCE_TYPE, dashboardQueries, loadDashboards, POSTGRES_DATASOURCE_TYPE, provisionedDatasources } from './dashboards.ts';
import { expandQuery, type QueryContext } from './grafana-macros.ts';

const TENANT = `ops-dash-${randomUUID().slice(0, 8)}`;
const METERS = ['tokens', 'requests'];
const SUBJECTS = ['cust_a', 'cust_b', 'cust_c'];
const ROWS = 240;
const dashboards = loadDashboards();
const queries = dashboards.flatMap(({ file, dashboard }) => dashboardQueries(file, dashboard));
const clickhouseQueries = queries.filter((q) => q.datasource.type === CLICKHOUSE_DATASOURCE_TYPE);
const postgresQueries = queries.filter((q) => q.datasource.type === POSTGRES_DATASOURCE_TYPE);

describe('Grafana dashboards (deploy/grafana)', () => {
  it('name only provisioned datasources, by uid and type', () => {
    const provisioned = new Map(provisionedDatasources().map((d) => [d.uid, d.type]));
    for (const q of queries) expect(provisioned.get(q.datasource.uid), `${q.dashboard} / ${q.where}`).toBe(q.datasource.type);
    expect(provisioned.get('clickhouse')).toBe(CLICKHOUSE_DATASOURCE_TYPE);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: unique panel ids, panels inside the 24-column grid, none overlapping', (_file, dashboard) => {
    const panels = dashboard.panels as unknown as { id: number; title: string; gridPos: { x: number; y: number; w: number; h: number } }[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    const overlaps = (a: typeof panels[number]['gridPos'], b: typeof panels[number]['gridPos']): boolean =>
      a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const clashes = panels.flatMap((a, i) => panels.slice(i + 1).filter((b) => overlaps(a.gridPos, b.gridPos)).map((b) => `${a.title} × ${b.title}`));
    expect(clashes).toEqual([]);
  });

  it('have unique uids and cover usage, revenue, top customers, quota, pipeline and hotspot', () => {
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    const titles = queries.map((q) => q.where.toLowerCase()).join('\n');
    for (const topic of ['usage per customer, meter and hour', 'revenue', 'top customers', 'quota exhaustion', 'events/s in', 'lag', 'batch', 'latency', 'active sessions', 'bytes', 'cutoffs']) {
      expect(titles, topic).toContain(topic);
    }
  });
});

describe('every SQL panel query runs green against the real schemas', () => {
  let clickhouse: ClickHouseClient;
  let postgres: Postgres;
  let planChargeId = '';
  const nowMs = Date.now();
  const context: QueryContext = {
    fromMs: nowMs - 6 * 3600_000, toMs: nowMs + 3600_000, intervalMs: 60_000,
    variables: { tenant: TENANT, meter: METERS },
  };

  beforeAll(async () => {
    postgres = connectPostgres(inject('infra').postgresUrl, 2);
    await migratePostgres(postgres.db);
    planChargeId = await seedCatalog(postgres);
    clickhouse = connectClickhouse(inject('infra').clickhouseUrl);
    await applyClickhouseSchema(clickhouse);
    // Rows as the rater writes them, spread over the last two hours; the materialized views fill the aggregates.
    // Half are priced by the seeded plan's charge, half by a price Postgres does not know (left out of the join).
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      tenant: TENANT, subject: SUBJECTS[i % SUBJECTS.length], customer_id: randomUUID(), meter: METERS[i % METERS.length],
      source: 'ops-dashboard-test', id: `evt-${i}`, time: new Date(nowMs - (i * 30_000)).toISOString(),
      quantity: String(1 + (i % 7)), amount_micros: String(20 * (1 + (i % 7))), currency: 'USD', price_model: 'per_unit',
      price_id: i % 2 === 0 ? planChargeId : randomUUID(), kafka_partition: 0, kafka_offset: i, kafka_epoch: '', keep_rank: String(2n ** 63n - BigInt(i)),
    }));
    await clickhouse.insert({ table: 'usage_rated', values: rows, format: 'JSONEachRow' });
  });

  afterAll(async () => {
    await clickhouse?.close();
    await postgres?.close();
  });

  it('finds ClickHouse and Postgres queries to run', () => {
    expect(clickhouseQueries.length).toBeGreaterThanOrEqual(8);
    expect(postgresQueries.length).toBeGreaterThanOrEqual(3);
  });

  it.each(clickhouseQueries.map((q) => [`${q.dashboard} / ${q.where}`, q] as const))('ClickHouse: %s', async (_name, q) => {
    expectData(await runClickhouse(clickhouse, expandQuery(q.text, context)), q.text);
  });

  it.each(postgresQueries.map((q) => [`${q.dashboard} / ${q.where}`, q] as const))('Postgres: %s', async (_name, q) => {
    const result = await postgres.pool.query(expandQuery(q.text, context, 'postgres'));
    expectData(result.rows as Record<string, unknown>[], q.text);
  });

  it('revenue per plan: the ClickHouse revenue per price joins the Postgres plan of that price', async () => {
    const panel = queries.filter((q) => q.where === 'Revenue per plan');
    const revenue = await runClickhouse(clickhouse, expandQuery(panel.find((q) => q.datasource.type === CLICKHOUSE_DATASOURCE_TYPE)!.text, context));
    const plans = (await postgres.pool.query(expandQuery(panel.find((q) => q.datasource.type === POSTGRES_DATASOURCE_TYPE)!.text, context, 'postgres'))).rows as { price_id: string; plan: string }[];
    const planOf = new Map(plans.map((p) => [p.price_id, p.plan]));
    const joined = revenue.filter((r) => planOf.has(String(r.price_id)));
    expect(joined.map((r) => planOf.get(String(r.price_id)))).toEqual(['ops-dash-plan v1']);
    // 120 rows priced by the plan: amounts 20 × (1 + i % 7) for even i — summed exactly.
    const expectedMicros = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 2 === 0).reduce((sum, i) => sum + 20 * (1 + (i % 7)), 0);
    expect(Number(joined[0]!.revenue)).toBeCloseTo(expectedMicros / 1e6, 9);
  });
});

async function runClickhouse(clickhouse: ClickHouseClient, sql: string): Promise<Record<string, unknown>[]> {
  const result = await clickhouse.query({ query: sql, format: 'JSONEachRow' });
  return result.json<Record<string, unknown>>();
}

/** Rows, and data in them: some value in the first row is neither zero nor empty (an empty aggregate is one row of zeros). */
function expectData(rows: Record<string, unknown>[], sql: string): void {
  expect(rows.length, sql).toBeGreaterThan(0);
  const values = Object.values(rows[0]!);
  const shown = JSON.stringify(rows[0], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  expect(values.some((v) => v !== null && v !== '' && Number(v) !== 0), shown).toBe(true);
  // Figures must be positive over the seeded data: catches an expression that truncates or filters them away.
  for (const [column, value] of Object.entries(rows[0]!)) {
    if (/^(revenue|amount|spend|quantity|events|crossings|customers|meters)$/.test(column)) expect(Number(value), `${column} in ${shown}`).toBeGreaterThan(0);
  }
}

/** A tenant with a customer, a meter with a legacy price, a plan whose usage charge prices it, and one quota crossing. */
async function seedCatalog(postgres: Postgres): Promise<string> {
  const db = postgres.db;
  await db.insert(schema.tenants).values({ id: TENANT, name: TENANT });
  const [customer] = await db.insert(schema.customers).values({ tenantId: TENANT, subject: SUBJECTS[0]!, name: 'A', currency: 'USD', billingMode: 'postpaid' }).returning();
  const [meter] = await db.insert(schema.meters).values({ tenantId: TENANT, slug: METERS[0]!, eventType: 'api_request', aggregation: 'SUM', valueProperty: 'tokens' }).returning();
  await db.insert(schema.meterPrices).values({ meterId: meter!.id, currency: 'USD', model: 'per_unit', unitPriceMicros: 20n });
  const [plan] = await db.insert(schema.plans).values({ tenantId: TENANT, slug: 'ops-dash-plan', name: 'Dashboard plan' }).returning();
  const [version] = await db.insert(schema.planVersions).values({ tenantId: TENANT, planId: plan!.id, version: 1, currency: 'USD' }).returning();
  const [charge] = await db.insert(schema.planCharges).values({
    tenantId: TENANT, planVersionId: version!.id, kind: 'usage', meterId: meter!.id, name: 'Tokens', price: { model: 'per_unit', params: { unitPriceMicros: '20' } },
  } as typeof schema.planCharges.$inferInsert).returning();
  await db.insert(schema.quotaCrossings).values({
    tenantId: TENANT, customerId: customer!.id, meterId: meter!.id, periodStart: new Date().toISOString().slice(0, 8) + '01', limitQuantity: '1000',
    payload: { enforcement: 'hard', usage: '1200' } as unknown as typeof schema.quotaCrossings.$inferInsert['payload'],
  });
  return charge!.id;
}

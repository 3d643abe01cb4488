/**
 * Every ClickHouse query of every Grafana dashboard (panels and template
 * variables) runs against the real schema (schemas/clickhouse/ddl.ts on the
 * test ClickHouse endpoint) with Grafana's variables and the plugin's macros
 * substituted, over rows the test writes — and must return data. A renamed
 * column or table, or a query that silently matches nothing, fails here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { CLICKHOUSE_DATASOURCE_TYPE, dashboardQueries, loadDashboards, provisionedDatasources } from './dashboards.ts';
import { expandQuery, type QueryContext } from './grafana-macros.ts';

const TENANT = `ops-dash-${randomUUID().slice(0, 8)}`;
const METERS = ['tokens', 'requests'];
const SUBJECTS = ['cust_a', 'cust_b', 'cust_c'];
const ROWS = 240;
const dashboards = loadDashboards();
const queries = dashboards.flatMap(({ file, dashboard }) => dashboardQueries(file, dashboard));
const clickhouseQueries = queries.filter((q) => q.datasource.type === CLICKHOUSE_DATASOURCE_TYPE);

describe('Grafana dashboards (deploy/grafana)', () => {
  it('name only provisioned datasources, by uid and type', () => {
    const provisioned = new Map(provisionedDatasources().map((d) => [d.uid, d.type]));
    for (const q of queries) expect(provisioned.get(q.datasource.uid), `${q.dashboard} / ${q.where}`).toBe(q.datasource.type);
    expect(provisioned.get('clickhouse')).toBe(CLICKHOUSE_DATASOURCE_TYPE);
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

describe('every ClickHouse panel query runs green against the real schema', () => {
  let clickhouse: ClickHouseClient;
  const nowMs = Date.now();
  const context: QueryContext = {
    fromMs: nowMs - 6 * 3600_000, toMs: nowMs + 3600_000, intervalMs: 60_000,
    variables: { tenant: TENANT, meter: METERS },
  };

  beforeAll(async () => {
    clickhouse = connectClickhouse(inject('infra').clickhouseUrl);
    await applyClickhouseSchema(clickhouse);
    // Rows as the rater writes them, spread over the last two hours; the materialized views fill the aggregates.
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      tenant: TENANT, subject: SUBJECTS[i % SUBJECTS.length], customer_id: randomUUID(), meter: METERS[i % METERS.length],
      source: 'ops-dashboard-test', id: `evt-${i}`, time: new Date(nowMs - (i * 30_000)).toISOString(),
      quantity: String(1 + (i % 7)), amount_micros: String(20 * (1 + (i % 7))), currency: 'USD', price_model: 'per_unit',
      price_id: randomUUID(), kafka_partition: 0, kafka_offset: i, kafka_epoch: '', keep_rank: String(2n ** 63n - BigInt(i)),
    }));
    await clickhouse.insert({ table: 'usage_rated', values: rows, format: 'JSONEachRow' });
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('finds ClickHouse queries to run', () => {
    expect(clickhouseQueries.length).toBeGreaterThanOrEqual(8);
  });

  it.each(clickhouseQueries.map((q) => [`${q.dashboard} / ${q.where}`, q] as const))('%s', async (_name, q) => {
    const sql = expandQuery(q.text, context);
    const result = await clickhouse.query({ query: sql, format: 'JSONEachRow' });
    const rows = await result.json<Record<string, unknown>>();
    expect(rows.length, sql).toBeGreaterThan(0);
    // Data, not an empty aggregate: some value in the first row is neither zero nor empty.
    const values = Object.values(rows[0]!);
    expect(values.some((v) => v !== null && v !== '' && Number(v) !== 0), JSON.stringify(rows[0])).toBe(true);
  });
});

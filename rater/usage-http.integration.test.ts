/** `GET /v1/usage` over HTTP on a real node: data-property grouping checked against the meter, coded errors. */
import { eq, and } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../cli/demo-data.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { applyClickhouseSchema, connectClickhouse } from '../platform/clickhouse.ts';
import { connectPostgres, migratePostgres, schema } from '../platform/postgres.ts';
import type { UsageTotal } from '../schemas/api.ts';
import { startTestNode, testConfig } from '../test/node-fixture.ts';
import { writeBatchRows } from './clickhouse-writer.ts';

const SUBJECT = `http-usage-${process.pid}-${Date.now().toString(36)}`;
let node: SingleNode;

beforeAll(async () => {
  const config = testConfig();
  const postgres = connectPostgres(config.postgresUrl, 2);
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  try {
    await migratePostgres(postgres.db);
    await seedDemo(postgres.db, config.defaultTenant);
    await postgres.db.update(schema.meters).set({ groupBy: ['model'] })
      .where(and(eq(schema.meters.tenantId, config.defaultTenant), eq(schema.meters.slug, DEMO.meter)));
    await applyClickhouseSchema(clickhouse);
    const time = '2026-12-02T10:00:00.000Z';
    const ids = ['h1', 'h2', 'h3'];
    const rated = ids.map((id, i) => ({
      tenant: config.defaultTenant, subject: SUBJECT, customer_id: 'c', meter: DEMO.meter, source: 'itest-http', id, time, quantity: String(i + 1),
      amount_micros: String((i + 1) * 20), currency: 'USD', price_model: 'per_unit', price_id: 'p', kafka_partition: 0, kafka_offset: i, kafka_epoch: 'e', keep_rank: '1',
    }));
    const raw = rated.map((r, i) => ({
      tenant: r.tenant, subject: r.subject, type: DEMO.eventType, source: r.source, id: r.id, time, ingested_at: time,
      data: JSON.stringify({ model: i === 0 ? 'a' : 'b' }), metered: true, kafka_partition: 0, kafka_offset: i,
    }));
    const lines = (rows: object[]): Uint8Array => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await writeBatchRows(clickhouse, `itest-http@${SUBJECT}`, { rawJson: lines(raw), ratedJson: lines(rated) });
  } finally {
    await clickhouse.close();
    await postgres.close();
  }
  node = await startTestNode({ authMode: 'optional' }, { rater: false });
});

afterAll(async () => {
  await node?.close();
});

async function get(query: string): Promise<{ status: number; body: UsageTotal & { error?: { code: string; field?: string; message: string } } }> {
  const response = await fetch(`${node.url}/v1/usage?${query}`);
  return { status: response.status, body: await response.json() as UsageTotal & { error?: { code: string; field?: string; message: string } } };
}

describe('GET /v1/usage', () => {
  it('groups by a data property the meter lists, per day', async () => {
    const { status, body } = await get(`subject=${SUBJECT}&meter=${DEMO.meter}&groupBy=model&windowSize=DAY`);
    expect(status).toBe(200);
    expect(body.rows.map((r) => [r.windowStart, r.dimensions, r.quantity, r.amountMicros, r.events])).toEqual([
      ['2026-12-02T00:00:00.000Z', { model: 'a' }, '1', '20', 1], ['2026-12-02T00:00:00.000Z', { model: 'b' }, '5', '100', 2],
    ]);
    expect(body).toMatchObject({ quantity: '6', amountMicros: '120', currency: 'USD', events: 3, groupBy: ['model'], windowSize: 'DAY' });
  });

  it('refuses a property the meter does not group by, naming what it does', async () => {
    const { status, body } = await get(`subject=${SUBJECT}&meter=${DEMO.meter}&groupBy=region`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'TG_QUERY_PARAM_INVALID', field: 'groupBy', message: expect.stringContaining('[model]') });
  });

  it('answers bad parameters with coded errors', async () => {
    expect((await get(`subject=${SUBJECT}&meter=${DEMO.meter}&windowSize=WEEK`)).body.error).toMatchObject({ code: 'TG_QUERY_PARAM_INVALID', field: 'windowSize' });
    expect((await get(`subject=${SUBJECT}&groupBy=model`)).body.error).toMatchObject({ code: 'TG_QUERY_PARAM_MISSING', field: 'meter' });
  });
});

/**
 * The invoicer daemon's loop against the real servers: it publishes queued
 * invoice events to Kafka and delivers webhooks without being asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, schema, type Postgres } from '../platform/postgres.ts';
import { currentBillingPeriod, startInvoicerDaemon } from './daemon.ts';
import { emitInvoiceEvents, invoiceEvent, type OutboxProducer } from './events.ts';
import { exec } from './sql.ts';
import { createWebhookEndpoint } from './webhooks/deliveries.ts';

const TENANT = 'inv-daemon';
let postgres: Postgres;
let clickhouse: ClickHouseClient;
let server: Server;
const bodies: string[] = [];

beforeAll(async () => {
  const infra = inject('infra');
  postgres = connectPostgres(infra.postgresUrl, 4);
  await migratePostgres(postgres.db);
  clickhouse = connectClickhouse(infra.clickhouseUrl);
  await postgres.db.insert(schema.tenants).values({ id: TENANT, name: TENANT }).onConflictDoNothing();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => { bodies.push(body); res.writeHead(204).end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await clickhouse?.close();
  await postgres?.close();
});

describe('invoicer daemon', () => {
  it('bills the month before the one it fires in', () => {
    expect(currentBillingPeriod(Date.parse('2026-12-01T02:00:00Z'))).toBe('2026-11');
    expect(currentBillingPeriod(Date.parse('2027-01-01T02:00:00Z'))).toBe('2026-12');
  });

  it('publishes the outbox and delivers webhooks in its loop', async () => {
    await createWebhookEndpoint(postgres.db, { tenantId: TENANT, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret: 's'.repeat(20), eventTypes: [] });
    const sent: string[] = [];
    const producer: OutboxProducer = { send: async (record) => { for (const m of record.messages) sent.push(m.value); } };
    await postgres.db.transaction((tx) => emitInvoiceEvents(tx, [invoiceEvent('invoice.finalized', TENANT, '00000000-0000-0000-0000-000000000001', 'c1', 'corr-1', { n: 1 })]));
    const daemon = startInvoicerDaemon({ db: postgres.db, clickhouse, log: createLogger('silent', 'test'), cron: 'off', producer, tickMs: 50 });
    try {
      const deadline = Date.now() + 20_000;
      while ((bodies.length === 0 || !sent.some((s) => s.includes(TENANT))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await daemon.stop();
    }
    expect(bodies.map((b) => (JSON.parse(b) as { correlationId: string }).correlationId)).toEqual(['corr-1']);
    expect(sent.some((s) => s.includes(TENANT))).toBe(true);
    const left = await exec<{ n: number }>(postgres.db, sql`SELECT count(*)::int AS n FROM invoice_outbox WHERE payload->>'tenant' = ${TENANT}`);
    expect(left.rows[0]!.n).toBe(0);
  });
});

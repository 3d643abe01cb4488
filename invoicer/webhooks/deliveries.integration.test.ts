/**
 * Webhook delivery against a local HTTP receiver and the real Postgres:
 * retries with backoff until delivered exactly once, signatures that verify,
 * the dead-letter state and manual redelivery.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectPostgres, migratePostgres, schema, type Postgres } from '../../platform/postgres.ts';
import { createWebhookEndpoint, deliverDueWebhooks, enqueueWebhookDeliveries, redeliverWebhook } from './deliveries.ts';
import { verifySignature } from './signature.ts';

const TENANT = 'inv-hooks';
const SECRET = 'whsec_test_0123456789abcdef';
const FAST = { baseMs: 5, capMs: 20 };

interface Received { body: string; signature: string; eventId: string; attempt: string; correlationId: string; status: number }

let postgres: Postgres;
let server: Server;
let url = '';
const received: Received[] = [];
/** How many requests to refuse (HTTP 503) before accepting; -1 = refuse all. */
let refuseFirst = 0;

beforeAll(async () => {
  postgres = connectPostgres(inject('infra').postgresUrl, 4);
  await migratePostgres(postgres.db);
  await postgres.db.insert(schema.tenants).values({ id: TENANT, name: TENANT }).onConflictDoNothing();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const refuse = refuseFirst === -1 || refuseFirst > 0;
      if (refuseFirst > 0) refuseFirst -= 1;
      const status = refuse ? 503 : 200;
      received.push({ body, signature: String(req.headers['tollgate-signature']), eventId: String(req.headers['tollgate-event-id']),
        attempt: String(req.headers['tollgate-delivery-attempt']), correlationId: String(req.headers['tollgate-correlation-id']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await postgres?.close();
});

async function deliverUntilQuiet(passes: number): Promise<void> {
  for (let i = 0; i < passes; i += 1) {
    await deliverDueWebhooks(postgres.db, { backoff: FAST });
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhook delivery', () => {
  it('retries a failing receiver with backoff and delivers exactly once, signed', async () => {
    const endpointId = await createWebhookEndpoint(postgres.db, { tenantId: TENANT, url, secret: SECRET, eventTypes: [] });
    refuseFirst = 2;
    received.length = 0;
    const event = { id: 'evt-retry-1', type: 'invoice.finalized', tenantId: TENANT, correlationId: 'run-42', priority: 3, payload: { invoiceId: 'x', totalMicros: '1000' } };
    await postgres.db.transaction((tx) => enqueueWebhookDeliveries(tx, [event]));
    // Enqueueing the same event again (a retried transaction) adds no second delivery.
    await postgres.db.transaction((tx) => enqueueWebhookDeliveries(tx, [event]));
    await deliverUntilQuiet(30);

    const ok = received.filter((r) => r.status === 200);
    expect(ok.length).toBe(1);
    expect(received.map((r) => r.attempt)).toEqual(['1', '2', '3']);
    for (const r of received) {
      expect(r.eventId).toBe('evt-retry-1');
      expect(r.correlationId).toBe('run-42');
      expect(verifySignature(SECRET, r.body, r.signature, Math.floor(Date.now() / 1000))).toEqual({ ok: true });
      expect(verifySignature('another-secret', r.body, r.signature, Math.floor(Date.now() / 1000)).ok).toBe(false);
    }
    expect(JSON.parse(ok[0]!.body)).toMatchObject({ id: 'evt-retry-1', type: 'invoice.finalized', data: { invoiceId: 'x' } });
    const rows = await postgres.db.select().from(schema.webhookDeliveries).where(sql`${schema.webhookDeliveries.endpointId} = ${endpointId}`);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['delivered', 3]]);
    await postgres.db.execute(sql`UPDATE webhook_endpoints SET active = 0 WHERE id = ${endpointId}`);
  });

  it('dead-letters after the attempt limit, and a manual redeliver sends it again', async () => {
    const endpointId = await createWebhookEndpoint(postgres.db, { tenantId: TENANT, url, secret: SECRET, eventTypes: ['invoice.overdue'] });
    refuseFirst = -1;
    received.length = 0;
    await postgres.db.transaction((tx) => enqueueWebhookDeliveries(tx, [
      { id: 'evt-dead-1', type: 'invoice.overdue', tenantId: TENANT, correlationId: 'c', priority: 5, payload: {} },
      // Not a type the endpoint takes: no delivery at all.
      { id: 'evt-other', type: 'invoice.created', tenantId: TENANT, correlationId: 'c', priority: 1, payload: {} },
    ], 3));
    await deliverUntilQuiet(20);
    const [dead] = await postgres.db.select().from(schema.webhookDeliveries).where(sql`${schema.webhookDeliveries.endpointId} = ${endpointId}`);
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastStatusCode: 503, eventId: 'evt-dead-1' });
    expect(received.length).toBe(3);

    refuseFirst = 0;
    expect(await redeliverWebhook(postgres.db, TENANT, dead!.id)).toBe(true);
    expect(await redeliverWebhook(postgres.db, 'another-tenant', dead!.id)).toBe(false);
    await deliverUntilQuiet(3);
    const [after] = await postgres.db.select().from(schema.webhookDeliveries).where(sql`${schema.webhookDeliveries.id} = ${dead!.id}`);
    expect(after!.status).toBe('delivered');
    expect(received.filter((r) => r.status === 200).length).toBe(1);
  });
});

/**
 * Invoice lifecycle against the real servers: partial payments and an
 * overpayment through the ledger, the provider webhook (signed, idempotent by
 * event id), a void with its credit note, the overdue sweep, the PDF read
 * back as text (pdftotext) and the outbox published to Kafka.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, schema, type Postgres } from '../platform/postgres.ts';
import { createApp, listen } from '../platform/uws.ts';
import { checkLedgerInvariants, receivableAccountId, walletBalance } from '../ledger/index.ts';
import { TOPICS } from '../schemas/event.ts';
import { publishInvoiceOutbox } from './events.ts';
import { registerInvoiceRoutes } from './http-routes.ts';
import { InvoiceError, recordPayment, refundInvoice, sweepOverdue, voidInvoice } from './lifecycle.ts';
import { divideHalfEven, formatMoney } from './money.ts';
import { runInvoices } from './run.ts';
import { seedTenant } from './seed.ts';
import { exec } from './sql.ts';
import { signPayload } from './webhooks/signature.ts';

const TENANT = 'inv-life';
const WEBHOOK_SECRET = 'provider-secret-for-tests';
let postgres: Postgres;
let clickhouse: ClickHouseClient;
let server: { port: number; close: () => void };
let base = '';
type Invoice = typeof schema.invoices.$inferSelect;
let invoices: Invoice[] = [];

const auth = { authorization: `Bearer ${TENANT}` };

beforeAll(async () => {
  const infra = inject('infra');
  postgres = connectPostgres(infra.postgresUrl, 6);
  await migratePostgres(postgres.db);
  clickhouse = connectClickhouse(infra.clickhouseUrl);
  await applyClickhouseSchema(clickhouse);
  await seedTenant(postgres.db, clickhouse, { tenantId: TENANT, customers: 8, periods: ['2026-09'] });
  const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-09', tenantId: TENANT });
  expect(summary.failures).toEqual([]);
  invoices = await postgres.db.select().from(schema.invoices).where(sql`${schema.invoices.tenantId} = ${TENANT}`).orderBy(schema.invoices.sequence);
  const app = createApp();
  registerInvoiceRoutes(app, { db: postgres.db, log: createLogger('silent', 'test'), paymentWebhookSecret: WEBHOOK_SECRET,
    resolveTenant: async (authorization) => authorization === `Bearer ${TENANT}` ? { ok: true, tenantId: TENANT }
      : { ok: false, status: 401, error: { code: 'TG_UNAUTHORIZED', message: 'no' } } });
  server = await listen(app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${server.port}`;
}, 120_000);

afterAll(async () => {
  server?.close();
  await clickhouse?.close();
  await postgres?.close();
});

async function receivable(invoice: Invoice): Promise<bigint> {
  const rows = await exec<{ owed: bigint }>(postgres.db, sql`SELECT debits_posted_micros - credits_posted_micros AS owed FROM ledger_accounts
    WHERE id = ${receivableAccountId(TENANT, invoice.customerId, invoice.currency)}`);
  return rows.rows[0]!.owed;
}

describe('invoice lifecycle', () => {
  it('finalizes with numbers, due dates and a balance the ledger agrees with', () => {
    expect(invoices.length).toBe(8);
    for (const i of invoices) {
      expect(i.number).toMatch(/^INV-\d{6}$/);
      expect(i.dueAt!.getTime() - i.finalizedAt!.getTime()).toBe(14 * 86_400_000);
      expect(i.balanceDueMicros).toBe(i.totalMicros - i.prepaidMicros - i.creditAppliedMicros);
    }
  });

  it('records partial payments, ignores a repeated one, and turns an overpayment into wallet credit', async () => {
    const invoice = invoices[0]!;
    const third = invoice.balanceDueMicros / 3n;
    const first = await recordPayment(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: third, method: 'bank', externalReference: 'tx-1' });
    expect(first).toMatchObject({ created: true, appliedMicros: third, overpaidMicros: 0n });
    expect(first.invoice.status).toBe('finalized');
    expect(first.invoice.balanceDueMicros).toBe(invoice.balanceDueMicros - third);
    const again = await recordPayment(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: third, method: 'bank', externalReference: 'tx-1' });
    expect(again.created).toBe(false);
    await expect(recordPayment(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: third + 1n, method: 'bank', externalReference: 'tx-1' }))
      .rejects.toMatchObject({ code: 'TG_PAYMENT_CONFLICT' });
    const walletBefore = await walletBalance(postgres.db, TENANT, invoice.customerId, 'USD');
    const rest = invoice.balanceDueMicros - third;
    const last = await recordPayment(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: rest + 5_000_000n, method: 'card', externalReference: 'ch-2' });
    expect(last).toMatchObject({ appliedMicros: rest, overpaidMicros: 5_000_000n });
    expect(last.invoice.status).toBe('paid');
    expect(last.invoice.balanceDueMicros).toBe(0n);
    expect(last.invoice.paidMicros).toBe(invoice.balanceDueMicros);
    const walletAfter = await walletBalance(postgres.db, TENANT, invoice.customerId, 'USD');
    expect(walletAfter.availableMicros - walletBefore.availableMicros).toBe(5_000_000n);
    expect(await receivable(invoice)).toBe(0n);
    await expect(voidInvoice(postgres.db, TENANT, invoice.id, 'no')).rejects.toBeInstanceOf(InvoiceError);
  });

  it('refunds part of a paid invoice with a credit note that splits off the tax', async () => {
    const invoice = (await postgres.db.select().from(schema.invoices).where(sql`${schema.invoices.id} = ${invoices[0]!.id}`))[0]!;
    const walletBefore = await walletBalance(postgres.db, TENANT, invoice.customerId, 'USD');
    const amount = invoice.totalMicros / 2n;
    const refund = await refundInvoice(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: amount, reason: 'goodwill',
      destination: 'wallet', reference: 'r-1' });
    expect(refund.created).toBe(true);
    expect(refund.taxMicros).toBe(divideHalfEven(amount * invoice.taxMicros, invoice.totalMicros));
    expect(refund.invoice.creditedMicros).toBe(amount);
    expect((await refundInvoice(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: amount, reason: 'goodwill',
      destination: 'wallet', reference: 'r-1' })).created).toBe(false);
    await expect(refundInvoice(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: invoice.totalMicros, reason: 'too much',
      destination: 'wallet', reference: 'r-2' })).rejects.toMatchObject({ code: 'TG_INVOICE_FIELD_INVALID' });
    const walletAfter = await walletBalance(postgres.db, TENANT, invoice.customerId, 'USD');
    expect(walletAfter.availableMicros - walletBefore.availableMicros).toBe(amount);
    expect(await receivable(invoice)).toBe(0n);
  });

  it('records a provider webhook payment once per event id and refuses a bad signature', async () => {
    const invoice = invoices[1]!;
    const body = JSON.stringify({ id: 'evt_123', type: 'payment.succeeded', data: { tenant: TENANT, invoiceId: invoice.id,
      amountMicros: String(invoice.balanceDueMicros), reference: 'pi_123' } });
    const post = (signature: string): Promise<Response> => fetch(`${base}/v1/payment-webhooks/stripe`, { method: 'POST', body,
      headers: { 'content-type': 'application/json', 'provider-signature': signature } });
    const now = Math.floor(Date.now() / 1000);
    const bad = await post(signPayload('wrong', body, now));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'TG_WEBHOOK_SIGNATURE_INVALID' } });
    const first = await (await post(signPayload(WEBHOOK_SECRET, body, now))).json() as { duplicate: boolean; status: string };
    expect(first).toMatchObject({ duplicate: false, status: 'paid' });
    const second = await (await post(signPayload(WEBHOOK_SECRET, body, now))).json() as { duplicate: boolean };
    expect(second.duplicate).toBe(true);
    const payments = await postgres.db.select().from(schema.invoicePayments).where(sql`${schema.invoicePayments.invoiceId} = ${invoice.id}`);
    expect(payments.length).toBe(1);
  });

  it('voids an unpaid invoice with a credit note that reverses it in the ledger', async () => {
    const invoice = invoices[2]!;
    const owedBefore = await receivable(invoice);
    const voided = await voidInvoice(postgres.db, TENANT, invoice.id, 'billed in error');
    expect(voided.status).toBe('void');
    expect(voided.creditedMicros).toBe(invoice.totalMicros);
    expect(await receivable(invoice)).toBe(owedBefore - invoice.balanceDueMicros);
    const notes = await postgres.db.select().from(schema.creditNotes).where(sql`${schema.creditNotes.invoiceId} = ${invoice.id}`);
    expect(notes.map((n) => [n.kind, n.amountMicros])).toEqual([['void', invoice.totalMicros]]);
    await expect(recordPayment(postgres.db, { tenantId: TENANT, invoiceId: invoice.id, amountMicros: 1n, method: 'bank', externalReference: 'late' }))
      .rejects.toMatchObject({ code: 'TG_INVOICE_STATE' });
  });

  it('sweeps unpaid invoices past their due date to overdue, once', async () => {
    const later = Date.now() + 30 * 86_400_000;
    const open = invoices.length - 3;
    expect(await sweepOverdue(postgres.db, later, { tenantId: TENANT })).toBe(open);
    expect(await sweepOverdue(postgres.db, later, { tenantId: TENANT })).toBe(0);
    const events = await exec<{ n: number }>(postgres.db, sql`SELECT count(*)::int AS n FROM invoice_outbox WHERE payload->>'type' = 'invoice.overdue' AND payload->>'tenant' = ${TENANT}`);
    expect(events.rows[0]!.n).toBe(open);
  });

  it('serves the PDF, whose text shows the total', async () => {
    const invoice = invoices[3]!;
    const response = await fetch(`${base}/v1/invoices/${invoice.id}.pdf`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-pdf-')), 'invoice.pdf');
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(invoice.number!);
    expect(text).toMatch(new RegExp(`Total\\s+${formatMoney(invoice.totalMicros, 'USD').replace('.', '\\.')}`));
    const html = await (await fetch(`${base}/v1/invoices/${invoice.id}.html`, { headers: auth })).text();
    expect(html).toContain(formatMoney(invoice.totalMicros, 'USD'));
    expect((await fetch(`${base}/v1/invoices/${invoice.id}.pdf`)).status).toBe(401);
    const missing = await fetch(`${base}/v1/invoices/00000000-0000-0000-0000-000000000000`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'TG_NOT_FOUND' } });
  });

  it('rejects a malformed payment with a field error', async () => {
    const response = await fetch(`${base}/v1/invoices/${invoices[4]!.id}/payments`, { method: 'POST', headers: auth,
      body: JSON.stringify({ amountMicros: '-5', method: 'bank', externalReference: 'x' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'TG_INVOICE_FIELD_INVALID', field: 'amountMicros' } });
  });

  it('publishes the outbox to Kafka invoice.events', async () => {
    const log = createLogger('silent', 'test');
    const kafka = connectKafka(inject('infra').kafkaBrokers, 'itest-invoicer', log);
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `itest-invoicer-${Date.now()}` });
    try {
      let published = 0;
      for (;;) { const n = await publishInvoiceOutbox(postgres.db, producer); published += n; if (n === 0) break; }
      expect(published).toBeGreaterThan(0);
      const left = await exec<{ n: number }>(postgres.db, sql`SELECT count(*)::int AS n FROM invoice_outbox`);
      expect(left.rows[0]!.n).toBe(0);
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.invoiceEvents, fromBeginning: true });
      const seen = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`saw only ${[...seen].join(', ')}`)), 30_000);
        void consumer.run({ eachMessage: async ({ message }) => {
          const event = JSON.parse(message.value!.toString()) as { type: string; tenant: string };
          if (event.tenant === TENANT) seen.add(event.type);
          if (['invoice.created', 'invoice.finalized', 'payment.received', 'invoice.overdue'].every((t) => seen.has(t))) { clearTimeout(timer); resolve(); }
        } });
      });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 60_000);

  it('keeps a finalized invoice and its lines immutable in the database', async () => {
    const invoice = invoices[4]!;
    await expect(postgres.db.execute(sql`UPDATE invoices SET total_micros = total_micros + 1 WHERE id = ${invoice.id}`)).rejects.toThrow();
    await expect(postgres.db.execute(sql`DELETE FROM invoice_lines WHERE invoice_id = ${invoice.id}`)).rejects.toThrow();
    await expect(postgres.db.execute(sql`UPDATE invoices SET status = 'draft' WHERE id = ${invoice.id}`)).rejects.toThrow();
    const [after] = await postgres.db.select().from(schema.invoices).where(sql`${schema.invoices.id} = ${invoice.id}`);
    expect(after!.totalMicros).toBe(invoice.totalMicros);
  });

  it('leaves the ledger consistent', async () => {
    expect((await checkLedgerInvariants(postgres.db, TENANT)).violations).toEqual([]);
  });
});

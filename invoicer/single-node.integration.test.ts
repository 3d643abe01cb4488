/** The invoicer wired into a single node: its routes answer, its invoices are served as PDF, its errors are coded. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode } from '../test/node-fixture.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { runInvoices } from './run.ts';
import { seedTenant } from './seed.ts';

const TENANT = 'inv-node';
let node: SingleNode;

beforeAll(async () => {
  node = await startTestNode({ defaultTenant: TENANT, authMode: 'optional' }, { rater: false });
  await seedTenant(node.postgres.db, node.clickhouse, { tenantId: TENANT, customers: 3, periods: ['2026-08'] });
  const summary = await runInvoices(node.postgres.db, node.clickhouse, { period: '2026-08', tenantId: TENANT });
  expect(summary.created).toBe(3);
}, 120_000);

afterAll(async () => {
  await node?.close();
});

describe('invoicer in the single node', () => {
  it('lists invoices and serves one as JSON and PDF', async () => {
    const list = await (await fetch(`${node.url}/v1/invoices?period=2026-08`)).json() as { invoices: { id: string; number: string }[] };
    expect(list.invoices.length).toBe(3);
    const one = await (await fetch(`${node.url}/v1/invoices/${list.invoices[0]!.id}`)).json() as { number: string; lines: unknown[] };
    expect(one.number).toBe(list.invoices[0]!.number);
    expect(one.lines.length).toBeGreaterThan(0);
    const pdf = await fetch(`${node.url}/v1/invoices/${list.invoices[0]!.id}.pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('refuses an unsigned provider webhook (no secret configured)', async () => {
    const response = await fetch(`${node.url}/v1/payment-webhooks/stripe`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'TG_WEBHOOK_SIGNATURE_INVALID' } });
  });
});

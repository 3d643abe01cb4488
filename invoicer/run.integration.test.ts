/**
 * Invoice runs against the real servers: 1,000 customers with usage in
 * ClickHouse and in the ledger; rerun; kill a run (a separate process,
 * SIGKILL) and resume; late events; reconciliation with usage_rated and the
 * ledger.
 */
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { connectPostgres, migratePostgres, type Postgres } from '../platform/postgres.ts';
import { checkLedgerInvariants, idFromName, receivableAccountId, revenueAccountId } from '../ledger/index.ts';
import { discountsAccountId, taxPayableAccountId } from './ledger-accounts.ts';
import { runInvoices } from './run.ts';
import { seedTenant, seedUsage } from './seed.ts';
import { exec } from './sql.ts';

const TENANT = 'inv-run';
const CUSTOMERS = 1000;
let postgres: Postgres;
let clickhouse: ClickHouseClient;
let customerIds: string[];

async function invoiceTotals(period: string): Promise<{ n: number; total: bigint; tax: bigint; numbers: number }> {
  const rows = await exec<{ n: number; total: bigint; tax: bigint; numbers: number }>(postgres.db, sql`
    SELECT count(*)::int AS n, coalesce(sum(total_micros), 0)::bigint AS total, coalesce(sum(tax_micros), 0)::bigint AS tax,
      count(DISTINCT number)::int AS numbers
    FROM invoices WHERE tenant_id = ${TENANT} AND period = ${period}`);
  return rows.rows[0]!;
}

async function clickhouseUsage(from: string, to: string): Promise<bigint> {
  const r = await clickhouse.query({ query: `SELECT toString(sum(amount_micros)) AS s FROM usage_rated FINAL WHERE tenant = '${TENANT}'
    AND time >= toDateTime64('${from} 00:00:00', 3, 'UTC') AND time < toDateTime64('${to} 00:00:00', 3, 'UTC')`, format: 'JSONEachRow' });
  return BigInt((await r.json<{ s: string }>())[0]!.s);
}

beforeAll(async () => {
  const infra = inject('infra');
  postgres = connectPostgres(infra.postgresUrl, 8);
  await migratePostgres(postgres.db);
  clickhouse = connectClickhouse(infra.clickhouseUrl);
  await applyClickhouseSchema(clickhouse);
  const seeded = await seedTenant(postgres.db, clickhouse, { tenantId: TENANT, customers: CUSTOMERS, periods: ['2026-10', '2026-11'], walletEvery: 7 });
  customerIds = seeded.customerIds;
}, 300_000);

afterAll(async () => {
  await clickhouse?.close();
  await postgres?.close();
});

describe('invoice run', () => {
  it('invoices 1,000 customers once, numbered without gaps', async () => {
    const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-10', tenantId: TENANT, batchSize: 200 });
    expect(summary.failures).toEqual([]);
    expect(summary.created).toBe(CUSTOMERS);
    const seq = await exec<{ min: bigint; max: bigint; n: number }>(postgres.db, sql`
      SELECT min(sequence) AS min, max(sequence) AS max, count(*)::int AS n FROM invoices WHERE tenant_id = ${TENANT}`);
    expect(seq.rows[0]).toEqual({ min: 1n, max: BigInt(CUSTOMERS), n: CUSTOMERS });
    expect((await invoiceTotals('2026-10')).numbers).toBe(CUSTOMERS);
  }, 300_000);

  it('a rerun creates nothing and the totals stay identical', async () => {
    const before = await invoiceTotals('2026-10');
    const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-10', tenantId: TENANT });
    expect(summary.created).toBe(0);
    expect(summary.skipped).toBe(CUSTOMERS);
    expect(summary.failed).toBe(0);
    expect(await invoiceTotals('2026-10')).toEqual(before);
  }, 120_000);

  it('a dry run writes nothing', async () => {
    const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-11', tenantId: TENANT, dryRun: true, customers: customerIds.slice(0, 10) });
    expect(summary.created).toBe(10);
    expect((await invoiceTotals('2026-11')).n).toBe(0);
  });

  it('usage lines equal the rater totals in usage_rated', async () => {
    const lines = await exec<{ s: bigint }>(postgres.db, sql`SELECT sum(l.amount_micros)::bigint AS s FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE i.tenant_id = ${TENANT} AND i.period = '2026-10' AND l.kind = 'usage'`);
    expect(lines.rows[0]!.s).toBe(await clickhouseUsage('2026-10-01', '2026-11-01'));
  });

  it('resumes a run killed mid-way: none duplicated, none missing, numbers without gaps', async () => {
    // Late events for October (rated after October was invoiced) must show on November's invoices.
    const late = customerIds.slice(0, 10).map((id) => ({ id, subject: `late-${id}` }));
    const lateMicros = await seedUsage(postgres.db, clickhouse, TENANT, late, '2026-10', idFromName(`seed:${TENANT}:charge:usage`), 1, '2026-10-30 23:00:00.000');
    const infra = inject('infra');
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/tollgate.ts', 'invoice', 'run', '--period', '2026-11', '--tenant', TENANT,
      '--batch-size', '25', '--concurrency', '1'], {
      env: { ...process.env, TOLLGATE_PG_URL: infra.postgresUrl, TOLLGATE_CLICKHOUSE_URL: infra.clickhouseUrl, TOLLGATE_KAFKA_BROKERS: infra.kafkaBrokers.join(',') },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let seen = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      seen = (await invoiceTotals('2026-11')).n;
      if (seen > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const atKill = (await invoiceTotals('2026-11')).n;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(CUSTOMERS);

    const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-11', tenantId: TENANT });
    expect(summary.failures).toEqual([]);
    expect(summary.created).toBe(CUSTOMERS - atKill);
    expect(summary.skipped).toBe(atKill);
    const totals = await invoiceTotals('2026-11');
    expect(totals.n).toBe(CUSTOMERS);
    expect(totals.numbers).toBe(CUSTOMERS);
    const seq = await exec<{ min: bigint; max: bigint; n: number }>(postgres.db, sql`
      SELECT min(sequence) AS min, max(sequence) AS max, count(*)::int AS n FROM invoices WHERE tenant_id = ${TENANT}`);
    expect(seq.rows[0]).toEqual({ min: 1n, max: BigInt(2 * CUSTOMERS), n: 2 * CUSTOMERS });

    const lateLines = await exec<{ s: bigint; n: number }>(postgres.db, sql`SELECT sum(l.amount_micros)::bigint AS s, count(*)::int AS n
      FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.tenant_id = ${TENANT} AND i.period = '2026-11' AND l.kind = 'late_usage'`);
    expect(lateLines.rows[0]).toEqual({ s: lateMicros, n: 10 });
  }, 300_000);

  it('reconciles invoices with the ledger and with usage_rated', async () => {
    const sums = await exec<{ usage: bigint; charges: bigint; discounts: bigint; tax: bigint; rounding: bigint; due: bigint; total: bigint;
      prepaid: bigint; credit: bigint }>(postgres.db, sql`
      SELECT
        (SELECT coalesce(sum(l.amount_micros), 0) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.tenant_id = ${TENANT} AND l.kind IN ('usage', 'late_usage'))::bigint AS usage,
        (SELECT coalesce(sum(l.amount_micros), 0) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.tenant_id = ${TENANT} AND l.kind IN ('recurring', 'minimum_commitment'))::bigint AS charges,
        sum(discount_micros)::bigint AS discounts, sum(tax_micros)::bigint AS tax, sum(rounding_micros)::bigint AS rounding,
        sum(balance_due_micros)::bigint AS due, sum(total_micros)::bigint AS total, sum(prepaid_micros)::bigint AS prepaid,
        sum(credit_applied_micros)::bigint AS credit
      FROM invoices WHERE tenant_id = ${TENANT}`);
    const s = sums.rows[0]!;
    // Everything rated was invoiced, once.
    expect(s.usage).toBe(await clickhouseUsage('2026-10-01', '2026-12-01'));
    expect(s.total).toBe(s.usage + s.charges + s.discounts + s.tax + s.rounding);
    expect(s.due).toBe(s.total - s.prepaid - s.credit);
    expect(s.prepaid).toBeGreaterThan(0n);
    expect(s.credit).toBeGreaterThan(0n);

    const account = async (id: string): Promise<{ dp: bigint; cp: bigint }> =>
      (await exec<{ dp: bigint; cp: bigint }>(postgres.db, sql`SELECT debits_posted_micros AS dp, credits_posted_micros AS cp FROM ledger_accounts WHERE id = ${id}`)).rows[0]!;
    const tax = await account(taxPayableAccountId(TENANT, 'USD'));
    expect(tax.cp - tax.dp).toBe(s.tax);
    const discounts = await account(discountsAccountId(TENANT, 'USD'));
    expect(discounts.dp - discounts.cp).toBe(-s.discounts);
    const revenue = await account(revenueAccountId(TENANT, 'USD'));
    expect(revenue.cp - revenue.dp).toBe(s.usage + s.charges + s.rounding);
    // What customers owe in the ledger is exactly what open invoices say is due.
    const receivables = await exec<{ owed: bigint }>(postgres.db, sql`SELECT sum(debits_posted_micros - credits_posted_micros)::bigint AS owed
      FROM ledger_accounts WHERE id = ANY(${sql.param(customerIds.map((c) => receivableAccountId(TENANT, c, 'USD')))}::uuid[])`);
    expect(receivables.rows[0]!.owed).toBe(s.due);
    const report = await checkLedgerInvariants(postgres.db, TENANT);
    expect(report.violations).toEqual([]);
  }, 120_000);
});

/**
 * invoicer: customers invoiced per minute by `runInvoices` (select what is
 * due, read usage from ClickHouse `usage_rated FINAL`, compute, write and
 * finalize with ledger transfers, one transaction per batch of 500, two
 * batches at a time), then PDF rendering on its own (documents per minute).
 *
 * Data: a scratch database `tollgate_bench_invoicer` (dropped, recreated,
 * migrated) and a fresh tenant in the bench ClickHouse; 10,000 customers
 * (or --customers when larger than 1,000) seeded by invoicer/seed.ts: a plan
 * with usage, a flat fee and a minimum commitment, tax rates, automatic
 * discounts, a coupon for every fifth customer, 3 rated events per customer
 * in ClickHouse and the same usage booked in the ledger as the rater books
 * it, a wallet for every seventh. A second run must create nothing.
 *
 * `npm run bench -- invoicer` (TOLLGATE_BENCH_STATE_DIR / _PG_PORT / _CLICKHOUSE_PORT and --keep-infra
 * measure on other infrastructure, as for every scenario: bench/context.ts).
 */
import { applyClickhouseSchema, connectClickhouse } from '../../platform/clickhouse.ts';
import { connectPostgres, migratePostgres, schema } from '../../platform/postgres.ts';
import { checkLedgerInvariants } from '../../ledger/index.ts';
import { loadInvoiceDocument, renderInvoicePdf, runInvoices } from '../../invoicer/index.ts';
import { seedTenant } from '../../invoicer/seed.ts';
import type { BenchContext } from '../context.ts';
import { CpuMeter, infraProcesses } from '../cpu.ts';
import { compareTo, comparisons, type Figure, type ScenarioOutcome } from '../report.ts';
import { sql } from 'drizzle-orm';
import { recreateDatabase } from '../../scripts/infra.ts';

const DATABASE = 'tollgate_bench_invoicer';
const CUSTOMERS_DEFAULT = 10_000;
const PDF_SAMPLE = 200;
/** DESIGN §9: invoice run. */
const TARGET = { bar: 10_000, goal: 100_000 };

/**
 * The ceiling of an invoice run on this box, measured after it: the same data
 * volume moved with no logic — the period's rated usage read back grouped per
 * customer and meter (one ClickHouse query), and as many rows as the run
 * stored in invoices, invoice lines and ledger transfers written by bare
 * multi-row INSERTs (rows sent from the client) into a scratch table, 1,000 customers per statement.
 */
async function bareReadWriteSeconds(postgres: ReturnType<typeof connectPostgres>, clickhouse: ReturnType<typeof connectClickhouse>,
  tenantId: string, customers: number): Promise<{ seconds: number; rowsWritten: number }> {
  const counted = await postgres.pool.query<{ rows: string }>(
    `SELECT (SELECT count(*) FROM invoices WHERE tenant_id = $1) + (SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.tenant_id = $1)
       + (SELECT count(*) FROM ledger_transfers WHERE tenant_id = $1 AND user_data LIKE 'invoice:%') AS rows`, [tenantId]);
  const rowsWritten = Number(counted.rows[0]!.rows);
  await postgres.pool.query('DROP TABLE IF EXISTS bench_invoicer_bare; CREATE UNLOGGED TABLE bench_invoicer_bare (id bigint, customer int, amount_micros bigint, label text)');
  const started = performance.now();
  const usage = await clickhouse.query({
    query: `SELECT subject, meter, sum(amount_micros) AS amount FROM usage_rated FINAL
            WHERE tenant = {tenant:String} AND time >= '2026-11-01' AND time < '2026-12-01' GROUP BY subject, meter`,
    query_params: { tenant: tenantId }, format: 'JSONEachRow',
  });
  await usage.json();
  const perCustomer = Math.max(1, Math.round(rowsWritten / customers));
  for (let first = 0; first < customers; first += 1000) {
    const last = Math.min(customers, first + 1000);
    // Rows sent from here, as the run sends its own (not generated server-side).
    const ids: number[] = [];
    const owners: number[] = [];
    const amounts: string[] = [];
    const labels: string[] = [];
    for (let row = first * perCustomer; row < last * perCustomer; row++) {
      ids.push(row);
      owners.push(Math.floor(row / perCustomer));
      amounts.push(String(row * 7));
      labels.push(`usage line ${row} of customer ${Math.floor(row / perCustomer)}`);
    }
    await postgres.pool.query('INSERT INTO bench_invoicer_bare SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[])',
      [ids, owners, amounts, labels]);
  }
  const seconds = (performance.now() - started) / 1000;
  await postgres.pool.query('DROP TABLE bench_invoicer_bare');
  return { seconds, rowsWritten };
}

export async function runInvoicerBench(ctx: BenchContext): Promise<ScenarioOutcome> {
  const endpoints = await ctx.infra();
  const customers = ctx.options.customers > 1000 ? ctx.options.customers : CUSTOMERS_DEFAULT;
  const postgres = connectPostgres(await recreateDatabase(endpoints.postgresUrl, DATABASE), 8);
  const clickhouse = connectClickhouse(endpoints.clickhouseUrl);
  try {
    await migratePostgres(postgres.db);
    await applyClickhouseSchema(clickhouse);
    const tenantId = `bench-invoicer-${Date.now()}`;
    ctx.say(`invoicer: seeding ${customers} customers (usage in ClickHouse and the ledger)`);
    await seedTenant(postgres.db, clickhouse, { tenantId, customers, periods: ['2026-11'], walletEvery: 7 });

    ctx.say('invoicer: invoice run 2026-11');
    const cpu = new CpuMeter(infraProcesses(ctx.stateDir)).start();
    const started = performance.now();
    const summary = await runInvoices(postgres.db, clickhouse, { period: '2026-11', tenantId });
    const seconds = (performance.now() - started) / 1000;
    const cpuPercent = cpu.stop();
    const rerunStarted = performance.now();
    const rerun = await runInvoices(postgres.db, clickhouse, { period: '2026-11', tenantId });
    const rerunSeconds = (performance.now() - rerunStarted) / 1000;

    ctx.say(`invoicer: rendering ${PDF_SAMPLE} PDFs`);
    const ids = await postgres.db.select({ id: schema.invoices.id }).from(schema.invoices)
      .where(sql`${schema.invoices.tenantId} = ${tenantId}`).limit(PDF_SAMPLE);
    const pdfStarted = performance.now();
    let pdfBytes = 0;
    for (const { id } of ids) {
      const doc = await loadInvoiceDocument(postgres.db, tenantId, id);
      pdfBytes += (await renderInvoicePdf(doc!)).length;
    }
    const pdfSeconds = (performance.now() - pdfStarted) / 1000;
    const invariants = await checkLedgerInvariants(postgres.db, tenantId);

    const perMinute = (summary.created / seconds) * 60;
    ctx.say('invoicer: ceiling — the same rows read and written with no logic');
    const bare = await bareReadWriteSeconds(postgres, clickhouse, tenantId, customers);
    const ceiling: Figure = {
      id: 'bare-customers-per-min', label: `bare read of the usage + INSERT of the run's ${bare.rowsWritten.toLocaleString('en-US')} rows`,
      value: (customers / bare.seconds) * 60, unit: 'customers/min', role: 'ceiling', comparisons: [],
    };
    const figures: Figure[] = [
      ceiling,
      { id: 'customers-per-min', label: 'invoice run (no PDFs)', value: perMinute, unit: 'customers/min', role: 'measure',
        comparisons: comparisons(compareTo(perMinute, 'invoicer', ceiling)), target: TARGET },
      { id: 'pdfs-per-min', label: 'PDF rendering (one process)', value: (ids.length / pdfSeconds) * 60, unit: 'documents/min', role: 'measure', comparisons: [] },
    ];
    const ok = summary.failed === 0 && summary.created === customers && rerun.created === 0 && invariants.ok;
    return {
      ok,
      figures,
      details: {
        customers, created: summary.created, failed: summary.failed, runSeconds: Number(seconds.toFixed(2)), rerunCreated: rerun.created,
        rerunSkipped: rerun.skipped, rerunSeconds: Number(rerunSeconds.toFixed(2)), pdfs: ids.length, pdfKiBAvg: Number((pdfBytes / 1024 / Math.max(1, ids.length)).toFixed(1)),
        ledgerInvariants: invariants.ok, cpu: Object.entries(cpuPercent).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', '),
      },
      notes: [
        'One node process; Postgres, ClickHouse (chdb) and the bench share the 2 cores.',
        ...(invariants.ok ? [] : invariants.violations.slice(0, 5)),
        ...summary.failures.slice(0, 5).map((f) => `failed ${f.customerId}: ${f.reason}`),
      ],
    };
  } finally {
    await clickhouse.close();
    await postgres.close();
  }
}

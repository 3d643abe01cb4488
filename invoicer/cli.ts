/**
 * `tollgate invoice …` and `tollgate invoicer` (the daemon). The run prints a
 * summary and exits non-zero when any invoice failed.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../platform/config.ts';
import { applyClickhouseSchema, connectClickhouse } from '../platform/clickhouse.ts';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres } from '../platform/postgres.ts';
import { registerOpsRoutes } from '../platform/ops-routes.ts';
import { createApp, listen } from '../platform/uws.ts';
import { periodIndex } from './compute.ts';
import { startInvoicerDaemon } from './daemon.ts';
import { loadInvoiceDocument } from './document.ts';
import { renderInvoiceHtml } from './html.ts';
import { finalizeInvoice, recordPayment, sweepOverdue, voidInvoice } from './lifecycle.ts';
import { formatMoney } from './money.ts';
import { renderInvoicePdf } from './pdf.ts';
import { progressReporter } from './progress.ts';
import { runInvoices, type RunSummary } from './run.ts';
import { deliverDueWebhooks, redeliverWebhook } from './webhooks/deliveries.ts';

export const INVOICE_HELP = `  tollgate invoice run --period YYYY-MM [--tenant T] [--customers id|subject,…] [--dry-run] [--drafts]
                       [--batch-size N] [--concurrency N]
      Invoice every subscription due in the period (idempotent per customer and period; a rerun
      creates nothing, a crashed run resumes). Exits 1 if any invoice failed.
  tollgate invoice finalize|void <invoice-id> [--tenant T] [--reason R]
  tollgate invoice pay <invoice-id> --amount-micros N --method M --reference R [--tenant T]
  tollgate invoice document <invoice-id> --out file.pdf|file.html [--tenant T]
  tollgate invoice overdue | deliver-webhooks | redeliver <delivery-id> [--tenant T]
  tollgate invoicer [--cron "0 2 1 * *"]
      The invoicer daemon: scheduled runs (cron, UTC; default TOLLGATE_INVOICER_CRON), the overdue
      sweep, webhook delivery with retries and the invoice outbox to Kafka.`;

export class InvoiceUsageError extends Error {}

function printSummary(summary: RunSummary): void {
  const lines = [
    `invoice run ${summary.period}${summary.dryRun ? ' (dry run: nothing written)' : ''} — correlation id ${summary.correlationId}`,
    `  due ${summary.due}, created ${summary.created}, skipped ${summary.skipped}, failed ${summary.failed} in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const [currency, t] of Object.entries(summary.totalsByCurrency)) {
    lines.push(`  ${currency}: ${t.invoices} invoices, total ${formatMoney(t.totalMicros, currency)}, tax ${formatMoney(t.taxMicros, currency)}, usage ${formatMoney(t.usageMicros, currency)}`);
  }
  for (const f of summary.failures.slice(0, 50)) lines.push(`  FAILED ${f.tenantId}/${f.customerId}: ${f.reason}`);
  if (summary.failures.length > 50) lines.push(`  … and ${summary.failures.length - 50} more failures`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function invoiceCommand(args: string[], config: Config): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: {
    period: { type: 'string' }, tenant: { type: 'string' }, customers: { type: 'string' }, 'dry-run': { type: 'boolean' }, drafts: { type: 'boolean' },
    'batch-size': { type: 'string' }, concurrency: { type: 'string' }, reason: { type: 'string' }, 'amount-micros': { type: 'string' },
    method: { type: 'string' }, reference: { type: 'string' }, out: { type: 'string' },
  } });
  const postgres = connectPostgres(config.postgresUrl, 8);
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  const tenantId = values.tenant ?? config.defaultTenant;
  try {
    await migratePostgres(postgres.db);
    const db = postgres.db;
    switch (action) {
      case 'run': {
        if (!values.period) throw new InvoiceUsageError('--period YYYY-MM is required');
        try { periodIndex(values.period); } catch { throw new InvoiceUsageError(`--period "${values.period}" is not YYYY-MM`); }
        await applyClickhouseSchema(clickhouse);
        const summary = await runInvoices(db, clickhouse, {
          period: values.period, ...(values.tenant ? { tenantId: values.tenant } : {}),
          ...(values.customers ? { customers: values.customers.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
          dryRun: values['dry-run'] ?? false, draftsOnly: values.drafts ?? false,
          ...(values['batch-size'] ? { batchSize: positiveInt(values['batch-size'], '--batch-size') } : {}),
          ...(values.concurrency ? { concurrency: positiveInt(values.concurrency, '--concurrency') } : {}),
          onProgress: progressReporter(),
        });
        printSummary(summary);
        if (summary.failed > 0) process.exitCode = 1;
        return;
      }
      case 'finalize': print(await finalizeInvoice(db, tenantId, required(positionals[0], '<invoice-id>'))); return;
      case 'void': print(await voidInvoice(db, tenantId, required(positionals[0], '<invoice-id>'), values.reason ?? 'voided by hand')); return;
      case 'pay': {
        const result = await recordPayment(db, { tenantId, invoiceId: required(positionals[0], '<invoice-id>'),
          amountMicros: BigInt(required(values['amount-micros'], '--amount-micros')), method: required(values.method, '--method'),
          externalReference: required(values.reference, '--reference') });
        print({ paymentId: result.paymentId, created: result.created, appliedMicros: result.appliedMicros, overpaidMicros: result.overpaidMicros,
          status: result.invoice.status, balanceDueMicros: result.invoice.balanceDueMicros });
        return;
      }
      case 'document': {
        const out = required(values.out, '--out');
        const doc = await loadInvoiceDocument(db, tenantId, required(positionals[0], '<invoice-id>'));
        if (!doc) throw new InvoiceUsageError('no such invoice for this tenant');
        writeFileSync(out, out.endsWith('.html') ? renderInvoiceHtml(doc) : await renderInvoicePdf(doc));
        console.log(`wrote ${out}`);
        return;
      }
      case 'overdue': console.log(`${await sweepOverdue(db)} invoices marked overdue`); return;
      case 'deliver-webhooks': print(await deliverDueWebhooks(db)); return;
      case 'redeliver': console.log(await redeliverWebhook(db, tenantId, required(positionals[0], '<delivery-id>')) ? 'queued' : 'no such delivery'); return;
      default: throw new InvoiceUsageError(`unknown invoice action "${action ?? ''}"`);
    }
  } finally {
    await clickhouse.close();
    await postgres.close();
  }
}

export async function invoicerDaemonCommand(args: string[], config: Config): Promise<void> {
  const { values } = parseArgs({ args, options: { cron: { type: 'string' } } });
  const log = createLogger(config.logLevel, 'invoicer');
  const postgres = connectPostgres(config.postgresUrl, 8);
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  await migratePostgres(postgres.db);
  await applyClickhouseSchema(clickhouse);
  const producer = connectKafka(config.kafkaBrokers, 'tollgate-invoicer', log).producer();
  await producer.connect();
  const cron = values.cron ?? config.invoicerCron;
  const daemon = startInvoicerDaemon({ db: postgres.db, clickhouse, log, cron, producer });
  // /healthz, /readyz and /metrics on the configured port: the compose healthcheck and Prometheus use them.
  let draining = false;
  const app = createApp();
  registerOpsRoutes(app, { postgres: async () => { await postgres.pool.query('SELECT 1'); } }, () => draining);
  const listener = await listen(app, config.httpHost, config.httpPort);
  log.info({ cron, port: listener.port }, 'invoicer running');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  draining = true;
  listener.close();
  await daemon.stop();
  await producer.disconnect();
  await clickhouse.close();
  await postgres.close();
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new InvoiceUsageError(`${name} is required`);
  return value;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvoiceUsageError(`${name} must be a positive integer`);
  return n;
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
}

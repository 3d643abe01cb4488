/**
 * An invoice run for one period: selects what is due, builds invoices in
 * batches (`concurrency` batches at once), and writes and finalizes each batch
 * in one transaction. Idempotent per (customer, period): customers invoiced
 * already are skipped, and a batch that dies before its commit leaves nothing,
 * so a rerun after a crash does exactly the missing customers.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import { counter, histogram } from '../platform/metrics.ts';
import type { Database } from '../platform/postgres.ts';
import { inTransactionWithRetry } from '../ledger/index.ts';
import { buildInvoices, type BuildFailure, type BuiltInvoice } from './build.ts';
import { loadBillingCatalog, selectDueCustomers, type DueCustomer, type DueSelection } from './source.ts';
import { finalizeDrafts, insertDrafts } from './store.ts';

export interface RunOptions extends DueSelection {
  dryRun?: boolean;
  /** Leave invoices as drafts (finalize later by hand or API). */
  draftsOnly?: boolean;
  batchSize?: number;
  concurrency?: number;
  correlationId?: string;
  nowMs?: number;
  onProgress?: (progress: RunProgress) => void;
}

export interface RunProgress {
  done: number;
  total: number;
  created: number;
  failed: number;
}

export interface CurrencyTotal {
  invoices: number;
  totalMicros: bigint;
  taxMicros: bigint;
  usageMicros: bigint;
}

export interface RunSummary {
  period: string;
  correlationId: string;
  dryRun: boolean;
  due: number;
  created: number;
  /** Already invoiced before this run (or by a concurrent one). */
  skipped: number;
  failed: number;
  failures: BuildFailure[];
  totalsByCurrency: Record<string, CurrencyTotal>;
  elapsedMs: number;
}

export const BATCH_SIZE_DEFAULT = 500;
export const CONCURRENCY_DEFAULT = 2;
/** Bounded: a batch's transaction that keeps failing marks its customers failed rather than stopping the run. */
const BATCH_ATTEMPTS_MAX = 3;

const metrics = {
  runs: counter('tollgate_invoicer_runs_total', 'Invoice runs by outcome (completed: none failed)', ['outcome']),
  invoices: counter('tollgate_invoicer_invoices_total', 'Invoices by outcome of a run (created, skipped, failed)', ['outcome']),
  batchSeconds: histogram('tollgate_invoicer_batch_seconds', 'Time to build, write and finalize one batch', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
};

export async function runInvoices(db: Database, clickhouse: ClickHouseClient, options: RunOptions): Promise<RunSummary> {
  const startedMs = Date.now();
  const correlationId = options.correlationId ?? `invoice-run:${options.period}:${randomUUID()}`;
  const { due, alreadyInvoiced } = await selectDueCustomers(db, options);
  const catalog = await loadBillingCatalog(db, [...new Set(due.map((d) => d.tenantId))],
    [...new Set(due.flatMap((d) => d.subscriptions.map((s) => s.planVersionId)))]);
  const summary: RunSummary = { period: options.period, correlationId, dryRun: options.dryRun ?? false, due: due.length, created: 0,
    skipped: alreadyInvoiced, failed: 0, failures: [], totalsByCurrency: {}, elapsedMs: 0 };
  const batches = toBatches(due, options.batchSize ?? BATCH_SIZE_DEFAULT);
  let done = 0;
  const report = (): void => options.onProgress?.({ done, total: due.length, created: summary.created, failed: summary.failed });
  report();

  const runBatch = async (batch: DueCustomer[]): Promise<void> => {
    const stop = metrics.batchSeconds.startTimer();
    const tenantId = batch[0]!.tenantId;
    let built: BuiltInvoice[] = [];
    try {
      const result = await buildInvoices(db, clickhouse, catalog, options.period, tenantId, batch);
      built = result.built;
      summary.failures.push(...result.failures);
      summary.failed += result.failures.length;
      const created = options.dryRun ? built.map((b) => b.id) : await writeBatch(db, built, correlationId, options);
      const createdIds = new Set(created);
      summary.created += created.length;
      summary.skipped += built.length - created.length;
      for (const b of built.filter((x) => createdIds.has(x.id))) addTotals(summary, b);
    } catch (err) {
      const reason = failureReason(err);
      const failedIds = new Set(summary.failures.map((f) => f.customerId));
      const failures = batch.filter((c) => !failedIds.has(c.customerId)).map((c) => ({ tenantId, customerId: c.customerId, reason }));
      summary.failures.push(...failures);
      summary.failed += failures.length;
    }
    done += batch.length;
    stop();
    report();
  };
  await runPool(batches, options.concurrency ?? CONCURRENCY_DEFAULT, runBatch);
  summary.elapsedMs = Date.now() - startedMs;
  metrics.invoices.inc({ outcome: 'created' }, summary.created);
  metrics.invoices.inc({ outcome: 'skipped' }, summary.skipped);
  metrics.invoices.inc({ outcome: 'failed' }, summary.failed);
  metrics.runs.inc({ outcome: summary.failed === 0 ? 'completed' : 'failed' });
  return summary;
}

async function writeBatch(db: Database, built: readonly BuiltInvoice[], correlationId: string, options: RunOptions): Promise<string[]> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= BATCH_ATTEMPTS_MAX; attempt += 1) {
    try {
      // inTransactionWithRetry reruns deadlocks and id races with the rater's batches, which lock the same accounts.
      return await inTransactionWithRetry(db, async (tx) => {
        const ids = await insertDrafts(tx, built, correlationId);
        if (!options.draftsOnly) await finalizeDrafts(tx, ids, options.nowMs);
        return ids;
      });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** The database's own message when there is one (drizzle wraps it with the whole query), bounded. */
function failureReason(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return message.slice(0, 300);
}

function addTotals(summary: RunSummary, b: BuiltInvoice): void {
  const t = summary.totalsByCurrency[b.currency] ?? { invoices: 0, totalMicros: 0n, taxMicros: 0n, usageMicros: 0n };
  t.invoices += 1;
  t.totalMicros += b.computed.totalMicros;
  t.taxMicros += b.computed.taxMicros;
  t.usageMicros += b.computed.usageMicros;
  summary.totalsByCurrency[b.currency] = t;
}

/** Batches never mix tenants (one ClickHouse query per batch filters on one tenant). */
function toBatches(due: readonly DueCustomer[], size: number): DueCustomer[][] {
  const out: DueCustomer[][] = [];
  let current: DueCustomer[] = [];
  for (const c of due) {
    if (current.length > 0 && (current.length >= size || current[0]!.tenantId !== c.tenantId)) { out.push(current); current = []; }
    current.push(c);
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/**
 * The invoicer's background work, as one loop (`tollgate invoicer`, or
 * inside the single node): scheduled invoice runs (cron, UTC; each run bills
 * the month before the one it fires in, and is idempotent, so a missed or
 * repeated firing is harmless), the overdue sweep, webhook delivery and the
 * invoice outbox → Kafka. Each task backs off on its own after a failure.
 */
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/log.ts';
import { counter } from '../platform/metrics.ts';
import type { Database } from '../platform/postgres.ts';
import { previousPeriod } from './compute.ts';
import { cronMatches, parseCron } from './cron.ts';
import { publishInvoiceOutbox, type OutboxProducer } from './events.ts';
import { sweepOverdue } from './lifecycle.ts';
import { runInvoices } from './run.ts';
import { deliverDueWebhooks } from './webhooks/deliveries.ts';

export interface InvoicerDaemonOptions {
  db: Database;
  clickhouse: ClickHouseClient;
  log: Logger;
  /** Empty or `off` = no scheduled runs. */
  cron: string;
  producer?: OutboxProducer;
  tickMs?: number;
  overdueEveryMs?: number;
}

export interface InvoicerDaemon {
  stop(): Promise<void>;
}

const errors = counter('tollgate_invoicer_background_errors_total', 'Failures of the invoicer background tasks', ['task']);
const BACKOFF_MS_MAX = 30_000;

export function currentBillingPeriod(nowMs: number): string {
  const d = new Date(nowMs);
  return previousPeriod(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
}

export function startInvoicerDaemon(options: InvoicerDaemonOptions): InvoicerDaemon {
  const schedule = options.cron && options.cron !== 'off' ? parseCron(options.cron) : undefined;
  const tickMs = options.tickMs ?? 1_000;
  let stopped = false;
  let lastCronMinute = -1;
  let lastOverdueMs = 0;
  const backoff = new Map<string, { untilMs: number; delayMs: number }>();

  const task = async (name: string, work: () => Promise<unknown>): Promise<void> => {
    const b = backoff.get(name);
    if (b && Date.now() < b.untilMs) return;
    try {
      await work();
      backoff.delete(name);
    } catch (err) {
      errors.inc({ task: name });
      const delayMs = Math.min(BACKOFF_MS_MAX, (b?.delayMs ?? 500) * 2);
      backoff.set(name, { untilMs: Date.now() + delayMs, delayMs });
      options.log.error({ err, task: name }, 'invoicer background task failed');
    }
  };

  const tick = async (): Promise<void> => {
    const nowMs = Date.now();
    const minute = Math.floor(nowMs / 60_000);
    if (schedule && minute !== lastCronMinute && cronMatches(schedule, new Date(nowMs))) {
      lastCronMinute = minute;
      const period = currentBillingPeriod(nowMs);
      await task('scheduled_run', async () => {
        const summary = await runInvoices(options.db, options.clickhouse, { period });
        options.log.info({ period, created: summary.created, skipped: summary.skipped, failed: summary.failed, correlationId: summary.correlationId },
          'scheduled invoice run finished');
        for (const f of summary.failures.slice(0, 20)) options.log.error(f, 'invoice not created');
      });
    }
    if (nowMs - lastOverdueMs >= (options.overdueEveryMs ?? 60_000)) {
      lastOverdueMs = nowMs;
      await task('overdue_sweep', () => sweepOverdue(options.db, nowMs));
    }
    await task('webhooks', () => deliverDueWebhooks(options.db));
    const producer = options.producer;
    if (producer) await task('outbox', () => publishInvoiceOutbox(options.db, producer));
  };

  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * The ledger's background loop, one per node: publish the outbox to Kafka,
 * void expired holds, expire promotional credit. Each pass is bounded; a
 * failing task is logged and counted, backs off, and never stops the others.
 */
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import { voidExpiredPendingTransfers } from './expiry.ts';
import { ledgerMetrics } from './metrics.ts';
import { outboxBacklog, publishOutbox, type OutboxProducer } from './outbox.ts';
import { expirePromotions } from './promotions.ts';

export interface LedgerBackgroundOptions {
  db: Database;
  /** Absent: the outbox is left for another node's publisher. */
  producer?: OutboxProducer;
  log: Logger;
  intervalMs?: number;
  /** Outbox records per Kafka send; passes repeat while full batches come back, up to `publishBatchesMax`. */
  publishBatchMax?: number;
  publishBatchesMax?: number;
}

export interface LedgerBackground {
  /** Runs one pass now (tests and shutdown); resolves when it is done. */
  runOnce: () => Promise<void>;
  stop: () => Promise<void>;
}

const BACKOFF_MS_MAX = 30_000;

export function startLedgerBackground(options: LedgerBackgroundOptions): LedgerBackground {
  const { db, producer, log } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const publishBatchMax = options.publishBatchMax ?? 500;
  const publishBatchesMax = options.publishBatchesMax ?? 20;
  const failures = new Map<string, number>();
  const skipUntil = new Map<string, number>();

  const task = async (name: string, work: () => Promise<void>): Promise<void> => {
    if ((skipUntil.get(name) ?? 0) > Date.now()) return;
    try {
      await work();
      failures.delete(name);
    } catch (err) {
      const count = (failures.get(name) ?? 0) + 1;
      failures.set(name, count);
      skipUntil.set(name, Date.now() + Math.min(BACKOFF_MS_MAX, intervalMs * 2 ** count));
      ledgerMetrics.backgroundErrors.inc({ task: name });
      if (name === 'outbox') ledgerMetrics.outboxFailures.inc();
      log.warn({ err, task: name, failures: count }, 'ledger background task failed; backing off');
    }
  };

  const pass = async (): Promise<void> => {
    if (producer) {
      await task('outbox', async () => {
        for (let i = 0; i < publishBatchesMax; i++) if ((await publishOutbox(db, producer, publishBatchMax)) < publishBatchMax) break;
        ledgerMetrics.outboxBacklog.set(await outboxBacklog(db));
      });
    }
    await task('pending-expiry', async () => {
      const voided = await voidExpiredPendingTransfers(db, Date.now());
      if (voided > 0) log.info({ voided }, 'expired holds voided');
    });
    await task('promotion-expiry', async () => {
      const expired = await expirePromotions(db, Date.now());
      if (expired.length > 0) log.info({ expired: expired.length }, 'promotional grants expired');
    });
  };

  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = (): Promise<void> => {
    running = running.then(pass, pass);
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => { runOnce().finally(schedule); }, intervalMs);
  };
  schedule();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

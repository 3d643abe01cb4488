/** The ledger's Prometheus metrics (names in ledger/README.md). */
import { counter, gauge, histogram, LATENCY_BUCKETS_SECONDS, SIZE_BUCKETS } from '../platform/metrics.ts';

export const ledgerMetrics = {
  transfers: counter('tollgate_ledger_transfers_total', 'Transfers decided by the ledger, by result code', ['result']),
  accounts: counter('tollgate_ledger_accounts_total', 'Account creations decided by the ledger, by result code', ['result']),
  batchSize: histogram('tollgate_ledger_batch_transfers', 'Transfers per batch', SIZE_BUCKETS),
  batchSeconds: histogram('tollgate_ledger_batch_seconds', 'Time to decide and write one batch of transfers (inside its transaction)', LATENCY_BUCKETS_SECONDS),
  retries: counter('tollgate_ledger_batch_retries_total', 'Batches retried in a new transaction, by reason', ['reason']),
  expiredHolds: counter('tollgate_ledger_expired_holds_total', 'Pending transfers voided because their timeout passed'),
  promotionsExpired: counter('tollgate_ledger_promotions_expired_total', 'Promotional grants expired (remainder moved back)'),
  walletEvents: counter('tollgate_ledger_wallet_events_total', 'Wallet events written to the outbox, by type', ['type']),
  outboxPublished: counter('tollgate_ledger_outbox_published_total', 'Outbox records published to Kafka'),
  outboxFailures: counter('tollgate_ledger_outbox_failures_total', 'Outbox publish attempts that failed (retried)'),
  outboxBacklog: gauge('tollgate_ledger_outbox_backlog', 'Outbox records waiting at the last publisher pass'),
  backgroundErrors: counter('tollgate_ledger_background_errors_total', 'Failed passes of the ledger background loop, by task', ['task']),
};

/** Counts results once per distinct code (a batch of 8,000 is one `inc` per code, not per transfer). */
export function countResults(metric: typeof ledgerMetrics.transfers, results: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const [result, count] of counts) metric.inc({ result }, count);
}

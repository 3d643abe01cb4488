/**
 * Periodic audit of the stored ledger invariants (ledger/invariants.ts) on an
 * api node, exported as metrics so that Prometheus can alert on a broken
 * ledger (deploy/prometheus/rules.yml, LedgerInvariantViolated). Each batch
 * already asserts its own share in code; this catches what a batch cannot see
 * (a hand-edited row, a bug across batches). One pass at a time; the first
 * pass runs one interval after start so a restart loop does not hammer Postgres.
 */
import { checkLedgerInvariants } from '../ledger/index.ts';
import type { Database } from '../platform/postgres.ts';
import type { Logger } from '../platform/log.ts';
import { counter, gauge, histogram } from '../platform/metrics.ts';

const metrics = {
  violations: gauge('tollgate_ledger_invariant_violations', 'Invariant violations found by the last ledger audit (0 = the stored ledger balances)'),
  audits: counter('tollgate_ledger_audits_total', 'Ledger audits by outcome: ok, violated, failed', ['outcome']),
  lastAuditAt: gauge('tollgate_ledger_audit_timestamp_seconds', 'When the last ledger audit finished'),
  auditSeconds: histogram('tollgate_ledger_audit_seconds', 'Time one ledger audit took', [0.1, 0.5, 1, 5, 15, 60, 300]),
};

export interface LedgerAuditDeps {
  db: Database;
  intervalMs: number;
  log: Logger;
}

/** Runs one audit and records its outcome; returns the number of violations (-1 when the audit itself failed). */
export async function auditLedgerOnce(db: Database, log: Logger): Promise<number> {
  const stopTimer = metrics.auditSeconds.startTimer();
  try {
    const report = await checkLedgerInvariants(db);
    metrics.violations.set(report.violations.length);
    metrics.audits.inc({ outcome: report.ok ? 'ok' : 'violated' });
    if (!report.ok) log.error({ violations: report.violations }, 'ledger invariants violated');
    return report.violations.length;
  } catch (err) {
    metrics.audits.inc({ outcome: 'failed' });
    log.warn({ err }, 'ledger audit failed');
    return -1;
  } finally {
    stopTimer();
    metrics.lastAuditAt.set(Date.now() / 1000);
  }
}

export function startLedgerAudit(deps: LedgerAuditDeps): { stop: () => Promise<void> } {
  let running: Promise<number> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = auditLedgerOnce(deps.db, deps.log).finally(() => { running = undefined; });
  }, deps.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

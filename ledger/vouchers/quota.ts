/**
 * Quota consumption, called by the router gateway for each accounting report
 * (RADIUS Interim-Update / Stop) of a voucher session. Idempotent per
 * (voucher, session, sequence): a repeated report is recognised and counted
 * once; the same key with other figures is refused. The report that uses up the
 * data or time quota moves the voucher to `used` (audited), and the answer
 * tells the gateway to cut the session off.
 */
import { and, eq } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { ok, refused, type VoucherResult } from './errors.ts';
import { voucherMetrics } from './metrics.ts';
import { quotaExhausted, sessionLimits, type SessionLimits } from './session-limits.ts';
import { decide } from './state-machine.ts';
import { factsOf, inTransaction, lockVoucher, recordEvents, toView, type VoucherContext, type VoucherView } from './store.ts';

export const SESSION_ID_LENGTH_MAX = 128;
const COUNTER_MAX = 2n ** 62n;

export interface UsageReport {
  voucherId: string;
  /** The gateway's session key, unique per voucher, e.g. `<router id>:<Acct-Session-Id>`. */
  sessionId: string;
  /** Increases with each report of the session (0 for Start). */
  sequence: bigint;
  /** Bytes since the previous report of this session (deltas, Gigawords already folded in). */
  bytesIn: bigint;
  bytesOut: bigint;
  /** Session seconds since the previous report. */
  seconds: bigint;
}

export interface ConsumeOutcome {
  /** `duplicate`: this (session, sequence) was already counted; nothing changed. */
  outcome: 'recorded' | 'duplicate';
  voucher: VoucherView;
  /** The voucher's quota is used up (or it is no longer active): the session must end. */
  cutOff: boolean;
  session: SessionLimits;
}

function checkReport(report: UsageReport): VoucherResult<null> {
  if (report.sessionId === '' || report.sessionId.length > SESSION_ID_LENGTH_MAX) {
    return refused('TG_VOUCHER_INPUT_INVALID', `sessionId must be 1-${SESSION_ID_LENGTH_MAX} characters`, 'sessionId');
  }
  for (const field of ['sequence', 'bytesIn', 'bytesOut', 'seconds'] as const) {
    if (report[field] < 0n || report[field] > COUNTER_MAX) return refused('TG_VOUCHER_INPUT_INVALID', `${field} must be within 0..2^62`, field);
  }
  return ok(null);
}

export async function consumeVoucherQuota(db: Database, ctx: VoucherContext, report: UsageReport): Promise<VoucherResult<ConsumeOutcome>> {
  const checked = checkReport(report);
  if (!checked.ok) return checked;
  const now = ctx.now ?? new Date();
  const result = await inTransaction(db, async (tx): Promise<VoucherResult<ConsumeOutcome>> => {
    // The voucher lock serialises every report of the voucher, so the duplicate check below cannot race.
    const row = await lockVoucher(tx, ctx.tenantId, { voucherId: report.voucherId });
    if (!row) return refused('TG_VOUCHER_NOT_FOUND');
    const r = schema.voucherUsageReports;
    const [prior] = await tx.select().from(r)
      .where(and(eq(r.voucherId, row.id), eq(r.sessionId, report.sessionId), eq(r.sequence, report.sequence)));
    if (prior) {
      if (prior.bytesIn !== report.bytesIn || prior.bytesOut !== report.bytesOut || prior.seconds !== report.seconds) {
        return refused('TG_VOUCHER_USAGE_REPORT_CONFLICT', undefined, 'sequence');
      }
      return ok({ outcome: 'duplicate', voucher: toView(row, { withCode: false }), cutOff: row.status !== 'active', session: sessionLimits(row, now) });
    }
    const dataUsedBytes = row.dataUsedBytes + report.bytesIn + report.bytesOut;
    const timeUsedSeconds = row.timeUsedSeconds + report.seconds;
    const exhausted = quotaExhausted({ ...row, dataUsedBytes, timeUsedSeconds });
    const decision = decide(factsOf(row), 'consume', { quotaExhausted: exhausted });
    if (!decision.ok) return refused(decision.code);
    await tx.insert(r).values({ voucherId: row.id, sessionId: report.sessionId, sequence: report.sequence,
      bytesIn: report.bytesIn, bytesOut: report.bytesOut, seconds: report.seconds, createdAt: now });
    const statusChanged = decision.to !== row.status;
    const [updated] = await tx.update(schema.vouchers)
      .set({ dataUsedBytes, timeUsedSeconds, status: decision.to, ...(statusChanged ? { statusChangedAt: now } : {}) })
      .where(eq(schema.vouchers.id, row.id)).returning();
    // Usage reports are their own record; the audit trail gets the change of status.
    if (statusChanged) {
      await recordEvents(tx, [{ voucher: row, action: 'consume', toStatus: decision.to, actor: ctx.actor, at: now,
        detail: { sessionId: report.sessionId, sequence: report.sequence, dataUsedBytes, timeUsedSeconds } }]);
    }
    return ok({ outcome: 'recorded', voucher: toView(updated!, { withCode: false }), cutOff: decision.to !== 'active', session: sessionLimits(updated!, now) });
  });
  voucherMetrics.usageReports.inc({ outcome: result.ok ? result.value.outcome : result.error.code });
  return result;
}

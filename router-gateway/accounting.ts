/**
 * RADIUS accounting (RFC 2866) as metered deltas. A NAS reports running
 * totals per session (octets + gigawords, session seconds); Tollgate bills
 * deltas, so each report is compared with the last counted one of its
 * session. Pure: the caller loads and stores the session state.
 *
 * Identity: report k of a session (Start = 0) is event
 * `<router>:<Acct-Session-Id>:<k>`. A report that is resent because its
 * answer was lost finds the same previous state, so it gets the same k and
 * the same delta; the rater de-duplicates on the id.
 */
import { integerAttribute, textAttribute, type Attributes } from './radius/codec.ts';

const TWO_32 = 2n ** 32n;

export type AcctStatus = 'Start' | 'Stop' | 'Interim-Update' | 'Accounting-On' | 'Accounting-Off';

export interface AccountingReport {
  status: AcctStatus;
  acctSessionId: string;
  userName: string;
  /** Acct-Input (octets the NAS received from the user, i.e. upload), gigawords folded in. */
  bytesIn: bigint;
  /** Acct-Output (octets sent to the user, i.e. download). */
  bytesOut: bigint;
  seconds: bigint;
  /** Whether the NAS sent Gigawords: without them a 32-bit counter can wrap. */
  hasGigawords: boolean;
  framedIp: string | undefined;
  callingStationId: string | undefined;
  /** The Class we put in the Access-Accept, echoed back by the NAS. */
  className: string | undefined;
}

export type ReportParse = { ok: true; report: AccountingReport } | { ok: false; reason: string };

const STATUSES: ReadonlySet<string> = new Set(['Start', 'Stop', 'Interim-Update', 'Accounting-On', 'Accounting-Off']);
export const ACCT_SESSION_ID_LENGTH_MAX = 64;

function counter(attributes: Attributes, octets: string, gigawords: string): bigint {
  return BigInt(integerAttribute(attributes, gigawords) ?? 0) * TWO_32 + BigInt(integerAttribute(attributes, octets) ?? 0);
}

export function parseAccountingReport(attributes: Attributes): ReportParse {
  const status = attributes['Acct-Status-Type'];
  if (typeof status !== 'string' || !STATUSES.has(status)) return { ok: false, reason: 'unsupported Acct-Status-Type' };
  const acctStatus = status as AcctStatus;
  const acctSessionId = textAttribute(attributes, 'Acct-Session-Id') ?? '';
  const userName = textAttribute(attributes, 'User-Name') ?? '';
  const perSession = acctStatus !== 'Accounting-On' && acctStatus !== 'Accounting-Off';
  if (perSession && (acctSessionId === '' || acctSessionId.length > ACCT_SESSION_ID_LENGTH_MAX)) return { ok: false, reason: 'Acct-Session-Id missing or too long' };
  if (perSession && userName === '') return { ok: false, reason: 'User-Name missing' };
  const classValue = attributes.Class;
  const className = Buffer.isBuffer(classValue) ? classValue.toString('latin1') : typeof classValue === 'string' ? classValue : undefined;
  return {
    ok: true,
    report: {
      status: acctStatus, acctSessionId, userName,
      bytesIn: counter(attributes, 'Acct-Input-Octets', 'Acct-Input-Gigawords'),
      bytesOut: counter(attributes, 'Acct-Output-Octets', 'Acct-Output-Gigawords'),
      seconds: BigInt(integerAttribute(attributes, 'Acct-Session-Time') ?? 0),
      hasGigawords: attributes['Acct-Input-Gigawords'] !== undefined || attributes['Acct-Output-Gigawords'] !== undefined,
      framedIp: typeof attributes['Framed-IP-Address'] === 'string' ? attributes['Framed-IP-Address'] : undefined,
      callingStationId: textAttribute(attributes, 'Calling-Station-Id'),
      className,
    },
  };
}

/** What was counted of a session so far. */
export interface SessionTotals {
  reports: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
  seconds: bigint;
  stopped: boolean;
}

export type DeltaDecision =
  | { kind: 'count'; sequence: bigint; bytesIn: bigint; bytesOut: bigint; seconds: bigint; totals: SessionTotals }
  /** Same totals as the last counted report (a resend, or an idle interim): answered, nothing to meter. */
  | { kind: 'duplicate' }
  /** Older than what was counted (reordered on the way): answered, nothing to meter. */
  | { kind: 'stale' };

/**
 * A counter that went down: a 32-bit wrap when the NAS sends no Gigawords and
 * the session clock moved on (so the report is not an older one), otherwise
 * a reordered report.
 */
function advance(previous: bigint, current: bigint, wrapPossible: boolean): bigint | undefined {
  if (current >= previous) return current - previous;
  if (!wrapPossible) return undefined;
  // The NAS reports the low 32 bits: take the smallest forward distance modulo 2^32.
  return ((current % TWO_32) - (previous % TWO_32) + TWO_32) % TWO_32;
}

export function decideDelta(previous: SessionTotals | undefined, report: AccountingReport): DeltaDecision {
  const base: SessionTotals = previous ?? { reports: -1n, bytesIn: 0n, bytesOut: 0n, seconds: 0n, stopped: false };
  if (previous?.stopped) {
    const same = report.bytesIn === previous.bytesIn && report.bytesOut === previous.bytesOut && report.seconds === previous.seconds;
    return same && report.status === 'Stop' ? { kind: 'duplicate' } : { kind: 'stale' };
  }
  if (report.seconds < base.seconds) return { kind: 'stale' };
  const clockMoved = report.seconds > base.seconds;
  const bytesIn = advance(base.bytesIn, report.bytesIn, !report.hasGigawords && clockMoved);
  const bytesOut = advance(base.bytesOut, report.bytesOut, !report.hasGigawords && clockMoved);
  if (bytesIn === undefined || bytesOut === undefined) return { kind: 'stale' };
  const seconds = report.seconds - base.seconds;
  const stopping = report.status === 'Stop';
  if (previous && bytesIn === 0n && bytesOut === 0n && seconds === 0n && !stopping) return { kind: 'duplicate' };
  const sequence = base.reports + 1n;
  return {
    kind: 'count', sequence, bytesIn, bytesOut, seconds,
    totals: { reports: sequence, bytesIn: base.bytesIn + bytesIn, bytesOut: base.bytesOut + bytesOut, seconds: report.seconds, stopped: stopping },
  };
}

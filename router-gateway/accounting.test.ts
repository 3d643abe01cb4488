/** Accounting reports → metered deltas (pure), table-driven. */
import { describe, expect, it } from 'vitest';
import { decideDelta, parseAccountingReport, type AccountingReport, type SessionTotals } from './accounting.ts';

const TWO_32 = 2n ** 32n;

function report(status: AccountingReport['status'], bytesIn: bigint, bytesOut: bigint, seconds: bigint, hasGigawords = true): AccountingReport {
  return { status, acctSessionId: 's1', userName: 'u', bytesIn, bytesOut, seconds, hasGigawords, framedIp: undefined, callingStationId: undefined, className: undefined };
}

const totals = (reports: bigint, bytesIn: bigint, bytesOut: bigint, seconds: bigint, stopped = false): SessionTotals => ({ reports, bytesIn, bytesOut, seconds, stopped });

describe('decideDelta', () => {
  const cases: { name: string; previous: SessionTotals | undefined; report: AccountingReport; expected: ReturnType<typeof decideDelta> }[] = [
    { name: 'Start of a new session is report 0 with nothing used', previous: undefined, report: report('Start', 0n, 0n, 0n),
      expected: { kind: 'count', sequence: 0n, bytesIn: 0n, bytesOut: 0n, seconds: 0n, totals: totals(0n, 0n, 0n, 0n) } },
    { name: 'an interim bills what was used since the previous report', previous: totals(0n, 0n, 0n, 0n), report: report('Interim-Update', 100n, 900n, 60n),
      expected: { kind: 'count', sequence: 1n, bytesIn: 100n, bytesOut: 900n, seconds: 60n, totals: totals(1n, 100n, 900n, 60n) } },
    { name: 'a resent report (same totals) is a duplicate', previous: totals(1n, 100n, 900n, 60n), report: report('Interim-Update', 100n, 900n, 60n),
      expected: { kind: 'duplicate' } },
    { name: 'an older report arriving late is stale (session time went back)', previous: totals(2n, 200n, 1800n, 120n), report: report('Interim-Update', 100n, 900n, 60n),
      expected: { kind: 'stale' } },
    { name: 'with Gigawords, a lower counter at a later time is stale, not a wrap', previous: totals(1n, 100n, TWO_32 + 10n, 60n), report: report('Interim-Update', 150n, 20n, 90n, true),
      expected: { kind: 'stale' } },
    { name: 'without Gigawords a 32-bit counter that went down while the clock moved wrapped once', previous: totals(1n, 0n, TWO_32 - 100n, 60n),
      report: report('Interim-Update', 0n, 50n, 90n, false),
      expected: { kind: 'count', sequence: 2n, bytesIn: 0n, bytesOut: 150n, seconds: 30n, totals: totals(2n, 0n, TWO_32 + 50n, 90n) } },
    { name: 'after a wrap, the next report continues from the folded total', previous: totals(2n, 0n, TWO_32 + 50n, 90n), report: report('Interim-Update', 0n, 1050n, 120n, false),
      expected: { kind: 'count', sequence: 3n, bytesIn: 0n, bytesOut: 1000n, seconds: 30n, totals: totals(3n, 0n, TWO_32 + 1050n, 120n) } },
    { name: 'Gigawords fold into the totals', previous: totals(0n, 0n, 0n, 0n), report: report('Interim-Update', 0n, 3n * TWO_32 + 7n, 60n),
      expected: { kind: 'count', sequence: 1n, bytesIn: 0n, bytesOut: 3n * TWO_32 + 7n, seconds: 60n, totals: totals(1n, 0n, 3n * TWO_32 + 7n, 60n) } },
    { name: 'Stop with no new usage still counts (it ends the session)', previous: totals(1n, 100n, 900n, 60n), report: report('Stop', 100n, 900n, 60n),
      expected: { kind: 'count', sequence: 2n, bytesIn: 0n, bytesOut: 0n, seconds: 0n, totals: totals(2n, 100n, 900n, 60n, true) } },
    { name: 'a resent Stop is a duplicate', previous: totals(2n, 100n, 900n, 60n, true), report: report('Stop', 100n, 900n, 60n), expected: { kind: 'duplicate' } },
    { name: 'an interim after Stop is stale', previous: totals(2n, 100n, 900n, 60n, true), report: report('Interim-Update', 200n, 900n, 70n), expected: { kind: 'stale' } },
    { name: 'an interim without a Start (lost, or the gateway lost state) counts from zero', previous: undefined, report: report('Interim-Update', 5n, 6n, 7n),
      expected: { kind: 'count', sequence: 0n, bytesIn: 5n, bytesOut: 6n, seconds: 7n, totals: totals(0n, 5n, 6n, 7n) } },
  ];
  for (const c of cases) it(c.name, () => expect(decideDelta(c.previous, c.report)).toEqual(c.expected));

  it('the sum of deltas equals the last totals whatever the order of resends (property)', () => {
    for (let trial = 0; trial < 200; trial++) {
      let state: SessionTotals | undefined;
      let billed = 0n;
      const reports: AccountingReport[] = [];
      let bytes = 0n;
      for (let i = 0; i < 20; i++) { bytes += BigInt(Math.floor(Math.random() * 1e6)); reports.push(report('Interim-Update', 0n, bytes, BigInt(i + 1) * 10n)); }
      // Each report is sent, sometimes resent, sometimes an earlier one arrives again.
      for (const [i, r] of reports.entries()) {
        const sends = [r, ...(Math.random() < 0.3 ? [r] : []), ...(i > 0 && Math.random() < 0.3 ? [reports[i - 1]!] : [])];
        for (const s of sends) {
          const d = decideDelta(state, s);
          if (d.kind === 'count') { billed += d.bytesOut; state = d.totals; }
        }
      }
      expect(billed).toBe(bytes);
    }
  });
});

describe('parseAccountingReport', () => {
  it('reads octets + gigawords, session time and the echoed Class', () => {
    const parsed = parseAccountingReport({ 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Id': '81f00001', 'User-Name': 'CODE',
      'Acct-Input-Octets': 5, 'Acct-Input-Gigawords': 1, 'Acct-Output-Octets': 7, 'Acct-Session-Time': 60, Class: Buffer.from('tg1:x:-') });
    expect(parsed).toMatchObject({ ok: true, report: { bytesIn: TWO_32 + 5n, bytesOut: 7n, seconds: 60n, hasGigawords: true, className: 'tg1:x:-' } });
  });
  it('refuses a report without Acct-Session-Id or with an unknown status', () => {
    expect(parseAccountingReport({ 'Acct-Status-Type': 'Start', 'User-Name': 'u' }).ok).toBe(false);
    expect(parseAccountingReport({ 'Acct-Status-Type': 99, 'Acct-Session-Id': 'a', 'User-Name': 'u' }).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { VoucherErrorCode } from './errors.ts';
import { VOUCHER_ACTIONS, VOUCHER_STATUSES, decide, type ActionFacts, type MoneyEffect, type VoucherAction, type VoucherFacts, type VoucherStatus } from './state-machine.ts';

type Expected =
  | { to: VoucherStatus; changed: boolean; money?: MoneyEffect; notify?: boolean }
  | { refused: VoucherErrorCode };

interface Row {
  from: VoucherFacts;
  action: VoucherAction;
  facts?: ActionFacts;
  expected: Expected;
  why: string;
}

const unsold: VoucherFacts = { status: 'unused', sold: false, refunded: false };
const sold: VoucherFacts = { status: 'unused', sold: true, refunded: false };
const active: VoucherFacts = { status: 'active', sold: true, refunded: false };
const used: VoucherFacts = { status: 'used', sold: true, refunded: false };
const expired: VoucherFacts = { status: 'expired', sold: true, refunded: false };
const disabled: VoucherFacts = { status: 'disabled', sold: true, refunded: false };
const disabledUnsold: VoucherFacts = { status: 'disabled', sold: false, refunded: false };
const refunded: VoucherFacts = { status: 'disabled', sold: true, refunded: true };

const ROWS: Row[] = [
  // unused, never sold
  { from: unsold, action: 'sell', expected: { to: 'unused', changed: true, money: 'sale' }, why: 'a sale books the price into the liability and the voucher waits for its first login' },
  { from: unsold, action: 'activate', expected: { refused: 'TG_VOUCHER_NOT_SOLD' }, why: 'service without a booked sale would go unpaid' },
  { from: unsold, action: 'consume', expected: { refused: 'TG_VOUCHER_NOT_ACTIVE' }, why: 'usage needs an activated voucher' },
  { from: unsold, action: 'expire', expected: { refused: 'TG_VOUCHER_NOT_ACTIVE' }, why: 'validity starts at activation' },
  { from: unsold, action: 'disable', expected: { to: 'disabled', changed: true }, why: 'an unsold voucher is withdrawn with no money to move' },
  { from: unsold, action: 'transfer', expected: { refused: 'TG_VOUCHER_NOT_SOLD' }, why: 'only a sold voucher has a holder to transfer from' },
  { from: unsold, action: 'refund', expected: { refused: 'TG_VOUCHER_NOT_SOLD' }, why: 'nothing was paid' },
  { from: unsold, action: 'resend', expected: { refused: 'TG_VOUCHER_NOT_SOLD' }, why: 'sending an unsold code would give it away' },
  // unused, sold
  { from: sold, action: 'sell', facts: { sameCustomer: true }, expected: { to: 'unused', changed: false }, why: 'a retried sale to the same buyer succeeds without booking twice' },
  { from: sold, action: 'sell', facts: { sameCustomer: false }, expected: { refused: 'TG_VOUCHER_ALREADY_SOLD' }, why: 'a voucher is sold once' },
  { from: sold, action: 'activate', expected: { to: 'active', changed: true, money: 'recognize' }, why: 'the first login starts the service and earns the revenue' },
  { from: sold, action: 'consume', expected: { refused: 'TG_VOUCHER_NOT_ACTIVE' }, why: 'usage needs an activated voucher' },
  { from: sold, action: 'expire', expected: { refused: 'TG_VOUCHER_NOT_ACTIVE' }, why: 'validity starts at activation' },
  { from: sold, action: 'disable', expected: { to: 'disabled', changed: true, money: 'forfeit' }, why: 'a disabled sold voucher is owed no more, so the liability becomes revenue' },
  { from: sold, action: 'transfer', facts: { sameCustomer: false }, expected: { to: 'unused', changed: true }, why: 'a holder may hand an unused voucher on' },
  { from: sold, action: 'transfer', facts: { sameCustomer: true }, expected: { refused: 'TG_VOUCHER_TRANSFER_SAME_CUSTOMER' }, why: 'a transfer to the holder is a mistake' },
  { from: sold, action: 'refund', expected: { to: 'disabled', changed: true, money: 'refund' }, why: 'the price goes back and the known code is withdrawn' },
  { from: sold, action: 'resend', expected: { to: 'unused', changed: false, notify: true }, why: 'the holder gets the code again; the status stays' },
  // active
  { from: active, action: 'sell', expected: { refused: 'TG_VOUCHER_ALREADY_SOLD' }, why: 'an active voucher was sold' },
  { from: active, action: 'activate', expected: { to: 'active', changed: false }, why: 'a later login within validity is no new activation' },
  { from: active, action: 'activate', facts: { validityOver: true }, expected: { refused: 'TG_VOUCHER_EXPIRED' }, why: 'a login after the validity is refused before the sweep marks it' },
  { from: active, action: 'consume', facts: { quotaExhausted: false }, expected: { to: 'active', changed: false }, why: 'usage within the quota keeps the voucher active' },
  { from: active, action: 'consume', facts: { quotaExhausted: true }, expected: { to: 'used', changed: true }, why: 'the report that uses up the quota ends the voucher' },
  { from: active, action: 'expire', expected: { to: 'expired', changed: true }, why: 'validity over' },
  { from: active, action: 'disable', expected: { to: 'disabled', changed: true }, why: 'the revenue was recognised at activation: nothing to move' },
  { from: active, action: 'transfer', facts: { sameCustomer: false }, expected: { to: 'active', changed: true }, why: 'an active voucher can change holder' },
  { from: active, action: 'transfer', facts: { sameCustomer: true }, expected: { refused: 'TG_VOUCHER_TRANSFER_SAME_CUSTOMER' }, why: 'a transfer to the holder is a mistake' },
  { from: active, action: 'refund', expected: { refused: 'TG_VOUCHER_REFUND_NOT_UNUSED' }, why: 'service has been delivered' },
  { from: active, action: 'resend', expected: { to: 'active', changed: false, notify: true }, why: 'the holder may need the code for another device' },
  // used (terminal)
  ...(['sell', 'activate', 'expire', 'disable', 'transfer', 'resend'] as const).map((action): Row =>
    ({ from: used, action, expected: { refused: 'TG_VOUCHER_ALREADY_USED' }, why: 'a used voucher is finished' })),
  { from: used, action: 'consume', expected: { to: 'used', changed: false }, why: 'late accounting of a session is recorded, the status stays' },
  { from: used, action: 'refund', expected: { refused: 'TG_VOUCHER_REFUND_NOT_UNUSED' }, why: 'only an unused voucher can be refunded' },
  // expired (terminal)
  ...(['sell', 'activate', 'disable', 'transfer', 'resend'] as const).map((action): Row =>
    ({ from: expired, action, expected: { refused: 'TG_VOUCHER_EXPIRED' }, why: 'an expired voucher is finished' })),
  { from: expired, action: 'consume', expected: { to: 'expired', changed: false }, why: 'late accounting of a session is recorded, the status stays' },
  { from: expired, action: 'expire', expected: { to: 'expired', changed: false }, why: 'a second sweep over the same voucher changes nothing' },
  { from: expired, action: 'refund', expected: { refused: 'TG_VOUCHER_REFUND_NOT_UNUSED' }, why: 'only an unused voucher can be refunded' },
  // disabled (terminal)
  ...(['sell', 'activate', 'expire', 'transfer', 'resend'] as const).map((action): Row =>
    ({ from: disabled, action, expected: { refused: 'TG_VOUCHER_DISABLED' }, why: 'a disabled voucher is finished' })),
  { from: disabled, action: 'consume', expected: { to: 'disabled', changed: false }, why: 'a session still open at disabling is recorded, the status stays' },
  { from: disabled, action: 'disable', expected: { to: 'disabled', changed: false }, why: 'a retried disable succeeds without a second forfeit' },
  { from: disabled, action: 'refund', expected: { refused: 'TG_VOUCHER_REFUND_NOT_UNUSED' }, why: 'a disabled voucher was not refunded and cannot be any more' },
  { from: disabledUnsold, action: 'sell', expected: { refused: 'TG_VOUCHER_DISABLED' }, why: 'a withdrawn voucher cannot be sold' },
  { from: refunded, action: 'refund', expected: { to: 'disabled', changed: false }, why: 'a retried refund succeeds without paying twice' },
];

function describeFacts(row: Row): string {
  const tags = [row.from.sold ? 'sold' : 'unsold', ...(row.from.refunded ? ['refunded'] : []),
    ...Object.entries(row.facts ?? {}).filter(([, v]) => v).map(([k]) => k)];
  return `${row.from.status} (${tags.join(', ')})`;
}

describe('voucher state machine', () => {
  for (const row of ROWS) {
    const outcome = 'refused' in row.expected ? `refuses with ${row.expected.refused}`
      : `${row.expected.changed ? 'moves to' : 'stays'} ${row.expected.to}${row.expected.money ? ` booking ${row.expected.money}` : ''}`;
    it(`${row.action} on ${describeFacts(row)} ${outcome}: ${row.why}`, () => {
      const decision = decide(row.from, row.action, row.facts);
      if ('refused' in row.expected) {
        expect(decision).toEqual({ ok: false, code: row.expected.refused });
      } else {
        expect(decision).toEqual({ ok: true, to: row.expected.to, changed: row.expected.changed, money: row.expected.money ?? null, notify: row.expected.notify ?? false });
      }
    });
  }

  it('has a rule for every status × action × fact combination, and the table above covers every status × action', () => {
    const covered = new Set(ROWS.map((r) => `${r.from.status}:${r.action}`));
    for (const status of VOUCHER_STATUSES) {
      for (const action of VOUCHER_ACTIONS) {
        expect(covered.has(`${status}:${action}`), `${status} × ${action} has a test row`).toBe(true);
        for (const soldFlag of [false, true]) {
          for (const refundedFlag of [false, true]) {
            for (const facts of [{}, { sameCustomer: true }, { quotaExhausted: true }, { validityOver: true }]) {
              expect(() => decide({ status, sold: soldFlag, refunded: refundedFlag }, action, facts)).not.toThrow();
            }
          }
        }
      }
    }
  });

  it('never leaves a terminal status (used, expired, disabled)', () => {
    for (const status of ['used', 'expired', 'disabled'] as const) {
      for (const action of VOUCHER_ACTIONS) {
        const decision = decide({ status, sold: true, refunded: status === 'disabled' }, action, { quotaExhausted: true });
        if (decision.ok) expect(decision).toMatchObject({ to: status, changed: false, money: null });
      }
    }
  });

  it('keeps the liability equal to "sold and not yet activated, refunded or disabled" over random action sequences', () => {
    // A fixed-seed generator: the same 2,000 walks every run.
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let walk = 0; walk < 2000; walk++) {
      let facts: VoucherFacts = { status: 'unused', sold: false, refunded: false };
      let holder: number | null = null;
      const booked = new Map<MoneyEffect, number>();
      for (let step = 0; step < 12; step++) {
        const action = VOUCHER_ACTIONS[random(VOUCHER_ACTIONS.length)]!;
        const customer = random(2);
        const decision = decide(facts, action, { sameCustomer: holder === customer, quotaExhausted: random(3) === 0, validityOver: random(4) === 0 });
        if (!decision.ok) continue;
        if (decision.money) booked.set(decision.money, (booked.get(decision.money) ?? 0) + 1);
        if (decision.changed && (action === 'sell' || action === 'transfer')) holder = customer;
        facts = { status: decision.to, sold: facts.sold || (action === 'sell' && decision.changed), refunded: facts.refunded || decision.money === 'refund' };
        const liability = (booked.get('sale') ?? 0) - (booked.get('recognize') ?? 0) - (booked.get('refund') ?? 0) - (booked.get('forfeit') ?? 0);
        expect(liability).toBe(facts.status === 'unused' && facts.sold ? 1 : 0);
        for (const count of booked.values()) expect(count).toBeLessThanOrEqual(1);
      }
    }
  });
});

/**
 * The voucher lifecycle as a pure transitions table: (status, action) → the
 * next status and the money to move, or a coded refusal. No I/O: the Postgres
 * service (actions.ts, quota.ts, expiry.ts) locks the voucher, asks `decide`,
 * and applies exactly what it answers.
 *
 *            sell (money → liability)     activate (liability → revenue)
 *   unused ─────────────────────▶ unused ───────────────────────────────▶ active ──consume (quota gone)──▶ used
 *     │  refund (liability → payer) │                                       │
 *     │  disable (liability → rev.) ▼                                       ├──expire (validity over)──▶ expired
 *     └──────────────────────────▶ disabled ◀──────────disable─────────────┘
 *
 * `used`, `expired` and `disabled` are terminal. Repeating an action whose
 * effect already holds (activate an active voucher, disable a disabled one,
 * refund a refunded one, sell again to the same buyer) answers `changed: false`
 * so that a client's retry succeeds without moving anything twice.
 */
import type { VoucherErrorCode } from './errors.ts';

export const VOUCHER_STATUSES = ['unused', 'active', 'used', 'expired', 'disabled'] as const;
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

export const VOUCHER_ACTIONS = ['sell', 'activate', 'consume', 'expire', 'disable', 'transfer', 'refund', 'resend'] as const;
export type VoucherAction = (typeof VOUCHER_ACTIONS)[number];

/** Ledger movements a transition books; each happens at most once per voucher. */
export type MoneyEffect =
  /** buyer's wallet or the sales clearing account → voucher liability (deferred revenue) */
  | 'sale'
  /** liability → voucher revenue: the service starts being delivered at the first login */
  | 'recognize'
  /** liability → back to the account that paid (the reverse of `sale`) */
  | 'refund'
  /** liability → voucher revenue: a sold voucher disabled before use is not owed any more */
  | 'forfeit';

/** What is known about the voucher when the action is asked for. */
export interface VoucherFacts {
  status: VoucherStatus;
  /** A buyer is recorded (a sale was booked, possibly at price 0). */
  sold: boolean;
  /** A refund was booked (the voucher is then disabled). */
  refunded: boolean;
}

/** What is known about the action itself. */
export interface ActionFacts {
  /** sell/transfer: the named customer is the current buyer. */
  sameCustomer?: boolean;
  /** consume: after this report the data or time quota is used up. */
  quotaExhausted?: boolean;
  /** activate: the validity period (counted from activation) has passed. */
  validityOver?: boolean;
}

export type Decision =
  | { ok: true; to: VoucherStatus; changed: boolean; money: MoneyEffect | null; notify: boolean }
  | { ok: false; code: VoucherErrorCode };

const refuse = (code: VoucherErrorCode): Decision => ({ ok: false, code });
const go = (to: VoucherStatus, money: MoneyEffect | null = null): Decision => ({ ok: true, to, changed: true, money, notify: false });
const stay = (status: VoucherStatus, options: { changed?: boolean; notify?: boolean } = {}): Decision =>
  ({ ok: true, to: status, changed: options.changed ?? false, money: null, notify: options.notify ?? false });

type Rule = (voucher: VoucherFacts, action: ActionFacts) => Decision;

/**
 * The whole table. Every (status, action) pair has a rule; the unit tests walk
 * all of them. Refusals name what is wrong with the voucher, except refunds,
 * whose one rule ("only if unused") gets its own code.
 */
const TRANSITIONS: Record<VoucherStatus, Record<VoucherAction, Rule>> = {
  unused: {
    sell: (v, a) => (!v.sold ? go('unused', 'sale') : a.sameCustomer ? stay('unused') : refuse('TG_VOUCHER_ALREADY_SOLD')),
    // Activation without a sale would deliver service with no money booked.
    activate: (v) => (v.sold ? go('active', 'recognize') : refuse('TG_VOUCHER_NOT_SOLD')),
    consume: () => refuse('TG_VOUCHER_NOT_ACTIVE'),
    // Validity starts at activation: an unused voucher has nothing to expire.
    expire: () => refuse('TG_VOUCHER_NOT_ACTIVE'),
    disable: (v) => go('disabled', v.sold ? 'forfeit' : null),
    transfer: (v, a) => (!v.sold ? refuse('TG_VOUCHER_NOT_SOLD') : a.sameCustomer ? refuse('TG_VOUCHER_TRANSFER_SAME_CUSTOMER') : go('unused')),
    // The refunded buyer knows the code, so the voucher cannot go back on sale: it ends disabled.
    refund: (v) => (v.sold ? go('disabled', 'refund') : refuse('TG_VOUCHER_NOT_SOLD')),
    resend: (v) => (v.sold ? stay('unused', { notify: true }) : refuse('TG_VOUCHER_NOT_SOLD')),
  },
  active: {
    sell: () => refuse('TG_VOUCHER_ALREADY_SOLD'),
    activate: (_v, a) => (a.validityOver ? refuse('TG_VOUCHER_EXPIRED') : stay('active')),
    consume: (_v, a) => (a.quotaExhausted ? go('used') : stay('active')),
    expire: () => go('expired'),
    disable: () => go('disabled'),
    transfer: (_v, a) => (a.sameCustomer ? refuse('TG_VOUCHER_TRANSFER_SAME_CUSTOMER') : go('active')),
    refund: () => refuse('TG_VOUCHER_REFUND_NOT_UNUSED'),
    resend: () => stay('active', { notify: true }),
  },
  used: {
    sell: () => refuse('TG_VOUCHER_ALREADY_USED'),
    activate: () => refuse('TG_VOUCHER_ALREADY_USED'),
    // Late accounting (a session still open when the quota ran out) is recorded, the status stays.
    consume: () => stay('used'),
    expire: () => refuse('TG_VOUCHER_ALREADY_USED'),
    disable: () => refuse('TG_VOUCHER_ALREADY_USED'),
    transfer: () => refuse('TG_VOUCHER_ALREADY_USED'),
    refund: () => refuse('TG_VOUCHER_REFUND_NOT_UNUSED'),
    resend: () => refuse('TG_VOUCHER_ALREADY_USED'),
  },
  expired: {
    sell: () => refuse('TG_VOUCHER_EXPIRED'),
    activate: () => refuse('TG_VOUCHER_EXPIRED'),
    consume: () => stay('expired'),
    expire: () => stay('expired'),
    disable: () => refuse('TG_VOUCHER_EXPIRED'),
    transfer: () => refuse('TG_VOUCHER_EXPIRED'),
    refund: () => refuse('TG_VOUCHER_REFUND_NOT_UNUSED'),
    resend: () => refuse('TG_VOUCHER_EXPIRED'),
  },
  disabled: {
    sell: () => refuse('TG_VOUCHER_DISABLED'),
    activate: () => refuse('TG_VOUCHER_DISABLED'),
    consume: () => stay('disabled'),
    expire: () => refuse('TG_VOUCHER_DISABLED'),
    disable: () => stay('disabled'),
    transfer: () => refuse('TG_VOUCHER_DISABLED'),
    refund: (v) => (v.refunded ? stay('disabled') : refuse('TG_VOUCHER_REFUND_NOT_UNUSED')),
    resend: () => refuse('TG_VOUCHER_DISABLED'),
  },
};

export function decide(voucher: VoucherFacts, action: VoucherAction, facts: ActionFacts = {}): Decision {
  const decision = TRANSITIONS[voucher.status][action](voucher, facts);
  // Money moves only on a change of state; a repeat never books twice.
  if (decision.ok && !decision.changed && decision.money !== null) throw new Error(`voucher machine: ${action} books money without a change`);
  return decision;
}

export function isVoucherStatus(value: unknown): value is VoucherStatus {
  return typeof value === 'string' && (VOUCHER_STATUSES as readonly string[]).includes(value);
}

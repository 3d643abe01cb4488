/** Account types, transfer types and flags of Tollgate's ledger (TigerBeetle-style bit flags). */
export const ACCOUNT_CODE = {
  /** A customer's prepaid credit. Debits may not exceed credits. */
  wallet: 1,
  /** A tenant's recognised usage revenue. */
  revenue: 2,
  /** What a customer owes beyond their wallet. */
  receivable: 3,
  /** Money received from payment providers, before it lands in a wallet. */
  paymentsClearing: 4,
  /** Sold vouchers not yet activated: deferred revenue, owed to their buyers as service or a refund. */
  voucherLiability: 5,
  /** A tenant's recognised voucher revenue (kept apart from usage revenue). */
  voucherRevenue: 6,
  /** Money taken for vouchers outside a wallet (cash at a reseller, a payment provider), before settlement. */
  voucherSalesClearing: 7,
  /** A customer's promotional credit (granted, expiring); spent before the paid wallet. Debits may not exceed credits. */
  walletPromotional: 8,
  /** A tenant's promotional credit given away (its debit balance is what promotions cost). */
  promotions: 9,
} as const;

export const TRANSFER_CODE = {
  topUp: 1,
  usage: 2,
  /** Buyer (wallet or sales clearing) → voucher liability. */
  voucherSale: 3,
  /** Voucher liability → voucher revenue at activation. */
  voucherRevenue: 4,
  /** Voucher liability → back to the account that paid (unused vouchers only). */
  voucherRefund: 5,
  /** Voucher liability → voucher revenue when a sold, unused voucher is disabled. */
  voucherForfeit: 6,
  /** Wallet → payments clearing: prepaid money paid back to the customer. */
  walletRefund: 7,
  /** Revenue → wallet: usage given back as credit (a correction or goodwill). */
  usageCredit: 8,
  /** Promotions → promotional wallet. */
  promotionGrant: 9,
  /** Promotional wallet → promotions: what was left of a grant at its expiry. */
  promotionExpiry: 10,
  /** Wallet or promotional wallet → receivable: prepaid credit settling what the customer owes. */
  walletSettlement: 11,
} as const;

/**
 * Account flags. The names are TigerBeetle's; the bit values are Tollgate's own
 * (the first two predate the rest and are stored).
 */
export const ACCOUNT_FLAGS = {
  debitsMustNotExceedCredits: 1 << 0,
  creditsMustNotExceedDebits: 1 << 1,
  /** This account's creation succeeds or fails with the next one in the batch. */
  linked: 1 << 2,
} as const;

/** Transfer flags, with TigerBeetle's names and bit values. */
export const TRANSFER_FLAGS = {
  /** This transfer succeeds or fails with the next one in the batch. */
  linked: 1 << 0,
  /** A hold: moves pending balances only, until posted, voided or expired. */
  pending: 1 << 1,
  /** Posts (all or part of) the pending transfer named by `pendingId`. */
  postPending: 1 << 2,
  /** Releases the pending transfer named by `pendingId`. */
  voidPending: 1 << 3,
  /** Moves at most what keeps the debit account's debits within its credits. */
  balancingDebit: 1 << 4,
  /** Moves at most what keeps the credit account's credits within its debits. */
  balancingCredit: 1 << 5,
} as const;

/** Flag names as the HTTP API spells them (snake_case, as TigerBeetle). */
export const ACCOUNT_FLAG_NAMES: Record<string, number> = {
  debits_must_not_exceed_credits: ACCOUNT_FLAGS.debitsMustNotExceedCredits,
  credits_must_not_exceed_debits: ACCOUNT_FLAGS.creditsMustNotExceedDebits,
  linked: ACCOUNT_FLAGS.linked,
};
export const TRANSFER_FLAG_NAMES: Record<string, number> = {
  linked: TRANSFER_FLAGS.linked,
  pending: TRANSFER_FLAGS.pending,
  post_pending_transfer: TRANSFER_FLAGS.postPending,
  void_pending_transfer: TRANSFER_FLAGS.voidPending,
  balancing_debit: TRANSFER_FLAGS.balancingDebit,
  balancing_credit: TRANSFER_FLAGS.balancingCredit,
};

export function flagNames(flags: number, names: Record<string, number>): string[] {
  return Object.entries(names).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

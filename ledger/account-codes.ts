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
} as const;

export const TRANSFER_CODE = {
  topUp: 1,
  usage: 2,
} as const;

export const ACCOUNT_FLAGS = {
  debitsMustNotExceedCredits: 1 << 0,
  creditsMustNotExceedDebits: 1 << 1,
} as const;

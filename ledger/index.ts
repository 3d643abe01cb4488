/** The ledger's public module: other services use only what is exported here. */
export {
  ACCOUNT_CODE, ACCOUNT_FLAGS, TRANSFER_CODE, TRANSFER_FLAGS, ACCOUNT_FLAG_NAMES, TRANSFER_FLAG_NAMES, flagNames,
} from './account-codes.ts';
export {
  AMOUNT_MAX, BATCH_LENGTH_MAX, TRANSFER_RESULTS, ACCOUNT_RESULTS, isTransferApplied, expiryTransferId,
  type Account, type AccountResult, type Transfer,
} from './engine.ts';
export {
  createTransfers, submitTransfers, applyTransferBatch, inTransactionWithRetry,
  type TransferInput, type TransferResult, type BatchOptions, type Tx,
} from './transfers.ts';
export { createAccounts, submitAccounts, lookupAccounts, type AccountInput, type AccountView } from './accounts.ts';
export { lookupTransfers, accountTransfers, accountBalancesAt, type TransferRecord, type HistoryPage, type Balances } from './queries.ts';
export { voidExpiredPendingTransfers } from './expiry.ts';
export { expirePromotions } from './promotions.ts';
export {
  ensureCustomerAccounts, ensureWallets, postUsageDebits, topUpWallet, refundWallet, creditUsage, grantPromotionalCredit,
  setLowBalanceThreshold, walletBalance, walletTransfers, walletAccountId, promoWalletAccountId, receivableAccountId,
  revenueAccountId, clearingAccountId, promotionsAccountId,
  type TopUp, type WalletMovement, type PromotionGrant, type UsageDebit, type WalletBalance, type TransferView, type WalletKey,
} from './wallets.ts';
export { type WalletEvent, type WalletEventType } from './wallet-events.ts';
export { publishOutbox, type OutboxProducer } from './outbox.ts';
export { startLedgerBackground, type LedgerBackground } from './background.ts';
export { checkLedgerInvariants, type InvariantReport } from './invariants.ts';
export { idFromName } from './ids.ts';
/** Hotspot vouchers (profiles, batches, lifecycle, quotas, routes): ledger/vouchers/README.md. */
export * from './vouchers/index.ts';

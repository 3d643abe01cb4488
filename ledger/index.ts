/** The ledger's public module: other services use only what is exported here. */
export { ACCOUNT_CODE, ACCOUNT_FLAGS, TRANSFER_CODE } from './account-codes.ts';
export { createTransfers, type TransferInput, type TransferResult, type Tx } from './transfers.ts';
export {
  ensureCustomerAccounts, postUsageDebits, topUpWallet, walletBalance, walletTransfers, walletAccountId,
  type TopUp, type UsageDebit, type WalletBalance, type TransferView,
} from './wallets.ts';
export { checkLedgerInvariants, type InvariantReport } from './invariants.ts';

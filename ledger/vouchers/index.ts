/** Hotspot vouchers: the public module (re-exported by ledger/index.ts). */
export {
  activateVoucher, disableVoucher, refundVoucher, resendVoucherCode, sellVoucher, transferVoucher,
  type ActionOutcome, type ActivateOutcome, type ResendInput, type SellInput,
} from './actions.ts';
export {
  voucherLiabilityAccountId, voucherRevenueAccountId, voucherSalesClearingAccountId, voucherTransferId,
} from './accounts.ts';
export {
  CODE_ENTROPY_BITS_MIN, DEFAULT_CODE_ALPHABET, DEFAULT_CODE_FORMAT, DEFAULT_CODE_LENGTH, checkCodeFormat, codeEntropyBits, generateCodes,
  normalizeCode, type CodeFormat,
} from './codes.ts';
export { VOUCHER_ERRORS, httpStatusOf, type VoucherErrorCode, type VoucherErrorInfo, type VoucherResult } from './errors.ts';
export { EXPIRY_BATCH_SIZE, expireDueVouchers, type ExpiredVoucher, type SweepOptions } from './expiry.ts';
export { exportVouchersCsv, type ExportOptions } from './export.ts';
export { INSERT_ROWS_MAX, generateVoucherBatch, type BatchView, type GenerateOptions, type GenerateOutcome } from './generate.ts';
export { registerVoucherRoutes, type VoucherRouteDeps } from './http-routes.ts';
export {
  BATCH_COUNT_MAX, parseBatchRequest, parsePayment, parseProfileChanges, parseProfileInput, parseRecipient,
  type BatchRequest, type PaymentMethod, type ProfileChanges, type ProfileInput, type Recipient,
} from './inputs.ts';
export { createLogTransport, deliverVoucherOutbox, type DeliveryReport, type MessageTransport, type OutboundMessage } from './outbox.ts';
export { archiveProfile, createProfile, getProfile, listProfiles, updateProfile, type ProfileView } from './profiles.ts';
export {
  countVouchers, findVoucherByCode, getBatch, getVoucher, listVouchers, voucherHistory,
  type VoucherEventView, type VoucherFilter, type VoucherPage,
} from './queries.ts';
export { consumeVoucherQuota, type ConsumeOutcome, type UsageReport } from './quota.ts';
export { parseRateLimit, type RateLimit } from './rate-limit.ts';
export { sessionLimits, type SessionLimits } from './session-limits.ts';
export { VOUCHER_ACTIONS, VOUCHER_STATUSES, decide, type VoucherAction, type VoucherStatus } from './state-machine.ts';
export type { VoucherContext, VoucherView } from './store.ts';

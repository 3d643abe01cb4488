/**
 * Every error code the voucher API can answer, with its HTTP status. Codes are
 * stable (clients switch on them) and share the `{error: {code, message, field?}}`
 * shape of schemas/errors.ts.
 */
export const VOUCHER_ERRORS = {
  TG_VOUCHER_NOT_FOUND: { status: 404, message: 'no voucher with that id or code in this tenant' },
  TG_VOUCHER_BATCH_NOT_FOUND: { status: 404, message: 'no voucher batch with that id in this tenant' },
  TG_VOUCHER_PROFILE_NOT_FOUND: { status: 404, message: 'no active voucher profile with that name in this tenant' },
  TG_VOUCHER_CUSTOMER_NOT_FOUND: { status: 404, message: 'no customer with that id or subject in this tenant' },
  TG_VOUCHER_PROFILE_EXISTS: { status: 409, message: 'a voucher profile with that name already exists in this tenant' },
  TG_VOUCHER_INPUT_INVALID: { status: 400, message: 'a field of the request is invalid' },
  TG_VOUCHER_BATCH_TOO_LARGE: { status: 400, message: 'the batch asks for more vouchers than one call may generate' },
  TG_VOUCHER_CODE_ALPHABET_INVALID: { status: 400, message: 'the code alphabet is invalid (A-Z and 2-9 style characters, no duplicates, no look-alikes)' },
  TG_VOUCHER_CODE_ENTROPY_TOO_LOW: { status: 400, message: 'codes of that alphabet and length would be guessable' },
  TG_VOUCHER_CODE_SPACE_EXHAUSTED: { status: 409, message: 'could not find enough unused codes; use a longer code or larger alphabet' },
  TG_VOUCHER_BATCH_REQUEST_CONFLICT: { status: 409, message: 'that requestId already generated a different batch' },
  TG_VOUCHER_ALREADY_SOLD: { status: 409, message: 'the voucher is already sold' },
  TG_VOUCHER_NOT_SOLD: { status: 409, message: 'the voucher has not been sold' },
  TG_VOUCHER_NOT_ACTIVE: { status: 409, message: 'the voucher is not active' },
  TG_VOUCHER_ALREADY_USED: { status: 409, message: 'the voucher is used up' },
  TG_VOUCHER_EXPIRED: { status: 409, message: 'the voucher has expired' },
  TG_VOUCHER_DISABLED: { status: 409, message: 'the voucher is disabled' },
  TG_VOUCHER_REFUND_NOT_UNUSED: { status: 409, message: 'only an unused voucher can be refunded' },
  TG_VOUCHER_TRANSFER_SAME_CUSTOMER: { status: 409, message: 'the voucher already belongs to that customer' },
  TG_VOUCHER_CURRENCY_MISMATCH: { status: 409, message: "the customer's wallet is in another currency than the voucher" },
  TG_VOUCHER_INSUFFICIENT_FUNDS: { status: 409, message: "the customer's wallet does not hold the voucher's price" },
  TG_VOUCHER_LEDGER_REFUSED: { status: 409, message: 'the ledger refused the voucher transfer' },
  TG_VOUCHER_USAGE_REPORT_CONFLICT: { status: 409, message: 'that (session, sequence) was already reported with other figures' },
} as const satisfies Record<string, { status: number; message: string }>;

export type VoucherErrorCode = keyof typeof VOUCHER_ERRORS;

export interface VoucherErrorInfo {
  code: VoucherErrorCode;
  message: string;
  field?: string;
}

export function voucherError(code: VoucherErrorCode, message?: string, field?: string): VoucherErrorInfo {
  const info: VoucherErrorInfo = { code, message: message ?? VOUCHER_ERRORS[code].message };
  if (field !== undefined) info.field = field;
  return info;
}

export function httpStatusOf(code: VoucherErrorCode): number {
  return VOUCHER_ERRORS[code].status;
}

/** Result of every voucher operation: errors are values with codes. */
export type VoucherResult<T> = { ok: true; value: T } | { ok: false; error: VoucherErrorInfo };

export function ok<T>(value: T): VoucherResult<T> {
  return { ok: true, value };
}

export function refused<T>(code: VoucherErrorCode, message?: string, field?: string): VoucherResult<T> {
  return { ok: false, error: voucherError(code, message, field) };
}

/**
 * Thrown inside a transaction to roll it back with a coded answer (a refusal
 * found after some writes, e.g. the ledger refusing the sale). Caught at the
 * service boundary and turned back into a value; never escapes to callers.
 */
export class VoucherRefusal extends Error {
  constructor(readonly info: VoucherErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

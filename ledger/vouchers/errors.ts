/**
 * Voucher API errors as values. The codes and their HTTP statuses live in
 * schemas/errors.ts (VOUCHER_ERRORS), with every other code; they share its
 * `{error: {code, message, field?}}` shape.
 */
export { VOUCHER_ERRORS } from '../../schemas/errors.ts';
import { VOUCHER_ERRORS } from '../../schemas/errors.ts';

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

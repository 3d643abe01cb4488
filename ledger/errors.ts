/**
 * The ledger's request-level error codes (HTTP). Per-transfer and per-account
 * outcomes are not errors: they are result codes in a 200 answer (engine.ts
 * TRANSFER_RESULTS / ACCOUNT_RESULTS). Same body shape as schemas/errors.ts:
 * `{error: {code, message, field?}}`; the codes themselves live there, with every other code.
 */
export { LEDGER_ERROR_CODES } from '../schemas/errors.ts';
import { LEDGER_ERROR_CODES } from '../schemas/errors.ts';

export type LedgerErrorCode = keyof typeof LEDGER_ERROR_CODES;

export interface LedgerApiError {
  code: LedgerErrorCode;
  message: string;
  field?: string;
}

export function ledgerError(code: LedgerErrorCode, message: string = LEDGER_ERROR_CODES[code], field?: string): { error: LedgerApiError } {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** A request field that failed validation. */
export class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

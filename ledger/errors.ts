/**
 * The ledger's request-level error codes (HTTP). Per-transfer and per-account
 * outcomes are not errors: they are result codes in a 200 answer (engine.ts
 * TRANSFER_RESULTS / ACCOUNT_RESULTS). Same body shape as schemas/errors.ts:
 * `{error: {code, message, field?}}`; the codes belong in its ERROR_CODES list
 * (kept here until that file's owner merges them).
 */
export const LEDGER_ERROR_CODES = {
  TG_LEDGER_FIELD_INVALID: 'a field of a ledger request is missing or invalid; `field` names it',
  TG_LEDGER_BATCH_TOO_LONG: 'a ledger batch holds more than 8,190 items',
  TG_LEDGER_BATCH_EMPTY: 'a ledger batch holds no items',
  TG_LEDGER_REFUSED: 'the ledger refused the operation; `result` holds its result code',
} as const;

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

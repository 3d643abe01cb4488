/**
 * JSON → ledger inputs, for the HTTP API: every field checked, ids normalised
 * to lower-case UUIDs, amounts parsed to bigint micro-units (decimal strings
 * or safe integers, never floats), flags given by name. A bad field throws
 * `FieldError` naming it (e.g. `transfers[3].amountMicros`).
 */
import { ACCOUNT_FLAG_NAMES, TRANSFER_FLAG_NAMES } from './account-codes.ts';
import type { AccountInput } from './accounts.ts';
import { AMOUNT_MAX, BATCH_LENGTH_MAX, CODE_MAX, TIMEOUT_SECONDS_MAX } from './engine.ts';
import { FieldError } from './errors.ts';
import type { TransferInput } from './transfers.ts';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LEDGER = /^[A-Za-z0-9_.-]{1,32}$/;
export const USER_DATA_LENGTH_MAX = 256;

type Json = Record<string, unknown>;

export function parseUuid(value: unknown, field: string, optional = false): string {
  if (optional && (value === undefined || value === null || value === '')) return '';
  if (typeof value !== 'string' || !UUID.test(value)) throw new FieldError(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

/** A non-negative amount of micro-units, as a decimal string or a safe integer. */
export function parseAmount(value: unknown, field: string, { allowZero = false, optional = false } = {}): bigint {
  if (optional && value === undefined) return 0n;
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
  if (text === undefined || !/^\d{1,19}$/.test(text)) {
    throw new FieldError(field, `${field} must be a non-negative integer number of micro-units (a decimal string, or a safe integer)`);
  }
  const amount = BigInt(text);
  if (amount > AMOUNT_MAX) throw new FieldError(field, `${field} exceeds ${AMOUNT_MAX}`);
  if (amount === 0n && !allowZero) throw new FieldError(field, `${field} must be positive`);
  return amount;
}

function parseInteger(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FieldError(field, `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function parseText(value: unknown, field: string, lengthMax: number, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || value.length > lengthMax) throw new FieldError(field, `${field} must be a string of at most ${lengthMax} characters`);
  return value;
}

function parseLedger(value: unknown, field: string, optional: boolean): string {
  if (optional && (value === undefined || value === null || value === '')) return '';
  if (typeof value !== 'string' || !LEDGER.test(value)) throw new FieldError(field, `${field} must be 1–32 letters, digits, '_', '.' or '-' (e.g. a currency, USD)`);
  return value;
}

function parseFlags(value: unknown, field: string, names: Record<string, number>): number {
  if (value === undefined || value === null) return 0;
  if (!Array.isArray(value)) throw new FieldError(field, `${field} must be an array of flag names`);
  let flags = 0;
  value.forEach((name, i) => {
    const bit = typeof name === 'string' ? names[name] : undefined;
    if (bit === undefined) throw new FieldError(`${field}[${i}]`, `${field}[${i}] must be one of ${Object.keys(names).join(', ')}`);
    flags |= bit;
  });
  return flags;
}

function asObject(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError(field, `${field} must be an object`);
  return value as Json;
}

/** The items of a batch body: `{<key>: [...]}` or a bare array. */
export function batchItems(body: unknown, key: 'transfers' | 'accounts'): unknown[] {
  const items = Array.isArray(body) ? body : (typeof body === 'object' && body !== null ? (body as Json)[key] : undefined);
  if (!Array.isArray(items)) throw new FieldError(key, `the body must be {"${key}": [...]} or an array`);
  if (items.length > BATCH_LENGTH_MAX) throw new RangeError(`at most ${BATCH_LENGTH_MAX} ${key} per request`);
  return items;
}

export function parseTransfer(value: unknown, tenantId: string, at: string): TransferInput {
  const t = asObject(value, at);
  const flags = parseFlags(t.flags, `${at}.flags`, TRANSFER_FLAG_NAMES);
  const postOrVoid = (flags & (TRANSFER_FLAG_NAMES.post_pending_transfer! | TRANSFER_FLAG_NAMES.void_pending_transfer!)) !== 0;
  return {
    id: parseUuid(t.id, `${at}.id`),
    tenantId,
    debitAccountId: parseUuid(t.debitAccountId, `${at}.debitAccountId`, postOrVoid),
    creditAccountId: parseUuid(t.creditAccountId, `${at}.creditAccountId`, postOrVoid),
    // 0 is the engine's to judge: it means "the pending amount" for post/void, and amount_must_be_positive otherwise.
    amountMicros: parseAmount(t.amountMicros, `${at}.amountMicros`, { allowZero: true, optional: postOrVoid }),
    pendingId: parseUuid(t.pendingId, `${at}.pendingId`, true),
    timeoutSeconds: parseInteger(t.timeoutSeconds, `${at}.timeoutSeconds`, 0, TIMEOUT_SECONDS_MAX, 0),
    ledger: parseLedger(t.ledger, `${at}.ledger`, postOrVoid),
    code: parseInteger(t.code, `${at}.code`, 0, CODE_MAX, 0),
    flags,
    userData: parseText(t.userData, `${at}.userData`, USER_DATA_LENGTH_MAX),
  };
}

/** Account codes below this are Tollgate's own types (ledger/account-codes.ts); API clients use the rest. */
export const CLIENT_ACCOUNT_CODE_MIN = 1000;

function parseAccountCode(value: unknown, field: string): number {
  const code = parseInteger(value, field, 0, CODE_MAX, 0);
  if (code !== 0 && code < CLIENT_ACCOUNT_CODE_MIN) {
    throw new FieldError(field, `${field}: codes below ${CLIENT_ACCOUNT_CODE_MIN} are reserved for Tollgate's own account types`);
  }
  return code;
}

export function parseAccount(value: unknown, tenantId: string, at: string): AccountInput {
  const a = asObject(value, at);
  return {
    id: parseUuid(a.id, `${at}.id`),
    tenantId,
    ledger: parseLedger(a.ledger, `${at}.ledger`, false),
    // 0 is the engine's to judge (code_must_not_be_zero); 1..999 are Tollgate's own account types.
    code: parseAccountCode(a.code, `${at}.code`),
    flags: parseFlags(a.flags, `${at}.flags`, ACCOUNT_FLAG_NAMES),
    userData: parseText(a.userData, `${at}.userData`, USER_DATA_LENGTH_MAX),
  };
}

export interface MovementBody {
  amountMicros: bigint;
  reference: string;
}

/** `{amountMicros, reference}` of a wallet top-up, refund or promotion. */
export function parseMovement(body: unknown): MovementBody {
  const b = asObject(body, 'body');
  const reference = parseText(b.reference, 'reference', 200);
  if (reference === '') throw new FieldError('reference', 'reference must be a non-empty string of at most 200 characters');
  return { amountMicros: parseAmount(b.amountMicros, 'amountMicros'), reference };
}

/** A time as an RFC 3339 string or epoch milliseconds. */
export function parseTime(value: unknown, field: string): number {
  const ms = typeof value === 'number' && Number.isSafeInteger(value) ? value
    : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new FieldError(field, `${field} must be an RFC 3339 time (2026-11-23T10:00:00Z) or epoch milliseconds`);
  return ms;
}

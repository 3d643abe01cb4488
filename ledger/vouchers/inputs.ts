/**
 * Validation of what callers send (HTTP JSON, CLI flags): profiles, batch
 * requests, sale and resend details. Pure; every refusal names its field.
 * Integers arrive as JSON numbers or decimal strings and leave as bigint.
 */
import { DEFAULT_CODE_ALPHABET, DEFAULT_CODE_LENGTH, checkCodeFormat, type CodeFormat } from './codes.ts';
import { refused, ok, type VoucherResult } from './errors.ts';
import { parseRateLimit } from './rate-limit.ts';

/** Most vouchers one generate call creates (one transaction; ≈ 1 s per 10,000 on 2 cores, see README). */
export const BATCH_COUNT_MAX = 50_000;
export const PRICE_MICROS_MAX = 10n ** 15n;
export const DATA_QUOTA_BYTES_MAX = 2n ** 62n;
export const DURATION_SECONDS_MAX = 10n * 366n * 86_400n;
export const SHARED_USERS_MAX = 1000;
export const TEXT_LENGTH_MAX = 200;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CURRENCY = /^[A-Z]{3}$/;

/** What a profile sells; copied onto each voucher at generation. */
export interface ProfileTerms {
  currency: string;
  priceMicros: bigint;
  /** null = unlimited. */
  dataQuotaBytes: bigint | null;
  /** null = unlimited. */
  timeQuotaSeconds: bigint | null;
  /** How long the voucher stays usable after its first login. */
  validitySeconds: bigint;
  /** `Mikrotik-Rate-Limit` text; null = the router's default. */
  rateLimit: string | null;
  /** Concurrent logins allowed with one code. */
  sharedUsers: number;
}

export interface ProfileInput extends ProfileTerms {
  name: string;
}

export type ProfileChanges = Partial<Omit<ProfileInput, 'name'>>;

type Field<T> = VoucherResult<T>;

function integer(value: unknown, field: string, min: bigint, max: bigint): Field<bigint> {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^-?\d{1,20}$/.test(text)) return refused('TG_VOUCHER_INPUT_INVALID', `${field} must be an integer (number or decimal string)`, field);
  const parsed = BigInt(text);
  if (parsed < min || parsed > max) return refused('TG_VOUCHER_INPUT_INVALID', `${field} must be within ${min}..${max}`, field);
  return ok(parsed);
}

function optionalInteger(value: unknown, field: string, min: bigint, max: bigint): Field<bigint | null> {
  return value === null || value === undefined ? ok(null) : integer(value, field, min, max);
}

function text(value: unknown, field: string, pattern: RegExp, what: string): Field<string> {
  return typeof value === 'string' && pattern.test(value) ? ok(value) : refused('TG_VOUCHER_INPUT_INVALID', `${field} must be ${what}`, field);
}

function rateLimitField(value: unknown): Field<string | null> {
  if (value === null || value === undefined) return ok(null);
  if (typeof value !== 'string') return refused('TG_VOUCHER_INPUT_INVALID', 'rateLimit must be Mikrotik-Rate-Limit text such as "2M/2M"', 'rateLimit');
  const parsed = parseRateLimit(value);
  return parsed.ok ? ok(parsed.value.text) : refused('TG_VOUCHER_INPUT_INVALID', parsed.reason, 'rateLimit');
}

type Checks<T> = { [K in keyof T]: (value: unknown) => Field<T[K]> };

const PROFILE_CHECKS: Checks<ProfileInput> = {
  name: (v) => text(v, 'name', PROFILE_NAME, '1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-", starting with a letter or digit'),
  currency: (v) => text(v, 'currency', CURRENCY, 'an ISO 4217 code such as "USD"'),
  priceMicros: (v) => integer(v, 'priceMicros', 0n, PRICE_MICROS_MAX),
  dataQuotaBytes: (v) => optionalInteger(v, 'dataQuotaBytes', 1n, DATA_QUOTA_BYTES_MAX),
  timeQuotaSeconds: (v) => optionalInteger(v, 'timeQuotaSeconds', 1n, DURATION_SECONDS_MAX),
  validitySeconds: (v) => integer(v, 'validitySeconds', 1n, DURATION_SECONDS_MAX),
  rateLimit: rateLimitField,
  sharedUsers: (v) => {
    const parsed = integer(v ?? 1, 'sharedUsers', 1n, BigInt(SHARED_USERS_MAX));
    return parsed.ok ? ok(Number(parsed.value)) : parsed;
  },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseProfileInput(body: unknown): VoucherResult<ProfileInput> {
  if (!isRecord(body)) return refused('TG_VOUCHER_INPUT_INVALID', 'the body must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(PROFILE_CHECKS) as [string, (v: unknown) => Field<unknown>][]) {
    const result = check(body[key]);
    if (!result.ok) return result;
    out[key] = result.value;
  }
  return ok(out as unknown as ProfileInput);
}

/** A partial update: only the fields present are checked and changed; the name is the key and stays. */
export function parseProfileChanges(body: unknown): VoucherResult<ProfileChanges> {
  if (!isRecord(body)) return refused('TG_VOUCHER_INPUT_INVALID', 'the body must be a JSON object');
  if ('name' in body) return refused('TG_VOUCHER_INPUT_INVALID', 'a profile cannot be renamed; create a new one', 'name');
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(PROFILE_CHECKS) as [string, (v: unknown) => Field<unknown>][]) {
    if (!(key in body)) continue;
    const result = check(body[key]);
    if (!result.ok) return result;
    out[key] = result.value;
  }
  const unknownKeys = Object.keys(body).filter((k) => !(k in PROFILE_CHECKS));
  if (unknownKeys.length > 0) return refused('TG_VOUCHER_INPUT_INVALID', `unknown field ${unknownKeys[0]}`, unknownKeys[0]);
  return ok(out as ProfileChanges);
}

export interface BatchRequest {
  profileName: string;
  count: number;
  format: CodeFormat;
  /** Same requestId → the same batch, so a retried call generates nothing new. */
  requestId: string | null;
  note: string;
}

export function parseBatchRequest(body: unknown): VoucherResult<BatchRequest> {
  if (!isRecord(body)) return refused('TG_VOUCHER_INPUT_INVALID', 'the body must be a JSON object');
  const profileName = PROFILE_CHECKS.name(body.profile);
  if (!profileName.ok) return refused('TG_VOUCHER_INPUT_INVALID', 'profile must name a voucher profile', 'profile');
  const count = integer(body.count, 'count', 1n, 10n ** 9n);
  if (!count.ok) return count;
  if (count.value > BigInt(BATCH_COUNT_MAX)) {
    return refused('TG_VOUCHER_BATCH_TOO_LARGE', `count ${count.value} exceeds ${BATCH_COUNT_MAX} per call`, 'count');
  }
  const length = integer(body.codeLength ?? DEFAULT_CODE_LENGTH, 'codeLength', 1n, 1000n);
  if (!length.ok) return length;
  if (body.alphabet !== undefined && typeof body.alphabet !== 'string') return refused('TG_VOUCHER_CODE_ALPHABET_INVALID', 'alphabet must be a string', 'alphabet');
  if (body.prefix !== undefined && typeof body.prefix !== 'string') return refused('TG_VOUCHER_INPUT_INVALID', 'prefix must be a string', 'prefix');
  const format: CodeFormat = {
    alphabet: (body.alphabet as string | undefined) ?? DEFAULT_CODE_ALPHABET,
    length: Number(length.value),
    prefix: ((body.prefix as string | undefined) ?? '').toUpperCase(),
  };
  const problem = checkCodeFormat(format);
  if (problem) return { ok: false, error: problem };
  const requestId = optionalText(body.requestId, 'requestId');
  if (!requestId.ok) return requestId;
  const note = optionalText(body.note, 'note');
  if (!note.ok) return note;
  return ok({ profileName: profileName.value, count: Number(count.value), format, requestId: requestId.value, note: note.value ?? '' });
}

export function optionalText(value: unknown, field: string, lengthMax = TEXT_LENGTH_MAX): VoucherResult<string | null> {
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== 'string' || value === '' || value.length > lengthMax) {
    return refused('TG_VOUCHER_INPUT_INVALID', `${field} must be a non-empty string of at most ${lengthMax} characters`, field);
  }
  return ok(value);
}

export type PaymentMethod = 'wallet' | 'external';

export function parsePayment(value: unknown): VoucherResult<PaymentMethod> {
  if (value === undefined) return ok('external');
  return value === 'wallet' || value === 'external' ? ok(value)
    : refused('TG_VOUCHER_INPUT_INVALID', 'payment must be "wallet" (the buyer\'s prepaid wallet) or "external" (cash, payment provider)', 'payment');
}

export type ResendChannel = 'sms' | 'email';

export interface Recipient {
  channel: ResendChannel;
  to: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/;

export function parseRecipient(channel: unknown, to: unknown): VoucherResult<Recipient> {
  if (channel !== 'sms' && channel !== 'email') return refused('TG_VOUCHER_INPUT_INVALID', 'channel must be "sms" or "email"', 'channel');
  if (typeof to !== 'string') return refused('TG_VOUCHER_INPUT_INVALID', 'to must be a phone number or e-mail address', 'to');
  const address = to.trim();
  if (channel === 'sms' && !E164.test(address)) return refused('TG_VOUCHER_INPUT_INVALID', 'to must be an E.164 phone number such as +256700123456', 'to');
  if (channel === 'email' && !EMAIL.test(address)) return refused('TG_VOUCHER_INPUT_INVALID', 'to must be an e-mail address', 'to');
  return ok({ channel, to: address });
}

/** What audit rows and logs keep of a recipient: enough to recognise it, not to contact it. */
export function maskRecipient(recipient: Recipient): string {
  if (recipient.channel === 'sms') return `${recipient.to.slice(0, 4)}…${recipient.to.slice(-2)}`;
  const [local = '', domain = ''] = recipient.to.split('@');
  return `${local.slice(0, 1)}…@${domain}`;
}

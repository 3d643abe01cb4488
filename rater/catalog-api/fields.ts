/**
 * Reading catalog request bodies: each reader returns the typed value or
 * records the first problem as a coded error with its field, so a handler
 * reads every field and then checks `reader.error` once.
 */
import { ERROR_CODES, type ApiError, type ErrorCode } from '../../schemas/errors.ts';
import { formatQuantity, toQuantityNanos } from '../pricing/quantity.ts';

/** A failure may list every problem (`details`, e.g. all price param errors); `error` is the first. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; error: ApiError; details?: ApiError[] };

export function fail<T = never>(status: number, code: ErrorCode, message: string = ERROR_CODES[code], field?: string): Outcome<T> {
  return { ok: false, status, error: field === undefined ? { code, message } : { code, message, field } };
}

export const notFound = (what: string, field?: string): Outcome<never> => fail(404, 'TG_NOT_FOUND', `no ${what}`, field);

const SLUG = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const CURRENCY = /^[A-Z]{3}$/;
const JURISDICTION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
const TEXT_LENGTH_MAX = 256;
const INT64_MAX = 2n ** 63n - 1n;

export class FieldReader {
  error: ApiError | undefined;
  readonly body: Record<string, unknown>;

  constructor(body: unknown, private readonly allowed: readonly string[]) {
    this.body = typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {};
    if (this.body !== body) this.fail('', 'the body must be a JSON object');
    for (const field of Object.keys(this.body)) {
      // A typo is refused rather than silently ignored.
      if (!allowed.includes(field)) this.fail(field, `unknown field; expected one of ${allowed.join(', ')}`);
    }
  }

  fail(field: string, message: string, code: ErrorCode = 'TG_CATALOG_FIELD_INVALID'): undefined {
    this.error ??= field === '' ? { code, message } : { code, message, field };
    return undefined;
  }

  outcome<T>(build: () => T): Outcome<T> {
    return this.error ? { ok: false, status: 400, error: this.error } : { ok: true, value: build() };
  }

  has(field: string): boolean {
    return this.body[field] !== undefined;
  }

  text(field: string, options: { optional?: boolean; pattern?: RegExp; describe?: string } = {}): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return options.optional ? undefined : this.fail(field, `${field} is required`);
    if (typeof value !== 'string' || value.length === 0 || value.length > TEXT_LENGTH_MAX) {
      return this.fail(field, `${field} must be a non-empty string of at most ${TEXT_LENGTH_MAX} characters`);
    }
    if (options.pattern && !options.pattern.test(value)) return this.fail(field, `${field} must be ${options.describe ?? `like ${options.pattern}`}`);
    return value;
  }

  slug(field: string): string | undefined {
    return this.text(field, { pattern: SLUG, describe: 'lower-case letters, digits, _ . - (at most 64)' });
  }

  currency(field: string, optional = false): string | undefined {
    return this.text(field, { optional, pattern: CURRENCY, describe: 'an ISO 4217 code such as USD' });
  }

  jurisdiction(field: string): string | undefined {
    return this.text(field, { optional: true, pattern: JURISDICTION, describe: 'an ISO 3166 code such as DE or US-CA' });
  }

  oneOf<T extends string>(field: string, values: readonly T[], fallback?: T): T | undefined {
    const value = this.body[field];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) return this.fail(field, `${field} must be one of ${values.join(', ')}`);
    return value as T;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.body[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return this.fail(field, `${field} must be true or false`) ?? fallback;
    return value;
  }

  integer(field: string, range: { min: number; max: number; optional?: boolean }): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return range.optional ? undefined : this.fail(field, `${field} is required`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
      return this.fail(field, `${field} must be an integer from ${range.min} to ${range.max}`);
    }
    return value;
  }

  /** Whole micro-units, as a decimal string (or a safe JSON integer). */
  micros(field: string, options: { optional?: boolean; positive?: boolean } = {}): bigint | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return options.optional ? undefined : this.fail(field, `${field} is required`);
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || !/^\d{1,19}$/.test(text) || BigInt(text) > INT64_MAX) {
      return this.fail(field, `${field} must be whole micro-units as a decimal string, e.g. "2500000"`);
    }
    const micros = BigInt(text);
    if (options.positive && micros === 0n) return this.fail(field, `${field} must be above zero`);
    return micros;
  }

  /** A non-negative quantity in meter units (decimal string or number, up to 9 decimals), returned canonical. */
  quantity(field: string): string | undefined {
    const parsed = toQuantityNanos(this.body[field]);
    if (!parsed.ok) return this.fail(field, `${field}: ${parsed.reason}`);
    if (parsed.nanos < 0n) return this.fail(field, `${field} must not be negative`);
    return formatQuantity(parsed.nanos);
  }

  /** An RFC 3339 instant. */
  time(field: string, optional = false): Date | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return optional ? undefined : this.fail(field, `${field} is required`);
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
      return this.fail(field, `${field} must be an RFC 3339 time such as 2026-11-01T00:00:00Z`);
    }
    return new Date(value);
  }

  stringList(field: string, itemPattern?: RegExp): string[] | undefined {
    const value = this.body[field];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.length > 16 || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= TEXT_LENGTH_MAX && (!itemPattern || itemPattern.test(v)))) {
      return this.fail(field, `${field} must be a list of at most 16 non-empty strings`);
    }
    return value as string[];
  }
}

export const PROPERTY_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Reading price params from catalog JSON. The catalog API accepts params as
 * JSON, so every problem is a value with a field path and a stable code (never
 * a throw), and all problems of one document are reported together.
 *
 * Numbers: decimal strings are the recommended form and are read exactly.
 * JSON numbers are read from their shortest decimal form (0.1 is exactly a
 * tenth), and refused beyond 2^53, where JSON.parse has already lost digits.
 * Never a float in arithmetic: every value becomes a bigint here.
 */
import { NANOS_PER_UNIT, toQuantityNanos } from './quantity.ts';

/** Every code a params error can carry. Stable: the catalog API returns them to users. */
// The codes live with every other user-visible code in schemas/errors.ts.
export { PRICE_PARAM_ERROR_CODES } from '../../schemas/errors.ts';
import type { PRICE_PARAM_ERROR_CODES } from '../../schemas/errors.ts';

export type PriceParamErrorCode = keyof typeof PRICE_PARAM_ERROR_CODES;

export interface ParamError {
  /** Path into the params document, e.g. `tiers[2].upTo`; empty for the document itself. */
  field: string;
  code: PriceParamErrorCode;
  message: string;
}

/** Largest amount a rated row or ledger transfer can hold: Int64 micros. */
export const MICROS_MAX = 2n ** 63n - 1n;

export function fieldPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  if (key === '') return prefix;
  return prefix === '' ? key : `${prefix}.${key}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Collects errors while a document is read, so one response lists every problem. */
export class ParamReader {
  readonly errors: ParamError[] = [];

  fail(field: string, code: PriceParamErrorCode, message: string): undefined {
    this.errors.push({ field, code, message });
    return undefined;
  }

  /** The value as a plain object with only `allowed` keys, or undefined (with errors). */
  object(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(field, 'TG_PRICE_NOT_OBJECT', `${field || 'params'} must be an object, got ${typeName(value)}`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) {
        this.fail(fieldPath(field, key), 'TG_PRICE_FIELD_UNKNOWN', `unknown field "${key}"; expected one of ${allowed.join(', ')}`);
      }
    }
    return record;
  }

  /**
   * A decimal with at most 9 decimal places as a bigint scaled by 10^9 — nano-units
   * of a quantity, or nano-micros of a unit price. `bigint` input is whole units.
   */
  decimal9(record: Record<string, unknown>, prefix: string, key: string, rule: 'non_negative' | 'positive', fallback?: bigint): bigint | undefined {
    const field = fieldPath(prefix, key);
    const value = record[key];
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      return this.fail(field, 'TG_PRICE_FIELD_MISSING', `${field} is required`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') {
      return this.fail(field, 'TG_PRICE_FIELD_TYPE', `${field} must be a decimal string, got ${typeName(value)}`);
    }
    if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      return this.fail(field, 'TG_PRICE_NUMBER_UNSAFE', `${field}: ${value} is beyond 2^53 as a JSON number; send it as a string`);
    }
    const parsed = toQuantityNanos(value);
    if (!parsed.ok) return this.fail(field, 'TG_PRICE_NUMBER_INVALID', `${field}: ${parsed.reason}`);
    if (parsed.nanos < 0n) return this.fail(field, 'TG_PRICE_NEGATIVE', `${field} must not be negative`);
    if (rule === 'positive' && parsed.nanos === 0n) return this.fail(field, 'TG_PRICE_NOT_POSITIVE', `${field} must be greater than zero`);
    return parsed.nanos;
  }

  /** A whole, non-negative number of micros that fits Int64. */
  wholeMicros(record: Record<string, unknown>, prefix: string, key: string, fallback?: bigint): bigint | undefined {
    const scaled = this.decimal9(record, prefix, key, 'non_negative', fallback === undefined ? undefined : fallback * NANOS_PER_UNIT);
    if (scaled === undefined) return undefined;
    const field = fieldPath(prefix, key);
    if (scaled % NANOS_PER_UNIT !== 0n) {
      return this.fail(field, 'TG_PRICE_NOT_WHOLE_MICROS', `${field} must be a whole number of micros`);
    }
    const micros = scaled / NANOS_PER_UNIT;
    if (micros > MICROS_MAX) return this.fail(field, 'TG_PRICE_OUT_OF_RANGE', `${field} must be at most ${MICROS_MAX} micros (Int64)`);
    return micros;
  }

  /** Optional whole micros: absent or null means "no limit". */
  optionalWholeMicros(record: Record<string, unknown>, prefix: string, key: string): bigint | null | undefined {
    if (record[key] === undefined || record[key] === null) return null;
    return this.wholeMicros(record, prefix, key);
  }

  boolean(record: Record<string, unknown>, prefix: string, key: string, fallback: boolean): boolean | undefined {
    const value = record[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      return this.fail(fieldPath(prefix, key), 'TG_PRICE_FIELD_TYPE', `${fieldPath(prefix, key)} must be true or false, got ${typeName(value)}`);
    }
    return value;
  }

  /** Ends a read that cannot go on (e.g. params are not an object). Call only after recording an error. */
  invalid(): { ok: false; errors: ParamError[] } {
    return { ok: false, errors: this.errors };
  }

  /** Ends a read: the params when no error was recorded. */
  result<Params>(build: () => Params): { ok: true; params: Params } | { ok: false; errors: ParamError[] } {
    return this.errors.length === 0 ? { ok: true, params: build() } : { ok: false, errors: this.errors };
  }
}

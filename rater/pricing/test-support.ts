/** Helpers shared by the pricing tests (not used by production code). */
import type { ParseResult } from './price-model.ts';
import { toQuantityNanos } from './quantity.ts';

/** Params from JSON, failing the test loudly when the JSON is refused. */
export function mustParse<Params>(model: { parseParams(json: unknown): ParseResult<Params> }, json: unknown): Params {
  const result = model.parseParams(json);
  if (!result.ok) throw new Error(`params refused: ${JSON.stringify(result.errors)}`);
  return result.params;
}

/** A decimal string of units as nano-units: units('1000.5') = 1_000_500_000_000n. */
export function units(text: string): bigint {
  const result = toQuantityNanos(text);
  if (!result.ok) throw new Error(result.reason);
  return result.nanos;
}

/** Error codes and fields of a refused parse, sorted, for table comparison. */
export function errorsOf(result: ParseResult<unknown>): string[] {
  if (result.ok) return [];
  return result.errors.map((error) => `${error.field}:${error.code}`).sort();
}

/** Renders a JSON-ish table input for a test name (bigints with n). */
export function show(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner)) ?? String(value);
}

/**
 * `free_allowance`: the first `freeUnits` of each period are free; the rest is
 * priced by a wrapped price. A wrapper, not a field of every model: it shifts
 * the period quantity down by the allowance and prices what is left, so any
 * quantity-based model gains an allowance without knowing about it.
 *
 *   total(Q) = inner.total(max(0, Q − freeUnits))
 *
 * Scope `period` whatever it wraps: an event's amount is total(after) −
 * total(before), so the event that crosses the allowance pays only for its part
 * above it, and rounding happens on the cumulative total. Wrapping `per_unit`
 * therefore rounds cumulatively, unlike bare per_unit's per-event rounding.
 *
 * `percentage` (scope `transaction`) cannot be wrapped: its fee, minimum and
 * maximum belong to each event, so "the first N units" has no per-event
 * meaning. Nor can an allowance wrap another allowance (one allowance of the
 * sum says the same, and nesting would be unbounded recursion in the parser).
 */
import { fieldPath, ParamReader } from './params.ts';
import { marginalByTotals, type ParseResult, type Price, type PriceModel } from './price-model.ts';

export interface FreeAllowanceParams {
  /** Free units per period, nano-units. */
  freeNanos: bigint;
  /** The price of the units beyond the allowance. */
  price: Price;
}

export const FREE_ALLOWANCE = 'free_allowance';

function isNamed(json: unknown, model: string): boolean {
  return json !== null && typeof json === 'object' && (json as Record<string, unknown>).model === model;
}

function totalAmountMicros(params: FreeAllowanceParams, quantityNanos: bigint): bigint {
  const chargeableNanos = quantityNanos - params.freeNanos;
  return chargeableNanos > 0n ? params.price.totalAmountMicros(chargeableNanos) : 0n;
}

/**
 * @param parsePrice reads a nested `{ model, params }` price (the registry's
 *   parser, passed in so that this module does not import the registry).
 */
export function createFreeAllowance(parsePrice: (json: unknown) => ParseResult<Price>): PriceModel<FreeAllowanceParams> {
  function parseParams(json: unknown): ParseResult<FreeAllowanceParams> {
    const reader = new ParamReader();
    const record = reader.object(json, '', ['freeUnits', 'price']);
    if (!record) return reader.invalid();
    const freeNanos = reader.decimal9(record, '', 'freeUnits', 'non_negative');
    let price: Price | undefined;
    if (record.price === undefined) {
      reader.fail('price', 'TG_PRICE_FIELD_MISSING', 'price is required: { model, params } of the units beyond the allowance');
    } else if (isNamed(record.price, FREE_ALLOWANCE)) {
      // Refused before parsing it, so a deeply nested document cannot recurse.
      reader.fail('price.model', 'TG_PRICE_MODEL_NOT_WRAPPABLE', 'a free allowance cannot wrap another free allowance; use one allowance of the sum');
    } else {
      const inner = parsePrice(record.price);
      if (!inner.ok) {
        for (const error of inner.errors) reader.errors.push({ ...error, field: fieldPath('price', error.field) });
      } else if (inner.params.scope === 'transaction') {
        reader.fail('price.model', 'TG_PRICE_MODEL_NOT_WRAPPABLE',
          `${inner.params.model} cannot be wrapped in a free allowance: its fee, minimum and maximum are per transaction`);
      } else {
        price = inner.params;
      }
    }
    return reader.result(() => ({ freeNanos: freeNanos!, price: price! }));
  }

  return {
    name: FREE_ALLOWANCE,
    scope: 'period',
    parseParams,
    marginalAmountMicros: (params, input) => marginalByTotals(totalAmountMicros, params, input),
    totalAmountMicros,
  };
}

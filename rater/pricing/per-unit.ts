/** `per_unit`: every unit costs the same. Amount = quantity × unit price, rounded half-even to micros. */
import { ParamReader } from './params.ts';
import type { ParseResult, PriceModel } from './price-model.ts';
import { divideHalfEven, NANOS_PER_UNIT } from './quantity.ts';

export interface PerUnitParams {
  unitPriceMicros: bigint;
}

function totalAmountMicros(params: PerUnitParams, quantityNanos: bigint): bigint {
  return divideHalfEven(quantityNanos * params.unitPriceMicros, NANOS_PER_UNIT);
}

/**
 * Whole micros only. per_unit rounds each event on its own, so a sub-micro unit
 * price would lose money systematically: at 0.5 micros a token, every one-token
 * event rounds (half-even) to 0 and a million of them cost nothing. Sub-micro
 * prices belong in `graduated` with one open-ended tier, which rounds the
 * cumulative total instead.
 */
function parseParams(json: unknown): ParseResult<PerUnitParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['unitPriceMicros']);
  if (!record) return reader.invalid();
  const unitPriceMicros = reader.wholeMicros(record, '', 'unitPriceMicros');
  const notWhole = reader.errors.find((error) => error.code === 'TG_PRICE_NOT_WHOLE_MICROS');
  if (notWhole) {
    notWhole.message += '; per_unit rounds each event on its own, so for a sub-micro unit price use graduated with one open-ended tier';
  }
  return reader.result(() => ({ unitPriceMicros: unitPriceMicros! }));
}

/**
 * Scope `event`: each event is rounded on its own, so an event's amount depends
 * on nothing but the event and the price. Replays and batch re-rating give the
 * same amount whatever the batch boundaries, and the period total is exactly
 * the sum of the rated rows (the trace from money back to events).
 *
 * Unlike the `period` models, the sum over a period's events can differ from
 * `totalAmountMicros(Σq)` by up to ½ micro per event (two events of 0.5 micros
 * each round to 0 + 0; one event of 1 unit is 1). With whole-micro prices this
 * arises only for fractional quantities. Wrapped in `free_allowance`, per_unit
 * is priced through `totalAmountMicros` on the cumulative quantity instead.
 */
export const perUnit: PriceModel<PerUnitParams> = {
  name: 'per_unit',
  scope: 'event',
  parseParams,
  marginalAmountMicros: (params, input) => totalAmountMicros(params, input.quantityNanos),
  totalAmountMicros,
};

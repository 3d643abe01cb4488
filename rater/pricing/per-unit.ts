/** `per_unit`: every unit costs the same. Amount = quantity × unit price, rounded half-even to micros. */
import type { PriceModel } from './price-model.ts';
import { divideHalfEven, NANOS_PER_UNIT } from './quantity.ts';

export interface PerUnitParams {
  unitPriceMicros: bigint;
}

/**
 * Stateless: each event is rounded on its own, so an event's amount depends on
 * nothing but the event and the price. Replays and batch re-rating give the
 * same amount whatever the batch boundaries, and the period total is exactly
 * the sum of the rated rows (the trace from money back to events).
 */
export const perUnit: PriceModel<PerUnitParams> = {
  name: 'per_unit',
  marginalAmountMicros(params, input) {
    return divideHalfEven(input.quantityNanos * params.unitPriceMicros, NANOS_PER_UNIT);
  },
};

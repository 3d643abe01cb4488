/**
 * `package`: a price per started block of `packageSize` units, after
 * `freeUnits` free units per period. With a size of 1,000, a price of 5,000
 * micros and 100 free units: 100 units cost 0, 101 units start the first block
 * (5,000), 1,100 units fill it exactly (5,000), 1,101 start the second (10,000).
 *
 * Streaming: an event's amount is total(after) − total(before), so the event
 * that starts a block pays the whole block and the events filling it pay 0.
 *
 * The block price may be finer than a micro ("0.5" micros per 1,000 tokens):
 * blocks × price is exact in nano-micros and rounded half-even once, on the
 * cumulative total.
 */
import { ParamReader } from './params.ts';
import { marginalByTotals, type ParseResult, type PriceModel } from './price-model.ts';
import { divideHalfEven } from './quantity.ts';
import { NANO_MICROS_PER_MICRO } from './unit-price.ts';

export interface PackageParams {
  /** Units per block, nano-units, > 0. */
  packageSizeNanos: bigint;
  /** Price of one started block, nano-micros. */
  packagePriceNanoMicros: bigint;
  /** Units free per period before blocks start, nano-units. */
  freeNanos: bigint;
}

function parseParams(json: unknown): ParseResult<PackageParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['packageSize', 'packagePriceMicros', 'freeUnits']);
  if (!record) return reader.invalid();
  const packageSizeNanos = reader.decimal9(record, '', 'packageSize', 'positive');
  const packagePriceNanoMicros = reader.decimal9(record, '', 'packagePriceMicros', 'non_negative');
  const freeNanos = reader.decimal9(record, '', 'freeUnits', 'non_negative', 0n);
  return reader.result(() => ({ packageSizeNanos: packageSizeNanos!, packagePriceNanoMicros: packagePriceNanoMicros!, freeNanos: freeNanos! }));
}

function totalAmountMicros(params: PackageParams, quantityNanos: bigint): bigint {
  const chargeableNanos = quantityNanos - params.freeNanos;
  if (chargeableNanos <= 0n) return 0n;
  const blocks = (chargeableNanos + params.packageSizeNanos - 1n) / params.packageSizeNanos;
  return divideHalfEven(blocks * params.packagePriceNanoMicros, NANO_MICROS_PER_MICRO);
}

export const packageModel: PriceModel<PackageParams> = {
  name: 'package',
  scope: 'period',
  parseParams,
  marginalAmountMicros: (params, input) => marginalByTotals(totalAmountMicros, params, input),
  totalAmountMicros,
};

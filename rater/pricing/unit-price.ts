/**
 * Unit prices finer than a micro. A token can cost $0.0000005 = 0.5 micros, so
 * unit prices are bigints of nano-micros (10^-9 micro, 10^-15 of the currency
 * unit), parsed exactly from decimal strings of micros with up to 9 decimals
 * ("0.5" → 500_000_000n). The same 9-decimal scale and parser as quantities,
 * so params are storable as Decimal(38, 9) / NUMERIC(38, 9) like quantities.
 *
 * quantity (nanos, 10^-9) × unit price (nano-micros, 10^-9 micro) is an exact
 * bigint of atto-micros (10^-18 micro). Models sum atto-micros exactly and round
 * to micros once, half-even, on a cumulative total.
 */
import { divideHalfEven, NANOS_PER_UNIT } from './quantity.ts';

export const NANO_MICROS_PER_MICRO = 1_000_000_000n;
export const ATTO_MICROS_PER_MICRO = NANOS_PER_UNIT * NANO_MICROS_PER_MICRO;

/** Rounds an exact atto-micro amount to micros, half to even. */
export function roundAttoMicros(amountAttoMicros: bigint): bigint {
  return divideHalfEven(amountAttoMicros, ATTO_MICROS_PER_MICRO);
}

/** Exact amount of a quantity at a unit price, atto-micros. */
export function amountAttoMicros(quantityNanos: bigint, unitPriceNanoMicros: bigint): bigint {
  return quantityNanos * unitPriceNanoMicros;
}

/**
 * Money helpers for invoices: currency minor units, half-even rounding to
 * them, and splitting an amount across lines in proportion without losing a
 * micro. All bigint micro-units.
 */
import { divideHalfEven } from '../rater/pricing/quantity.ts';

export { divideHalfEven };

/** ISO 4217 minor-unit exponents that differ from 2. */
const MINOR_UNIT_EXPONENTS: Readonly<Record<string, number>> = {
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
};

/** Micros in one minor unit of the currency: 10,000 for USD (cents), 1,000,000 for JPY, 1,000 for BHD. */
export function microsPerMinorUnit(currency: string): bigint {
  const exponent = MINOR_UNIT_EXPONENTS[currency.toUpperCase()] ?? 2;
  return 10n ** BigInt(6 - exponent);
}

export function minorUnitExponent(currency: string): number {
  return MINOR_UNIT_EXPONENTS[currency.toUpperCase()] ?? 2;
}

/** The amount rounded half-even to whole minor units of the currency (still in micros). */
export function roundToMinorUnits(amountMicros: bigint, currency: string): bigint {
  const unit = microsPerMinorUnit(currency);
  return divideHalfEven(amountMicros, unit) * unit;
}

/** amount × ppm / 1,000,000, half-even. */
export function applyPpm(amountMicros: bigint, ppm: number | bigint): bigint {
  return divideHalfEven(amountMicros * BigInt(ppm), 1_000_000n);
}

/**
 * Splits `totalMicros` across `weights` in proportion (largest remainder, ties
 * to the earlier weight), so the parts sum to the total exactly. Weights are
 * non-negative; all zero gives all zero parts (and then the total must be 0).
 */
export function allocateProportionally(totalMicros: bigint, weights: readonly bigint[]): bigint[] {
  const weightSum = weights.reduce((a, b) => a + b, 0n);
  if (weightSum === 0n) {
    if (totalMicros !== 0n) throw new RangeError('cannot allocate a non-zero amount over zero weights');
    return weights.map(() => 0n);
  }
  const negative = totalMicros < 0n;
  const total = negative ? -totalMicros : totalMicros;
  const parts = weights.map((w) => (total * w) / weightSum);
  const remainders = weights.map((w, i) => ({ i, r: (total * w) % weightSum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return negative ? parts.map((p) => -p) : parts;
}

/** `12.34` style text of an amount in the currency's minor units (for documents), half-even when not whole. */
export function formatMoney(amountMicros: bigint, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const rounded = roundToMinorUnits(amountMicros, currency);
  const negative = rounded < 0n;
  const abs = negative ? -rounded : rounded;
  const whole = abs / 1_000_000n;
  const fraction = ((abs % 1_000_000n) / 10n ** BigInt(6 - exponent)).toString().padStart(exponent, '0');
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${exponent > 0 ? `.${fraction}` : ''} ${currency.toUpperCase()}`;
}

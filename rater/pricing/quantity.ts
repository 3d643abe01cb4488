/**
 * Exact quantities. Event values arrive as JSON numbers; a quantity is kept
 * as a bigint of nano-units (9 decimal places), read from the number's shortest
 * decimal form, so 0.1 is exactly 100_000_000 nanos and never a binary fraction.
 */
export const QUANTITY_SCALE = 9;
export const NANOS_PER_UNIT = 1_000_000_000n;
/** ClickHouse stores quantities as Decimal(38, 9): 29 digits before the point. */
export const QUANTITY_INTEGER_DIGITS_MAX = 29;

export type QuantityResult = { ok: true; nanos: bigint } | { ok: false; reason: string };

/** Parses a decimal string or finite number into nano-units; refuses more than 9 decimals or 29 integer digits. */
export function toQuantityNanos(value: unknown): QuantityResult {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: `${value} is not a finite number` };
    text = Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? String(value) : value.toString();
  } else if (typeof value === 'string') {
    text = value.trim();
  } else if (typeof value === 'bigint') {
    return { ok: true, nanos: value * NANOS_PER_UNIT };
  } else {
    return { ok: false, reason: `expected a number, got ${value === null ? 'null' : typeof value}` };
  }
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return { ok: false, reason: `"${text.slice(0, 40)}" is not a decimal number` };
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  // value = significand × 10^-scale, with the significand's zeros stripped so
  // that the checks below see the number's real size and precision.
  const significandWithZeros = (whole! + fraction).replace(/^0+/, '');
  if (significandWithZeros === '') return { ok: true, nanos: 0n };
  if (exponentText.replace(/^[+-]?0*/, '').length > 4) return { ok: false, reason: `${text.slice(0, 40)} is out of range` };
  const significand = significandWithZeros.replace(/0+$/, '');
  const scale = fraction.length - Number(exponentText) - (significandWithZeros.length - significand.length);
  if (scale > QUANTITY_SCALE) return { ok: false, reason: `${text.slice(0, 40)} has more than ${QUANTITY_SCALE} decimal places` };
  if (significand.length - scale > QUANTITY_INTEGER_DIGITS_MAX) {
    return { ok: false, reason: `${text.slice(0, 40)} has more than ${QUANTITY_INTEGER_DIGITS_MAX} integer digits` };
  }
  const nanos = BigInt(significand) * 10n ** BigInt(QUANTITY_SCALE - scale);
  return { ok: true, nanos: sign === '-' ? -nanos : nanos };
}

/** Renders nano-units as a plain decimal string, e.g. 1500000000n → "1.5". */
export function formatQuantity(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const whole = abs / NANOS_PER_UNIT;
  const fraction = (abs % NANOS_PER_UNIT).toString().padStart(QUANTITY_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Integer division rounding half to even (banker's rounding), for money. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  let quotient = abs / denominator;
  const remainder = abs % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

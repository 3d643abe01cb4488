/**
 * Exact quantities. Event values arrive as JSON numbers; a quantity is kept
 * as a bigint of nano-units (9 decimal places), read from the number's shortest
 * decimal form, so 0.1 is exactly 100_000_000 nanos and never a binary fraction.
 */
export const QUANTITY_SCALE = 9;
export const NANOS_PER_UNIT = 1_000_000_000n;

export type QuantityResult = { ok: true; nanos: bigint } | { ok: false; reason: string };

/** Parses a decimal string or finite number into nano-units; refuses more than 9 decimals. */
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
  if (!match) return { ok: false, reason: `"${text}" is not a decimal number` };
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  let digits = whole! + fraction;
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  digits = digits.replace(/^0+(?=\d)/, '');
  const trimmed = digits.replace(/0+$/, '');
  const trailingZeros = digits.length - trimmed.length;
  const effectiveScale = scale - Math.min(trailingZeros, scale);
  if (effectiveScale > QUANTITY_SCALE) return { ok: false, reason: `${text} has more than ${QUANTITY_SCALE} decimal places` };
  const significant = scale > 0 ? digits.slice(0, digits.length - (scale - effectiveScale)) : digits;
  const nanos = BigInt(significant || '0') * 10n ** BigInt(QUANTITY_SCALE - effectiveScale);
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

import { describe, expect, it } from 'vitest';
import { divideHalfEven, formatQuantity, NANOS_PER_UNIT, toQuantityNanos } from './quantity.ts';

const UNIT = NANOS_PER_UNIT;

/** Renders a table input for a test name: strings quoted, bigints with n, -0 kept. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Object.is(value, -0)) return '-0';
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

describe('toQuantityNanos', () => {
  const accepted: { input: unknown; nanos: bigint; why: string }[] = [
    { input: 0, nanos: 0n, why: 'zero is a quantity like any other' },
    { input: -0, nanos: 0n, why: 'negative zero prints as "0", no sign survives' },
    { input: 1, nanos: UNIT, why: 'one unit is 10^9 nanos' },
    { input: 42, nanos: 42n * UNIT, why: 'integers scale by 10^9' },
    { input: '42', nanos: 42n * UNIT, why: 'a decimal string reads like the number' },
    { input: ' 12 ', nanos: 12n * UNIT, why: 'whitespace around a string is trimmed' },
    { input: '007', nanos: 7n * UNIT, why: 'leading zeros are not significant' },
    { input: 0.1, nanos: 100_000_000n, why: '0.1 is read from its shortest decimal form, not its binary fraction' },
    { input: '0.1', nanos: 100_000_000n, why: 'the string "0.1" is exactly a tenth' },
    { input: 0.3, nanos: 300_000_000n, why: 'no binary rounding error leaks into nanos' },
    { input: 1.5, nanos: 1_500_000_000n, why: 'fractions scale exactly' },
    { input: '1.10', nanos: 1_100_000_000n, why: 'a trailing zero in the fraction changes nothing' },
    { input: '1.000000001', nanos: UNIT + 1n, why: '9 decimals is the finest allowed' },
    { input: 0.000000001, nanos: 1n, why: 'one nano as a Number prints as 1e-9 and still reads' },
    { input: '1.50000000000', nanos: 1_500_000_000n, why: 'trailing zeros beyond 9 decimals are not significant' },
    { input: '1e3', nanos: 1_000n * UNIT, why: 'a positive exponent shifts the digits left' },
    { input: '1E3', nanos: 1_000n * UNIT, why: 'the exponent marker is case-insensitive' },
    { input: '1e+3', nanos: 1_000n * UNIT, why: 'an explicit + on the exponent is allowed' },
    { input: 1e3, nanos: 1_000n * UNIT, why: 'a Number written 1e3 is just 1000' },
    { input: '1.5e-3', nanos: 1_500_000n, why: 'a negative exponent shifts the digits right' },
    { input: 1.5e-3, nanos: 1_500_000n, why: 'Number 1.5e-3 prints as 0.0015' },
    { input: 1e-7, nanos: 100n, why: 'Number 1e-7 prints in exponent form and still reads' },
    { input: '100e-2', nanos: UNIT, why: 'an exponent can cancel trailing zeros of the integer part' },
    { input: '1000e-2', nanos: 10n * UNIT, why: 'only as many trailing zeros as the exponent needs are dropped' },
    { input: '0.0000000001e1', nanos: 1n, why: 'ten written decimals shifted back by the exponent are nine' },
    { input: 1e21, nanos: 10n ** 30n, why: 'Number 1e21 prints as 1e+21 and is read exactly' },
    { input: -3, nanos: -3n * UNIT, why: 'negative integers keep their sign (corrections)' },
    { input: '-2.5', nanos: -2_500_000_000n, why: 'negative fractions keep their sign' },
    { input: -0.0015, nanos: -1_500_000n, why: 'small negative Numbers keep their sign' },
    { input: '-1.5e-3', nanos: -1_500_000n, why: 'sign and exponent combine' },
    { input: '9007199254740993', nanos: 9_007_199_254_740_993n * UNIT, why: '2^53+1 as a string keeps its last digit (a Number would round it)' },
    { input: '12345678901234567890123456789', nanos: 12_345_678_901_234_567_890_123_456_789n * UNIT, why: 'string integers up to the 29 integer digits of Decimal(38, 9) are exact' },
    { input: '123456789012345678901.123456789', nanos: 123_456_789_012_345_678_901_123_456_789n, why: 'huge integer part and 9 decimals together stay exact' },
    { input: 2n ** 64n, nanos: 2n ** 64n * UNIT, why: 'a bigint is a whole number of units' },
  ];

  for (const { input, nanos, why } of accepted) {
    it(`reads ${show(input)} as ${nanos} nanos: ${why}`, () => {
      expect(toQuantityNanos(input)).toEqual({ ok: true, nanos });
    });
  }

  const refused: { input: unknown; reason: RegExp; why: string }[] = [
    { input: '123456789012345678901234567890', reason: /more than 29 integer digits/, why: 'Decimal(38, 9) holds 29 digits before the point; more cannot be stored exactly' },
    { input: '1e29', reason: /more than 29 integer digits/, why: 'the exponent counts towards the integer digits' },
    { input: '0.0000000001', reason: /more than 9 decimal places/, why: '10 significant decimals is finer than a nano' },
    { input: 1e-10, reason: /more than 9 decimal places/, why: 'a Number finer than a nano is refused, not rounded' },
    { input: '1.5e-9', reason: /more than 9 decimal places/, why: 'the exponent counts towards the decimals' },
    { input: '-1.0000000001', reason: /more than 9 decimal places/, why: 'negative values are held to the same precision' },
    { input: Number.NaN, reason: /not a finite number/, why: 'NaN is not a quantity' },
    { input: Number.POSITIVE_INFINITY, reason: /not a finite number/, why: 'Infinity is not a quantity' },
    { input: Number.NEGATIVE_INFINITY, reason: /not a finite number/, why: '-Infinity is not a quantity' },
    { input: 'abc', reason: /not a decimal number/, why: 'words are not numbers' },
    { input: '', reason: /not a decimal number/, why: 'an empty string is not zero' },
    { input: '   ', reason: /not a decimal number/, why: 'a blank string is not zero' },
    { input: '+1', reason: /not a decimal number/, why: 'a leading + is not decimal-number syntax here' },
    { input: '.5', reason: /not a decimal number/, why: 'the integer part is required' },
    { input: '5.', reason: /not a decimal number/, why: 'a dot needs digits after it' },
    { input: '1,5', reason: /not a decimal number/, why: 'a decimal comma is not accepted' },
    { input: '0x10', reason: /not a decimal number/, why: 'hexadecimal is not decimal' },
    { input: '1e', reason: /not a decimal number/, why: 'an exponent marker needs digits' },
    { input: '1 000', reason: /not a decimal number/, why: 'digit grouping is not accepted' },
    { input: 'NaN', reason: /not a decimal number/, why: 'the string NaN is not a number either' },
    { input: null, reason: /expected a number, got null/, why: 'null is named as null, not object' },
    { input: undefined, reason: /expected a number, got undefined/, why: 'a missing property is not zero' },
    { input: true, reason: /expected a number, got boolean/, why: 'booleans are not counts' },
    { input: { n: 1 }, reason: /expected a number, got object/, why: 'objects are not numbers' },
    { input: [1], reason: /expected a number, got object/, why: 'arrays are not numbers' },
  ];

  for (const { input, reason, why } of refused) {
    it(`refuses ${show(input)}: ${why}`, () => {
      const result = toQuantityNanos(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    });
  }

  // BUG: zero written with more than 10 decimal zeros is refused although
  // "1.00000000000" (the same decimals after a 1) is accepted: the leading-zero
  // strip turns "000000000000" into "0", so only one trailing zero is discounted
  // from the scale. The value is exactly 0, which fits in nanos.
  it('accepts zero written with eleven decimal zeros, as it accepts 1.00000000000', () => {
    expect(toQuantityNanos('0.00000000000')).toEqual({ ok: true, nanos: 0n });
  });

  it('accepts 0e-20, which is exactly zero', () => {
    expect(toQuantityNanos('0e-20')).toEqual({ ok: true, nanos: 0n });
  });

  // BUG: a string with a huge positive exponent makes the parser build a string
  // of that many zeros: "1e1000000000" throws RangeError (Invalid string length)
  // instead of returning { ok: false }. Event data is user input, so one event
  // with such a value throws out of rateEvents for its whole batch.
  it('refuses a string with an absurd exponent instead of throwing', () => {
    expect(toQuantityNanos('1e1000000000').ok).toBe(false);
  });
});

describe('formatQuantity', () => {
  const rows: { nanos: bigint; text: string; why: string }[] = [
    { nanos: 0n, text: '0', why: 'zero has no fraction and no sign' },
    { nanos: UNIT, text: '1', why: 'whole units print without a dot' },
    { nanos: 1_500_000_000n, text: '1.5', why: 'trailing fraction zeros are dropped' },
    { nanos: 100_000_000n, text: '0.1', why: 'a tenth keeps its leading zero' },
    { nanos: 1n, text: '0.000000001', why: 'one nano pads the fraction to 9 places' },
    { nanos: 123_456_789_012n, text: '123.456789012', why: 'all 9 decimals print when significant' },
    { nanos: -1_500_000n, text: '-0.0015', why: 'the sign goes before a zero integer part' },
    { nanos: -1n, text: '-0.000000001', why: 'the smallest negative keeps its sign' },
    { nanos: -42n * UNIT, text: '-42', why: 'negative whole units' },
    { nanos: 10n ** 30n, text: '1000000000000000000000', why: 'huge values never switch to exponent form' },
    { nanos: 9_007_199_254_740_993n * UNIT + 5n, text: '9007199254740993.000000005', why: 'beyond 2^53 every digit is kept' },
  ];

  for (const { nanos, text, why } of rows) {
    it(`prints ${nanos} nanos as "${text}": ${why}`, () => {
      expect(formatQuantity(nanos)).toBe(text);
    });
    it(`reads "${text}" back to ${nanos} nanos (round trip)`, () => {
      expect(toQuantityNanos(text)).toEqual({ ok: true, nanos });
    });
  }

  it('round-trips pseudo-random nano amounts of every magnitude and sign', () => {
    let seed = 0x2545f491n;
    const next = (): bigint => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n);
    for (let i = 0; i < 2_000; i++) {
      const magnitude = next() % 10n ** BigInt(1 + i % 30);
      const nanos = i % 2 === 0 ? magnitude : -magnitude;
      expect(toQuantityNanos(formatQuantity(nanos))).toEqual({ ok: true, nanos });
    }
  });
});

describe('divideHalfEven', () => {
  const rows: { numerator: bigint; denominator: bigint; quotient: bigint; why: string }[] = [
    { numerator: 1n, denominator: 2n, quotient: 0n, why: '0.5 ties to the even 0' },
    { numerator: 3n, denominator: 2n, quotient: 2n, why: '1.5 ties to the even 2' },
    { numerator: 5n, denominator: 2n, quotient: 2n, why: '2.5 ties down to the even 2' },
    { numerator: 7n, denominator: 2n, quotient: 4n, why: '3.5 ties up to the even 4' },
    { numerator: -1n, denominator: 2n, quotient: 0n, why: '-0.5 ties to the even 0' },
    { numerator: -3n, denominator: 2n, quotient: -2n, why: '-1.5 ties to the even -2' },
    { numerator: -5n, denominator: 2n, quotient: -2n, why: '-2.5 ties to the even -2 (symmetric, not floor)' },
    { numerator: -7n, denominator: 2n, quotient: -4n, why: '-3.5 ties to the even -4' },
    { numerator: 2_500_000_000n, denominator: UNIT, quotient: 2n, why: 'ties at the nano scale round to even too' },
    { numerator: 2_500_000_001n, denominator: UNIT, quotient: 3n, why: 'one nano past the tie rounds up' },
    { numerator: 2_499_999_999n, denominator: UNIT, quotient: 2n, why: 'one nano before the tie rounds down' },
    { numerator: 7n, denominator: 3n, quotient: 2n, why: '2.33 is below half and rounds down' },
    { numerator: 8n, denominator: 3n, quotient: 3n, why: '2.67 is above half and rounds up' },
    { numerator: -7n, denominator: 3n, quotient: -2n, why: '-2.33 rounds towards zero' },
    { numerator: -8n, denominator: 3n, quotient: -3n, why: '-2.67 rounds away from zero' },
    { numerator: 10n, denominator: 5n, quotient: 2n, why: 'exact division is untouched' },
    { numerator: -10n, denominator: 5n, quotient: -2n, why: 'exact negative division is untouched' },
    { numerator: 0n, denominator: 7n, quotient: 0n, why: 'zero divides to zero' },
    { numerator: 7n, denominator: 1n, quotient: 7n, why: 'dividing by one is the identity' },
    { numerator: 10n ** 40n + 5n * 10n ** 20n, denominator: 10n ** 21n, quotient: 10n ** 19n, why: 'huge ties round to even without precision loss' },
  ];

  for (const { numerator, denominator, quotient, why } of rows) {
    it(`divides ${numerator} by ${denominator} to ${quotient}: ${why}`, () => {
      expect(divideHalfEven(numerator, denominator)).toBe(quotient);
    });
  }

  const badDenominators: { denominator: bigint; why: string }[] = [
    { denominator: 0n, why: 'division by zero has no answer' },
    { denominator: -1n, why: 'a negative denominator is refused rather than flipping the sign silently' },
    { denominator: -2n, why: 'any negative denominator is refused' },
  ];
  for (const { denominator, why } of badDenominators) {
    it(`throws RangeError for denominator ${denominator}: ${why}`, () => {
      expect(() => divideHalfEven(5n, denominator)).toThrow(RangeError);
      expect(() => divideHalfEven(0n, denominator)).toThrow('denominator must be positive');
    });
  }
});

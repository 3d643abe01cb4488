/** per_unit's params and scope; its pricing table lives unchanged in per-unit.test.ts. */
import { describe, expect, it } from 'vitest';
import { perUnit } from './per-unit.ts';
import { NANOS_PER_UNIT } from './quantity.ts';
import { errorsOf, show } from './test-support.ts';

describe('perUnit.parseParams', () => {
  const accepted: { json: unknown; unitPriceMicros: bigint; why: string }[] = [
    { json: { unitPriceMicros: '2500' }, unitPriceMicros: 2_500n, why: 'a decimal string of whole micros' },
    { json: { unitPriceMicros: 2500 }, unitPriceMicros: 2_500n, why: 'a safe JSON integer' },
    { json: { unitPriceMicros: '0' }, unitPriceMicros: 0n, why: 'a free meter' },
    { json: { unitPriceMicros: '2500.000' }, unitPriceMicros: 2_500n, why: 'zero decimals are still whole micros' },
    { json: { unitPriceMicros: '9223372036854775807' }, unitPriceMicros: 2n ** 63n - 1n, why: 'the largest Int64 as a string is exact' },
  ];
  for (const { json, unitPriceMicros, why } of accepted) {
    it(`accepts ${show(json)}: ${why}`, () => {
      expect(perUnit.parseParams(json)).toEqual({ ok: true, params: { unitPriceMicros } });
    });
  }

  const refused: { json: unknown; errors: string[]; why: string }[] = [
    { json: { unitPriceMicros: '0.5' }, errors: ['unitPriceMicros:TG_PRICE_NOT_WHOLE_MICROS'], why: 'per-event rounding would charge 0.5-micro events nothing: use graduated' },
    { json: { unitPriceMicros: '-1' }, errors: ['unitPriceMicros:TG_PRICE_NEGATIVE'], why: 'no negative prices' },
    { json: { unitPriceMicros: 9007199254740993 }, errors: ['unitPriceMicros:TG_PRICE_NUMBER_UNSAFE'], why: 'JSON.parse already rounded this number' },
    { json: { unitPriceMicros: '9223372036854775808' }, errors: ['unitPriceMicros:TG_PRICE_OUT_OF_RANGE'], why: 'beyond Int64 micros' },
    { json: { unitPriceMicros: null }, errors: ['unitPriceMicros:TG_PRICE_FIELD_TYPE'], why: 'null is not a price' },
    { json: {}, errors: ['unitPriceMicros:TG_PRICE_FIELD_MISSING'], why: 'the price is required' },
    { json: { unitPriceMicros: '1', currency: 'USD' }, errors: ['currency:TG_PRICE_FIELD_UNKNOWN'], why: 'unknown fields are reported' },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json)}: ${why}`, () => {
      expect(errorsOf(perUnit.parseParams(json))).toEqual(errors);
    });
  }

  it('points sub-micro prices at graduated in its message', () => {
    const result = perUnit.parseParams({ unitPriceMicros: '0.5' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/use graduated with one open-ended tier/);
  });
});

describe('perUnit scope and totals', () => {
  it('is priced per event', () => {
    expect(perUnit.scope).toBe('event');
  });

  it('prices a quantity at once with the same rounding as one event', () => {
    for (const quantityNanos of [0n, 1n, 500_000_000n, 2_500_000_000n, 10n ** 30n]) {
      expect(perUnit.totalAmountMicros({ unitPriceMicros: 3n }, quantityNanos))
        .toBe(perUnit.marginalAmountMicros({ unitPriceMicros: 3n }, { quantityBeforeNanos: 0n, quantityNanos }));
    }
  });

  it('differs from a once-priced total by per-event rounding (the documented trade-off)', () => {
    const half = { quantityBeforeNanos: 0n, quantityNanos: NANOS_PER_UNIT / 2n };
    const twoEvents = 2n * perUnit.marginalAmountMicros({ unitPriceMicros: 1n }, half);
    expect(twoEvents).toBe(0n);
    expect(perUnit.totalAmountMicros({ unitPriceMicros: 1n }, NANOS_PER_UNIT)).toBe(1n);
  });
});

import { describe, expect, it } from 'vitest';
import { percentage, type PercentageParams } from './percentage.ts';
import { NANOS_PER_UNIT } from './quantity.ts';
import { errorsOf, mustParse, show, units } from './test-support.ts';

const UNIT = NANOS_PER_UNIT;

/** A card fee: 2.9% + 30¢, at least 50¢, at most $10; values in whole dollars. */
const CARD = mustParse(percentage, { ratePercent: '2.9', fixedFeeMicros: '300000', minAmountMicros: '500000', maxAmountMicros: '10000000' });
/** One basis point, nothing else: shows the rounding. */
const ONE_BP = mustParse(percentage, { rateBasisPoints: '1' });
/** 100% with no limits: huge values. */
const ALL = mustParse(percentage, { ratePercent: '100' });
/** 2.9% of a value sent in cents. */
const CENTS = mustParse(percentage, { ratePercent: '2.9', valueUnitMicros: '10000' });
/** 12.5 basis points: a fractional rate. */
const FRACTIONAL_BP = mustParse(percentage, { rateBasisPoints: '12.5' });

describe('percentage.totalAmountMicros (one transaction)', () => {
  const rows: { params: PercentageParams; label: string; value: string; amountMicros: bigint; why: string }[] = [
    { params: CARD, label: 'card', value: '10', amountMicros: 590_000n, why: '2.9% of $10 is 290,000 plus the 300,000 fee' },
    { params: CARD, label: 'card', value: '0', amountMicros: 500_000n, why: 'a zero-value transaction pays the fee, raised to the minimum' },
    { params: CARD, label: 'card', value: '5', amountMicros: 500_000n, why: '445,000 is below the minimum' },
    { params: CARD, label: 'card', value: '6.9', amountMicros: 500_100n, why: '200,100 + 300,000 is just above the minimum' },
    { params: CARD, label: 'card', value: '334.48', amountMicros: 9_999_920n, why: '9,699,920 + 300,000 is just below the maximum' },
    { params: CARD, label: 'card', value: '1000', amountMicros: 10_000_000n, why: '29,300,000 is capped at the maximum' },
    { params: CARD, label: 'card', value: '1000000000000000000000', amountMicros: 10_000_000n, why: 'a huge value is still capped' },
    { params: ONE_BP, label: '1 bp', value: '0.005', amountMicros: 0n, why: '1 bp of 5,000 micros is 0.5, tied to the even 0' },
    { params: ONE_BP, label: '1 bp', value: '0.015', amountMicros: 2n, why: '1.5 ties to the even 2' },
    { params: ONE_BP, label: '1 bp', value: '0.016', amountMicros: 2n, why: '1.6 rounds up' },
    { params: ONE_BP, label: '1 bp', value: '0', amountMicros: 0n, why: 'no fee and no minimum: a zero value is free' },
    { params: FRACTIONAL_BP, label: '12.5 bp', value: '100', amountMicros: 125_000n, why: '0.125% of $100' },
    { params: CENTS, label: 'cents', value: '1234', amountMicros: 357_860n, why: '2.9% of 1,234 cents ($12.34)' },
    { params: ALL, label: '100%', value: '100000000000000000000', amountMicros: 10n ** 26n, why: '10^20 dollars at 100%, no maximum, exact in bigint' },
    { params: ALL, label: '100%', value: '0.000000001', amountMicros: 0n, why: 'a nano of a dollar is a thousandth of a micro' },
  ];
  for (const { params, label, value, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros on a value of ${value} (${label}): ${why}`, () => {
      expect(percentage.totalAmountMicros(params, units(value))).toBe(amountMicros);
    });
  }
});

describe('percentage.marginalAmountMicros', () => {
  it('prices each event on its own: the running quantity changes nothing', () => {
    for (const quantityBeforeNanos of [0n, UNIT, units('1000000'), 10n ** 30n]) {
      expect(percentage.marginalAmountMicros(CARD, { quantityBeforeNanos, quantityNanos: units('10') })).toBe(590_000n);
    }
  });

  it('applies the fee, minimum and maximum per event, not per period', () => {
    // Three $5 payments pay the minimum each; one $15 payment would pay 735,000.
    const perEvent = [0n, 5n, 10n].map((before) => percentage.marginalAmountMicros(CARD, { quantityBeforeNanos: before * UNIT, quantityNanos: 5n * UNIT }));
    expect(perEvent).toEqual([500_000n, 500_000n, 500_000n]);
    expect(percentage.totalAmountMicros(CARD, 15n * UNIT)).toBe(735_000n);
  });

  it('is named percentage and priced per transaction', () => {
    expect(percentage.name).toBe('percentage');
    expect(percentage.scope).toBe('transaction');
  });
});

describe('percentage.parseParams', () => {
  const accepted: { json: unknown; params: PercentageParams; why: string }[] = [
    {
      json: { rateBasisPoints: '250' },
      params: { rateNanoBasisPoints: 250n * UNIT, fixedFeeMicros: 0n, minAmountMicros: null, maxAmountMicros: null, valueUnitMicros: 1_000_000n },
      why: 'a rate alone: no fee, no limits, values in whole currency units',
    },
    {
      json: { ratePercent: '2.5', fixedFeeMicros: 300000, minAmountMicros: '0', maxAmountMicros: null, valueUnitMicros: '1' },
      params: { rateNanoBasisPoints: 250n * UNIT, fixedFeeMicros: 300_000n, minAmountMicros: 0n, maxAmountMicros: null, valueUnitMicros: 1n },
      why: '2.5% is 250 bp; null is no maximum; values in micros',
    },
    {
      json: { ratePercent: '0.000000001' },
      params: { rateNanoBasisPoints: 100n, fixedFeeMicros: 0n, minAmountMicros: null, maxAmountMicros: null, valueUnitMicros: 1_000_000n },
      why: 'the finest percent is 100 nano-bp, exact',
    },
    {
      json: { ratePercent: '100', minAmountMicros: '5', maxAmountMicros: '5' },
      params: { rateNanoBasisPoints: 10_000n * UNIT, fixedFeeMicros: 0n, minAmountMicros: 5n, maxAmountMicros: 5n, valueUnitMicros: 1_000_000n },
      why: '100% is the highest rate; min = max is a fixed price per event',
    },
  ];
  for (const { json, params, why } of accepted) {
    it(`accepts ${show(json)}: ${why}`, () => {
      expect(percentage.parseParams(json)).toEqual({ ok: true, params });
    });
  }

  const refused: { json: unknown; errors: string[]; why: string }[] = [
    { json: {}, errors: ['rateBasisPoints:TG_PRICE_RATE_CONFLICT'], why: 'a rate is required' },
    { json: { rateBasisPoints: '1', ratePercent: '1' }, errors: ['ratePercent:TG_PRICE_RATE_CONFLICT'], why: 'two rates would be ambiguous' },
    { json: { ratePercent: '100.000000001' }, errors: ['ratePercent:TG_PRICE_OUT_OF_RANGE'], why: 'more than 100% is refused' },
    { json: { rateBasisPoints: '10001' }, errors: ['rateBasisPoints:TG_PRICE_OUT_OF_RANGE'], why: 'more than 10,000 bp is refused' },
    { json: { ratePercent: '-1' }, errors: ['ratePercent:TG_PRICE_NEGATIVE'], why: 'no negative rates' },
    { json: { ratePercent: 0.5e-9 }, errors: ['ratePercent:TG_PRICE_NUMBER_INVALID'], why: 'finer than 9 decimals is refused, not rounded' },
    { json: { ratePercent: '1', minAmountMicros: '10', maxAmountMicros: '9' }, errors: ['minAmountMicros:TG_PRICE_MIN_ABOVE_MAX'], why: 'min must not exceed max' },
    { json: { ratePercent: '1', fixedFeeMicros: '-1' }, errors: ['fixedFeeMicros:TG_PRICE_NEGATIVE'], why: 'no negative fees' },
    { json: { ratePercent: '1', minAmountMicros: '-1' }, errors: ['minAmountMicros:TG_PRICE_NEGATIVE'], why: 'no negative minimum' },
    { json: { ratePercent: '1', maxAmountMicros: '0.5' }, errors: ['maxAmountMicros:TG_PRICE_NOT_WHOLE_MICROS'], why: 'limits are amounts: whole micros' },
    { json: { ratePercent: '1', fixedFeeMicros: '9223372036854775808' }, errors: ['fixedFeeMicros:TG_PRICE_OUT_OF_RANGE'], why: 'amounts must fit Int64 micros' },
    { json: { ratePercent: '1', valueUnitMicros: '0' }, errors: ['valueUnitMicros:TG_PRICE_NOT_POSITIVE'], why: 'a value unit of zero micros would price nothing' },
    { json: { ratePercent: '1', valueUnitMicros: '0.5' }, errors: ['valueUnitMicros:TG_PRICE_NOT_WHOLE_MICROS'], why: 'the value unit is a whole number of micros' },
    { json: { rate: '1' }, errors: ['rate:TG_PRICE_FIELD_UNKNOWN', 'rateBasisPoints:TG_PRICE_RATE_CONFLICT'], why: 'an ambiguous "rate" is unknown, and no rate was given' },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json)}: ${why}`, () => {
      expect(errorsOf(percentage.parseParams(json))).toEqual(errors);
    });
  }
});

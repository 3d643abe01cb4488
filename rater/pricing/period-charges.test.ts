import { describe, expect, it } from 'vitest';
import { flatFee, type FlatFeeParams } from './flat-fee.ts';
import { minimumCommitment, type MinimumCommitmentParams } from './minimum-commitment.ts';
import { dayNumber, prorateMicros, spanDays, type PeriodSpan } from './period.ts';
import { errorsOf, mustParse, show } from './test-support.ts';

const NOVEMBER: PeriodSpan = { periodStart: '2026-11-01', periodEnd: '2026-12-01' };

describe('spanDays', () => {
  const rows: { span: PeriodSpan; periodDays: number; activeDays: number; why: string }[] = [
    { span: NOVEMBER, periodDays: 30, activeDays: 30, why: 'a whole month, end exclusive' },
    { span: { ...NOVEMBER, activeFrom: '2026-11-21' }, periodDays: 30, activeDays: 10, why: 'started on the 21st: the 21st to the 30th' },
    { span: { ...NOVEMBER, activeUntil: '2026-11-16' }, periodDays: 30, activeDays: 15, why: 'ended before the 16th: the 1st to the 15th' },
    { span: { ...NOVEMBER, activeFrom: '2026-11-10', activeUntil: '2026-11-11' }, periodDays: 30, activeDays: 1, why: 'one day' },
    { span: { ...NOVEMBER, activeFrom: '2026-10-01', activeUntil: '2027-01-01' }, periodDays: 30, activeDays: 30, why: 'a subscription wider than the period is clipped to it' },
    { span: { ...NOVEMBER, activeFrom: '2026-12-01' }, periodDays: 30, activeDays: 0, why: 'starting at the period end is not active in it' },
    { span: { ...NOVEMBER, activeUntil: '2026-11-01' }, periodDays: 30, activeDays: 0, why: 'ending at the period start is not active in it' },
    { span: { ...NOVEMBER, activeFrom: '2026-11-20', activeUntil: '2026-11-10' }, periodDays: 30, activeDays: 0, why: 'an inverted subscription is active no day' },
    { span: { periodStart: '2028-02-01', periodEnd: '2028-03-01' }, periodDays: 29, activeDays: 29, why: 'February of a leap year' },
    { span: { periodStart: '2026-03-01', periodEnd: '2026-04-01' }, periodDays: 31, activeDays: 31, why: 'a UTC day count: no daylight-saving hour leaks in' },
    { span: { periodStart: '2026-01-01', periodEnd: '2027-01-01' }, periodDays: 365, activeDays: 365, why: 'a yearly period' },
  ];
  for (const { span, periodDays, activeDays, why } of rows) {
    it(`counts ${activeDays} of ${periodDays} days for ${show(span)}: ${why}`, () => {
      expect(spanDays(span)).toEqual({ periodDays, activeDays });
    });
  }

  const bad: { span: PeriodSpan; message: RegExp; why: string }[] = [
    { span: { periodStart: '2026-02-30', periodEnd: '2026-03-01' }, message: /not a YYYY-MM-DD calendar date/, why: 'February 30th does not exist' },
    { span: { periodStart: '2026-11-01T00:00:00Z', periodEnd: '2026-12-01' }, message: /not a YYYY-MM-DD/, why: 'timestamps are not calendar dates' },
    { span: { periodStart: '2026-11-01', periodEnd: '2026-11-01' }, message: /is empty/, why: 'a period of no days cannot prorate' },
    { span: { ...NOVEMBER, activeFrom: '2026-13-01' }, message: /not a YYYY-MM-DD/, why: 'month 13 does not exist' },
  ];
  for (const { span, message, why } of bad) {
    it(`throws RangeError for ${show(span)}: ${why}`, () => {
      expect(() => spanDays(span)).toThrow(RangeError);
      expect(() => spanDays(span)).toThrow(message);
    });
  }

  it('numbers days from 1970-01-01', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1970-01-02')).toBe(1);
  });
});

describe('prorateMicros', () => {
  const rows: { amountMicros: bigint; activeDays: number; periodDays: number; proratedMicros: bigint; why: string }[] = [
    { amountMicros: 30_000_000n, activeDays: 10, periodDays: 30, proratedMicros: 10_000_000n, why: 'a third of the month' },
    { amountMicros: 1n, activeDays: 15, periodDays: 30, proratedMicros: 0n, why: '0.5 micros ties to the even 0' },
    { amountMicros: 3n, activeDays: 15, periodDays: 30, proratedMicros: 2n, why: '1.5 micros ties to the even 2' },
    { amountMicros: 10_000_000n, activeDays: 1, periodDays: 31, proratedMicros: 322_581n, why: '322,580.6 rounds up' },
    { amountMicros: 10_000_000n, activeDays: 0, periodDays: 31, proratedMicros: 0n, why: 'no active day, no fee' },
    { amountMicros: 2n ** 63n - 1n, activeDays: 30, periodDays: 30, proratedMicros: 2n ** 63n - 1n, why: 'the whole period is the whole amount, exactly' },
  ];
  for (const { amountMicros, activeDays, periodDays, proratedMicros, why } of rows) {
    it(`prorates ${amountMicros} micros for ${activeDays}/${periodDays} days to ${proratedMicros}: ${why}`, () => {
      expect(prorateMicros(amountMicros, activeDays, periodDays)).toBe(proratedMicros);
    });
  }

  it('refuses more active days than the period has', () => {
    expect(() => prorateMicros(1n, 31, 30)).toThrow(RangeError);
  });
});

describe('flatFee.amountMicros', () => {
  const PRORATED = mustParse(flatFee, { amountMicros: '30000000' });
  const WHOLE = mustParse(flatFee, { amountMicros: '30000000', prorate: false });
  const rows: { params: FlatFeeParams; span: PeriodSpan; amountMicros: bigint; why: string }[] = [
    { params: PRORATED, span: NOVEMBER, amountMicros: 30_000_000n, why: 'a full period pays the full fee' },
    { params: PRORATED, span: { ...NOVEMBER, activeFrom: '2026-11-21' }, amountMicros: 10_000_000n, why: '10 of 30 days' },
    { params: PRORATED, span: { ...NOVEMBER, activeFrom: '2026-12-05' }, amountMicros: 0n, why: 'not active in the period' },
    { params: WHOLE, span: { ...NOVEMBER, activeFrom: '2026-11-30' }, amountMicros: 30_000_000n, why: 'prorate false: one day pays the full fee' },
    { params: WHOLE, span: { ...NOVEMBER, activeUntil: '2026-11-01' }, amountMicros: 0n, why: 'prorate false still charges nothing for no active day' },
  ];
  for (const { params, span, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${show(span)} (prorate ${params.prorate}): ${why}`, () => {
      expect(flatFee.amountMicros(params, { span, usageAmountMicros: 0n })).toBe(amountMicros);
    });
  }
});

describe('minimumCommitment.amountMicros', () => {
  const PRORATED = mustParse(minimumCommitment, { commitmentMicros: '100000000' });
  const WHOLE = mustParse(minimumCommitment, { commitmentMicros: '100000000', prorate: false });
  const rows: { params: MinimumCommitmentParams; span: PeriodSpan; usageAmountMicros: bigint; topUpMicros: bigint; why: string }[] = [
    { params: PRORATED, span: NOVEMBER, usageAmountMicros: 30_000_000n, topUpMicros: 70_000_000n, why: 'usage below the commitment is topped up' },
    { params: PRORATED, span: NOVEMBER, usageAmountMicros: 100_000_000n, topUpMicros: 0n, why: 'usage equal to the commitment needs no top-up' },
    { params: PRORATED, span: NOVEMBER, usageAmountMicros: 150_000_000n, topUpMicros: 0n, why: 'usage above it is never credited back' },
    { params: PRORATED, span: NOVEMBER, usageAmountMicros: 0n, topUpMicros: 100_000_000n, why: 'no usage pays the whole commitment' },
    { params: PRORATED, span: NOVEMBER, usageAmountMicros: -5_000_000n, topUpMicros: 105_000_000n, why: 'net credits (volume re-pricing, corrections) lower the usage amount' },
    { params: PRORATED, span: { ...NOVEMBER, activeUntil: '2026-11-16' }, usageAmountMicros: 30_000_000n, topUpMicros: 20_000_000n, why: 'half the month commits to half: 50,000,000 − 30,000,000' },
    { params: WHOLE, span: { ...NOVEMBER, activeUntil: '2026-11-16' }, usageAmountMicros: 30_000_000n, topUpMicros: 70_000_000n, why: 'prorate false commits to the whole amount' },
    { params: PRORATED, span: { ...NOVEMBER, activeFrom: '2026-12-01' }, usageAmountMicros: 0n, topUpMicros: 0n, why: 'no active day, no commitment' },
  ];
  for (const { params, span, usageAmountMicros, topUpMicros, why } of rows) {
    it(`tops up ${topUpMicros} micros after ${usageAmountMicros} of usage for ${show(span)}: ${why}`, () => {
      expect(minimumCommitment.amountMicros(params, { span, usageAmountMicros })).toBe(topUpMicros);
    });
  }
});

describe('period charge params', () => {
  const rows: { charge: typeof flatFee | typeof minimumCommitment; json: unknown; errors: string[]; why: string }[] = [
    { charge: flatFee, json: {}, errors: ['amountMicros:TG_PRICE_FIELD_MISSING'], why: 'the fee is required' },
    { charge: flatFee, json: { amountMicros: '-1' }, errors: ['amountMicros:TG_PRICE_NEGATIVE'], why: 'no negative fees' },
    { charge: flatFee, json: { amountMicros: '1.5' }, errors: ['amountMicros:TG_PRICE_NOT_WHOLE_MICROS'], why: 'a fee is whole micros' },
    { charge: flatFee, json: { amountMicros: '1', prorate: 'yes' }, errors: ['prorate:TG_PRICE_FIELD_TYPE'], why: 'prorate is a boolean' },
    { charge: minimumCommitment, json: { commitmentMicros: '1', min: 1 }, errors: ['min:TG_PRICE_FIELD_UNKNOWN'], why: 'unknown fields are reported' },
    { charge: minimumCommitment, json: [], errors: [':TG_PRICE_NOT_OBJECT'], why: 'params must be an object' },
  ];
  for (const { charge, json, errors, why } of rows) {
    it(`${charge.name} refuses ${show(json)}: ${why}`, () => {
      expect(errorsOf(charge.parseParams(json))).toEqual(errors);
    });
  }

  it('defaults prorate to true', () => {
    expect(mustParse(flatFee, { amountMicros: '1' })).toEqual({ amountMicros: 1n, prorate: true });
    expect(mustParse(minimumCommitment, { commitmentMicros: 2 })).toEqual({ commitmentMicros: 2n, prorate: true });
  });
});

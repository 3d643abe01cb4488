import { describe, expect, it } from 'vitest';
import { parsePeriodCharge, type BoundPeriodCharge } from '../rater/pricing/index.ts';
import {
  computeInvoice, couponCoversPeriod, periodSpan, previousPeriod, type DiscountRule, type InvoiceComputationInput, type TaxRule, type UsageCharge,
} from './compute.ts';
import { allocateProportionally, formatMoney, roundToMinorUnits } from './money.ts';

function periodCharge(json: unknown): BoundPeriodCharge {
  const parsed = parsePeriodCharge(json);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.params;
}

const usage = (amountMicros: bigint, productCategory = 'usage', kind: UsageCharge['kind'] = 'usage', servicePeriod = '2026-11'): UsageCharge => ({
  kind, description: 'API calls', productCategory, servicePeriod, quantity: '1', amountMicros, cause: { meter: 'api' },
});
const VAT: TaxRule = { rateId: 'vat', label: 'VAT 20%', ratePpm: 200_000 };
const REDUCED: TaxRule = { rateId: 'reduced', label: 'VAT 5%', ratePpm: 50_000 };

function input(over: Partial<InvoiceComputationInput>): InvoiceComputationInput {
  return {
    currency: 'USD', period: '2026-11', span: { periodStart: '2026-11-01', periodEnd: '2026-12-01' }, customerType: 'standard',
    taxExempt: false, exemptCategories: [], taxRules: new Map(), periodCharges: [], usage: [], coupons: [], automaticDiscounts: [], ...over,
  };
}
const pct = (id: string, bp: number, extra: Partial<DiscountRule> = {}): DiscountRule => ({ id, name: id, trigger: 'automatic', kind: 'percentage', percentBasisPoints: bp, createdAtMs: 0, ...extra });
const fixed = (id: string, amountMicros: bigint, extra: Partial<DiscountRule> = {}): DiscountRule => ({ id, name: id, trigger: 'automatic', kind: 'fixed', amountMicros, currency: 'USD', createdAtMs: 0, ...extra });
const coupon = (id: string, rule: DiscountRule): DiscountRule => ({ ...rule, trigger: 'coupon', couponCode: id.toUpperCase() });

describe('discount and tax order', () => {
  // [why, input, expected discountMicros, taxMicros, totalMicros]
  const cases: [string, Partial<InvoiceComputationInput>, bigint, bigint, bigint][] = [
    ['no discounts: 20% tax on 100.00', { usage: [usage(100_000_000n)], taxRules: new Map([['usage', VAT]]) }, 0n, 20_000_000n, 120_000_000n],
    ['percentage before fixed, whatever the trigger: 10% of 100 = 10, then the 10 coupon → 80 net, tax 16',
      { usage: [usage(100_000_000n)], taxRules: new Map([['usage', VAT]]), coupons: [coupon('ten', fixed('ten', 10_000_000n))],
        automaticDiscounts: [pct('biz', 1000, { customerType: 'standard' })] }, -20_000_000n, 16_000_000n, 96_000_000n],
    ['percentages compound in (createdAt, id) order: 50% then 10% of the rest = 55 off',
      { usage: [usage(100_000_000n)], automaticDiscounts: [pct('b', 1000, { createdAtMs: 2 }), pct('a', 5000, { createdAtMs: 1 })] },
      -55_000_000n, 0n, 45_000_000n],
    ['customer-type discount of another type does not apply',
      { usage: [usage(100_000_000n)], automaticDiscounts: [pct('np', 5000, { customerType: 'nonprofit' })] }, 0n, 0n, 100_000_000n],
    ['threshold tested on the subtotal before discounts: 100 ≥ 100 still applies after a 10% discount (5% of 90)',
      { usage: [usage(100_000_000n)], automaticDiscounts: [pct('big', 500, { minSubtotalMicros: 100_000_000n, currency: 'USD', createdAtMs: 2 }), pct('biz', 1000, { createdAtMs: 1 })] },
      -14_500_000n, 0n, 85_500_000n],
    ['threshold not reached', { usage: [usage(99_990_000n)], automaticDiscounts: [pct('big', 500, { minSubtotalMicros: 100_000_000n, currency: 'USD' })] },
      0n, 0n, 99_990_000n],
    ['fixed discount larger than the invoice takes only what is left', { usage: [usage(3_000_000n)], coupons: [coupon('x', fixed('x', 50_000_000n))] },
      -3_000_000n, 0n, 0n],
    ['fixed discount in another currency does not apply', { usage: [usage(3_000_000n)], coupons: [coupon('x', fixed('x', 1_000_000n, { currency: 'EUR' }))] },
      0n, 0n, 3_000_000n],
    ['tax by category: 20% on saas fee, 5% on usage, after a 50% discount spread over both',
      { usage: [usage(40_000_000n)], periodCharges: [{ description: 'Platform', productCategory: 'saas', cause: {}, charge: periodCharge({ model: 'flat_fee', params: { amountMicros: '60000000' } }) }],
        taxRules: new Map([['saas', VAT], ['usage', REDUCED]]), automaticDiscounts: [pct('half', 5000)] }, -50_000_000n, 7_000_000n, 57_000_000n],
    ['exempt customer pays no tax', { usage: [usage(10_000_000n)], taxRules: new Map([['usage', VAT]]), taxExempt: true }, 0n, 0n, 10_000_000n],
    ['exemption for one category only', {
      usage: [usage(10_000_000n), usage(10_000_000n, 'saas')], taxRules: new Map([['usage', VAT], ['saas', VAT]]), exemptCategories: ['saas'] },
    0n, 2_000_000n, 22_000_000n],
  ];
  it.each(cases)('%s', (_why, over, discount, tax, total) => {
    const result = computeInvoice(input(over));
    expect(result.discountMicros).toBe(discount);
    expect(result.taxMicros).toBe(tax);
    expect(result.totalMicros).toBe(total);
    expect(result.lines.reduce((s, l) => s + l.amountMicros, 0n)).toBe(total);
  });

  it('lists lines in the documented order: charges, discounts (percentages, then fixed), taxes, rounding', () => {
    const result = computeInvoice(input({
      usage: [usage(10_333_333n)], taxRules: new Map([['usage', VAT]]),
      coupons: [coupon('c', fixed('c', 100n))], automaticDiscounts: [pct('a', 100)],
    }));
    expect(result.lines.map((l) => `${l.kind}:${l.cause.discountId ?? ''}`)).toEqual(['usage:', 'discount:a', 'discount:c', 'tax:', 'rounding:']);
  });
});

describe('rounding to minor units, half-even, with an explicit line', () => {
  const cases: [string, string, bigint, bigint][] = [
    ['USD half cent rounds to even (down)', 'USD', 1_005_000n, -5_000n],
    ['USD half cent rounds to even (up)', 'USD', 1_015_000n, 5_000n],
    ['USD below half rounds down', 'USD', 1_004_999n, -4_999n],
    ['JPY rounds to whole yen', 'JPY', 1_500_000n, 500_000n],
    ['JPY 2.5 yen to 2', 'JPY', 2_500_000n, -500_000n],
    ['BHD has three decimals', 'BHD', 1_000_500n, -500n],
    ['already whole: no rounding line', 'USD', 1_230_000n, 0n],
  ];
  it.each(cases)('%s', (_why, currency, amount, rounding) => {
    const result = computeInvoice(input({ currency, usage: [usage(amount)] }));
    expect(result.roundingMicros).toBe(rounding);
    expect(result.lines.filter((l) => l.kind === 'rounding').length).toBe(rounding === 0n ? 0 : 1);
    expect(result.totalMicros % (currency === 'JPY' ? 1_000_000n : currency === 'BHD' ? 1_000n : 10_000n)).toBe(0n);
  });

  it('tax is half-even per line, so two half-micro taxes round separately', () => {
    // 2.5 micros of tax on each line: half-even gives 2 and 2, not 5 on the sum.
    const result = computeInvoice(input({ usage: [usage(25n), usage(25n)], taxRules: new Map([['usage', { rateId: 't', label: 't', ratePpm: 100_000 }]]) }));
    expect(result.lines.filter((l) => l.kind === 'usage').map((l) => l.taxMicros)).toEqual([2n, 2n]);
    expect(result.taxMicros).toBe(4n);
  });
  it('formats money in minor units', () => {
    expect(formatMoney(1_234_567_890n, 'USD')).toBe('1,234.57 USD');
    expect(formatMoney(-5_000n, 'USD')).toBe('0.00 USD');
    expect(formatMoney(-15_000n, 'USD')).toBe('-0.02 USD');
    expect(roundToMinorUnits(2_500_000n, 'JPY')).toBe(2_000_000n);
  });
});

describe('minimum commitment', () => {
  const commitment = (micros: string, prorate = true): InvoiceComputationInput['periodCharges'][number] => ({
    description: 'Minimum commitment', productCategory: 'usage', cause: {}, charge: periodCharge({ model: 'minimum_commitment', params: { commitmentMicros: micros, prorate } }),
  });
  const cases: [string, Partial<InvoiceComputationInput>, bigint | null][] = [
    ['usage below commitment: top-up is the shortfall', { usage: [usage(30_000_000n)], periodCharges: [commitment('100000000')] }, 70_000_000n],
    ['usage above commitment: no top-up line', { usage: [usage(130_000_000n)], periodCharges: [commitment('100000000')] }, null],
    ['late usage of an earlier period does not count toward this period', {
      usage: [usage(30_000_000n), usage(90_000_000n, 'usage', 'late_usage', '2026-10')], periodCharges: [commitment('100000000')] }, 70_000_000n],
    ['prorated by active days: 15 of 30 days commit 50', {
      usage: [usage(10_000_000n)], periodCharges: [commitment('100000000')], span: { periodStart: '2026-11-01', periodEnd: '2026-12-01', activeFrom: '2026-11-16' } },
    40_000_000n],
    ['not prorated when asked', {
      usage: [usage(10_000_000n)], periodCharges: [commitment('100000000', false)], span: { periodStart: '2026-11-01', periodEnd: '2026-12-01', activeFrom: '2026-11-16' } },
    90_000_000n],
  ];
  it.each(cases)('%s', (_why, over, topUp) => {
    const result = computeInvoice(input(over));
    const line = result.lines.find((l) => l.kind === 'minimum_commitment');
    expect(line?.amountMicros ?? null).toBe(topUp);
  });
  it('the top-up is discounted and taxed like any charge', () => {
    const result = computeInvoice(input({ usage: [usage(0n)], periodCharges: [commitment('100000000')], automaticDiscounts: [pct('d', 1000)], taxRules: new Map([['usage', VAT]]) }));
    expect(result.totalMicros).toBe(108_000_000n);
  });
});

describe('coupon durations', () => {
  const cases: [string, string, number | null, string, boolean][] = [
    ['once covers the redemption period', '2026-11', 1, '2026-11', true],
    ['once does not cover the next period', '2026-11', 1, '2026-12', false],
    ['repeating 3 covers the third period', '2026-11', 3, '2027-01', true],
    ['repeating 3 does not cover the fourth', '2026-11', 3, '2027-02', false],
    ['forever covers years later', '2026-11', null, '2030-05', true],
    ['no coupon covers a period before its redemption', '2026-11', null, '2026-10', false],
  ];
  it.each(cases)('%s', (_why, first, count, period, covers) => {
    expect(couponCoversPeriod(first, count, period)).toBe(covers);
  });
  it('computes period spans across a year end', () => {
    expect(periodSpan('2026-12')).toEqual({ periodStart: '2026-12-01', periodEnd: '2027-01-01' });
    expect(previousPeriod('2027-01')).toBe('2026-12');
  });
});

describe('allocation', () => {
  it('splits exactly, largest remainder first', () => {
    expect(allocateProportionally(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(allocateProportionally(-7n, [2n, 5n])).toEqual([-2n, -5n]);
    expect(allocateProportionally(0n, [0n])).toEqual([0n]);
  });
});

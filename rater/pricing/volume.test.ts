import { describe, expect, it } from 'vitest';
import { NANOS_PER_UNIT } from './quantity.ts';
import { mustParse, units } from './test-support.ts';
import { volume } from './volume.ts';

const UNIT = NANOS_PER_UNIT;

/** ≤100 at 1,000 micros; ≤1,000 at 500 + a 10,000 flat fee; above at 0.25 micros. */
const TIERS = mustParse(volume, {
  tiers: [
    { upTo: '100', unitPriceMicros: '1000' },
    { upTo: '1000', unitPriceMicros: '500', flatFeeMicros: '10000' },
    { upTo: null, unitPriceMicros: '0.25' },
  ],
});

describe('volume.totalAmountMicros', () => {
  const rows: { quantityNanos: bigint; amountMicros: bigint; why: string }[] = [
    { quantityNanos: 0n, amountMicros: 0n, why: 'no usage is in no tier and costs nothing' },
    { quantityNanos: -UNIT, amountMicros: 0n, why: 'a negative running quantity is priced as none' },
    { quantityNanos: UNIT, amountMicros: 1_000n, why: 'one unit at the tier-0 rate' },
    { quantityNanos: units('100'), amountMicros: 100_000n, why: 'exactly on upTo: the whole quantity stays in tier 0' },
    { quantityNanos: units('100') + 1n, amountMicros: 60_000n, why: 'one nano more: all of it at 500, plus the tier-1 flat fee (50,000.0000005 rounds down)' },
    { quantityNanos: units('101'), amountMicros: 60_500n, why: '101 × 500 + 10,000: cheaper than 100 units' },
    { quantityNanos: units('1000'), amountMicros: 510_000n, why: 'top of tier 1' },
    { quantityNanos: units('1001'), amountMicros: 250n, why: 'tier 2: 1,001 × 0.25 = 250.25, rounded down; no flat fee in tier 2' },
    { quantityNanos: units('1002'), amountMicros: 250n, why: '250.5 ties to the even 250' },
    { quantityNanos: units('1006'), amountMicros: 252n, why: '251.5 ties to the even 252' },
    { quantityNanos: 10n ** 21n * UNIT, amountMicros: 25n * 10n ** 19n, why: '10^21 units at 0.25 micros, exact in bigint' },
  ];
  for (const { quantityNanos, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${quantityNanos} nanos: ${why}`, () => {
      expect(volume.totalAmountMicros(TIERS, quantityNanos)).toBe(amountMicros);
    });
  }
});

describe('volume.marginalAmountMicros', () => {
  const rows: { beforeUnits: string; eventUnits: string; amountMicros: bigint; why: string }[] = [
    { beforeUnits: '0', eventUnits: '100', amountMicros: 100_000n, why: 'the first event pays its total' },
    { beforeUnits: '50', eventUnits: '10', amountMicros: 10_000n, why: 'inside one tier, the marginal is the tier rate' },
    { beforeUnits: '100', eventUnits: '1', amountMicros: -39_500n, why: 'non-monotonic: the 101st unit moves all 101 to the cheaper tier, a credit of 39,500' },
    { beforeUnits: '1000', eventUnits: '1', amountMicros: -509_750n, why: 'entering the last tier re-prices the whole period at 0.25' },
    { beforeUnits: '99', eventUnits: '2', amountMicros: -38_500n, why: 'an event crossing the edge: 60,500 − 99,000' },
    { beforeUnits: '1001', eventUnits: '1', amountMicros: 0n, why: 'cumulative rounding: 250.25 → 250.5, both round to 250' },
    { beforeUnits: '1005', eventUnits: '1', amountMicros: 1n, why: 'cumulative rounding: 251.25 (251) → 251.5 (252)' },
    { beforeUnits: '101', eventUnits: '-1', amountMicros: 39_500n, why: 'a correction back into tier 0 re-prices the period upwards' },
  ];
  for (const { beforeUnits, eventUnits, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${eventUnits} units after ${beforeUnits}: ${why}`, () => {
      expect(volume.marginalAmountMicros(TIERS, { quantityBeforeNanos: units(beforeUnits), quantityNanos: units(eventUnits) })).toBe(amountMicros);
    });
  }

  it('sums its (possibly negative) marginals to the period total', () => {
    let sumMicros = 0n;
    for (let i = 0n; i < 1_010n; i++) sumMicros += volume.marginalAmountMicros(TIERS, { quantityBeforeNanos: i * UNIT, quantityNanos: UNIT });
    expect(sumMicros).toBe(volume.totalAmountMicros(TIERS, 1_010n * UNIT));
    expect(sumMicros).toBe(252n); // 1,010 × 0.25 = 252.5 ties to the even 252
  });

  it('is named volume and priced per period', () => {
    expect(volume.name).toBe('volume');
    expect(volume.scope).toBe('period');
  });

  it('reads the same params as graduated', () => {
    expect(volume.parseParams({ tiers: [{ upTo: '5', unitPriceMicros: '1' }] }).ok).toBe(false);
    expect(volume.parseParams({ tiers: [{ upTo: null, unitPriceMicros: '1' }] }).ok).toBe(true);
  });
});

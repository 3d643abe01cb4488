import { describe, expect, it } from 'vitest';
import { perUnit } from './per-unit.ts';
import { NANOS_PER_UNIT } from './quantity.ts';

const UNIT = NANOS_PER_UNIT;

describe('perUnit.marginalAmountMicros', () => {
  const rows: { quantityNanos: bigint; unitPriceMicros: bigint; amountMicros: bigint; why: string }[] = [
    { quantityNanos: 0n, unitPriceMicros: 2_500n, amountMicros: 0n, why: 'no usage costs nothing' },
    { quantityNanos: 0n, unitPriceMicros: 0n, amountMicros: 0n, why: 'a free meter with no usage is zero' },
    { quantityNanos: 5n * UNIT, unitPriceMicros: 0n, amountMicros: 0n, why: 'a free meter costs nothing whatever the usage' },
    { quantityNanos: UNIT, unitPriceMicros: 2_500n, amountMicros: 2_500n, why: 'one unit costs the unit price' },
    { quantityNanos: 3n * UNIT, unitPriceMicros: 1_000_000n, amountMicros: 3_000_000n, why: 'integer quantities multiply exactly' },
    { quantityNanos: 1_500_000_000n, unitPriceMicros: 1_000n, amountMicros: 1_500n, why: 'fractional quantities that land on a micro are exact' },
    { quantityNanos: 100_000_000n, unitPriceMicros: 3n, amountMicros: 0n, why: '0.3 micros rounds down to 0' },
    { quantityNanos: 200_000_000n, unitPriceMicros: 3n, amountMicros: 1n, why: '0.6 micros rounds up to 1' },
    { quantityNanos: 500_000_000n, unitPriceMicros: 1n, amountMicros: 0n, why: '0.5 micros ties to the even 0' },
    { quantityNanos: 1_500_000_000n, unitPriceMicros: 1n, amountMicros: 2n, why: '1.5 micros ties to the even 2' },
    { quantityNanos: 2_500_000_000n, unitPriceMicros: 1n, amountMicros: 2n, why: '2.5 micros ties to the even 2, not up to 3' },
    { quantityNanos: 1_500_000_000n, unitPriceMicros: 3n, amountMicros: 4n, why: '4.5 micros ties to the even 4' },
    { quantityNanos: 2_500_000n, unitPriceMicros: 1_000n, amountMicros: 2n, why: '0.0025 units at 1000 micros is a 2.5 tie, rounds to 2' },
    { quantityNanos: 3_500_000n, unitPriceMicros: 1_000n, amountMicros: 4n, why: '0.0035 units at 1000 micros is a 3.5 tie, rounds to 4' },
    { quantityNanos: 2_600_000n, unitPriceMicros: 1_000n, amountMicros: 3n, why: '2.6 micros is past the tie and rounds up' },
    { quantityNanos: 1n, unitPriceMicros: 1n, amountMicros: 0n, why: 'one nano of a one-micro unit is far below half a micro' },
    { quantityNanos: 1n, unitPriceMicros: 500_000_001n, amountMicros: 1n, why: 'one nano of an expensive unit is just past half a micro' },
    { quantityNanos: -2_500_000_000n, unitPriceMicros: 1n, amountMicros: -2n, why: 'negative (correction) amounts round half-even symmetrically' },
    { quantityNanos: -3n * UNIT, unitPriceMicros: 1_000n, amountMicros: -3_000n, why: 'negative quantities give negative amounts' },
    {
      quantityNanos: 10n ** 30n, unitPriceMicros: 123_456_789n, amountMicros: 123_456_789n * 10n ** 21n,
      why: '10^21 units (beyond any Number) multiply without precision loss',
    },
    {
      quantityNanos: 9_007_199_254_740_993n * UNIT, unitPriceMicros: 1_000_001n, amountMicros: 9_007_199_254_740_993n * 1_000_001n,
      why: '2^53+1 units keep their last digit through the multiplication',
    },
    {
      quantityNanos: 123_456_789_012_345_678_901n * UNIT + 500_000_000n, unitPriceMicros: 1n, amountMicros: 123_456_789_012_345_678_902n,
      why: 'a tie on a huge odd integer part still rounds to the even neighbour',
    },
  ];

  for (const { quantityNanos, unitPriceMicros, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${quantityNanos} nanos at ${unitPriceMicros} micros/unit: ${why}`, () => {
      expect(perUnit.marginalAmountMicros({ unitPriceMicros }, { quantityBeforeNanos: 0n, quantityNanos })).toBe(amountMicros);
    });
  }

  it('ignores the quantity already used: each event is priced on its own', () => {
    const price = { unitPriceMicros: 7n };
    const alone = perUnit.marginalAmountMicros(price, { quantityBeforeNanos: 0n, quantityNanos: 1_500_000_000n });
    for (const quantityBeforeNanos of [1n, UNIT, 10n ** 30n, -UNIT]) {
      expect(perUnit.marginalAmountMicros(price, { quantityBeforeNanos, quantityNanos: 1_500_000_000n })).toBe(alone);
    }
  });

  it('is named per_unit, the model name stored on rated rows', () => {
    expect(perUnit.name).toBe('per_unit');
  });
});

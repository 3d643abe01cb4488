import { describe, expect, it } from 'vitest';
import { packageModel } from './package.ts';
import { NANOS_PER_UNIT } from './quantity.ts';
import { errorsOf, mustParse, show, units } from './test-support.ts';

const UNIT = NANOS_PER_UNIT;

/** Blocks of 1,000 units at 5,000 micros each, the first 100 units free. */
const WITH_FREE = mustParse(packageModel, { packageSize: '1000', packagePriceMicros: '5000', freeUnits: '100' });
const NO_FREE = mustParse(packageModel, { packageSize: '1000', packagePriceMicros: '5000' });
/** Half a micro per started block of 1,000 tokens: only cumulative rounding can price it. */
const SUB_MICRO = mustParse(packageModel, { packageSize: '1000', packagePriceMicros: '0.5' });

describe('package.totalAmountMicros', () => {
  const rows: { params: typeof WITH_FREE; label: string; quantityNanos: bigint; amountMicros: bigint; why: string }[] = [
    { params: WITH_FREE, label: 'free 100', quantityNanos: 0n, amountMicros: 0n, why: 'no usage, no block' },
    { params: WITH_FREE, label: 'free 100', quantityNanos: units('100'), amountMicros: 0n, why: 'all of it inside the free units' },
    { params: WITH_FREE, label: 'free 100', quantityNanos: units('100') + 1n, amountMicros: 5_000n, why: 'one nano past the free units starts a whole block' },
    { params: WITH_FREE, label: 'free 100', quantityNanos: units('1100'), amountMicros: 5_000n, why: 'exactly one full block after the free units' },
    { params: WITH_FREE, label: 'free 100', quantityNanos: units('1100') + 1n, amountMicros: 10_000n, why: 'one nano more starts the second block' },
    { params: NO_FREE, label: 'no free', quantityNanos: 1n, amountMicros: 5_000n, why: 'a started block is a block, however little of it is used' },
    { params: NO_FREE, label: 'no free', quantityNanos: units('1000'), amountMicros: 5_000n, why: 'a quantity on a block edge does not start the next' },
    { params: NO_FREE, label: 'no free', quantityNanos: units('1001'), amountMicros: 10_000n, why: 'unit 1,001 starts block two' },
    { params: NO_FREE, label: 'no free', quantityNanos: -UNIT, amountMicros: 0n, why: 'a negative running quantity starts no block' },
    { params: NO_FREE, label: 'no free', quantityNanos: 10n ** 27n * UNIT, amountMicros: 5n * 10n ** 27n, why: '10^24 blocks, exact in bigint' },
    { params: SUB_MICRO, label: '0.5 micros', quantityNanos: UNIT, amountMicros: 0n, why: 'one block at 0.5 micros ties to the even 0' },
    { params: SUB_MICRO, label: '0.5 micros', quantityNanos: units('2000'), amountMicros: 1n, why: 'two blocks are one micro' },
    { params: SUB_MICRO, label: '0.5 micros', quantityNanos: units('2001'), amountMicros: 2n, why: 'three blocks: 1.5 ties to the even 2' },
    { params: SUB_MICRO, label: '0.5 micros', quantityNanos: units('5000'), amountMicros: 2n, why: 'five blocks: 2.5 ties to the even 2' },
  ];
  for (const { params, label, quantityNanos, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${quantityNanos} nanos (${label}): ${why}`, () => {
      expect(packageModel.totalAmountMicros(params, quantityNanos)).toBe(amountMicros);
    });
  }

  it('counts fractional package sizes in started blocks', () => {
    const params = mustParse(packageModel, { packageSize: '0.5', packagePriceMicros: '1' });
    expect(packageModel.totalAmountMicros(params, units('1.2'))).toBe(3n);
    expect(packageModel.totalAmountMicros(params, units('1.5'))).toBe(3n);
  });
});

describe('package.marginalAmountMicros', () => {
  const rows: { beforeUnits: string; eventUnits: string; amountMicros: bigint; why: string }[] = [
    { beforeUnits: '0', eventUnits: '100', amountMicros: 0n, why: 'an event inside the free units is free' },
    { beforeUnits: '50', eventUnits: '100', amountMicros: 5_000n, why: 'the event that leaves the free units starts block one' },
    { beforeUnits: '101', eventUnits: '998', amountMicros: 0n, why: 'events filling a started block pay nothing' },
    { beforeUnits: '1099', eventUnits: '1', amountMicros: 0n, why: 'the last unit of a block was paid when the block started' },
    { beforeUnits: '1100', eventUnits: '1', amountMicros: 5_000n, why: 'the first unit of the next block pays the whole block' },
    { beforeUnits: '0', eventUnits: '3100', amountMicros: 15_000n, why: 'one event spanning three blocks pays three' },
    { beforeUnits: '1101', eventUnits: '-1', amountMicros: -5_000n, why: 'a correction that empties a block gives it back' },
  ];
  for (const { beforeUnits, eventUnits, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${eventUnits} units after ${beforeUnits}: ${why}`, () => {
      expect(packageModel.marginalAmountMicros(WITH_FREE, { quantityBeforeNanos: units(beforeUnits), quantityNanos: units(eventUnits) })).toBe(amountMicros);
    });
  }

  it('is named package and priced per period', () => {
    expect(packageModel.name).toBe('package');
    expect(packageModel.scope).toBe('period');
  });
});

describe('package.parseParams', () => {
  it('reads sizes and free units as nano-units and the price as nano-micros', () => {
    expect(packageModel.parseParams({ packageSize: '1000', packagePriceMicros: '0.5', freeUnits: '2.5' }))
      .toEqual({ ok: true, params: { packageSizeNanos: 1_000n * UNIT, packagePriceNanoMicros: 500_000_000n, freeNanos: 2_500_000_000n } });
  });

  it('defaults the free units to none', () => {
    expect(mustParse(packageModel, { packageSize: 10, packagePriceMicros: 1 }).freeNanos).toBe(0n);
  });

  const refused: { json: unknown; errors: string[]; why: string }[] = [
    { json: { packageSize: '0', packagePriceMicros: '1' }, errors: ['packageSize:TG_PRICE_NOT_POSITIVE'], why: 'a block of zero units would never fill' },
    { json: { packageSize: '-10', packagePriceMicros: '1' }, errors: ['packageSize:TG_PRICE_NEGATIVE'], why: 'negative block sizes are meaningless' },
    { json: { packagePriceMicros: '1' }, errors: ['packageSize:TG_PRICE_FIELD_MISSING'], why: 'the size is required' },
    { json: { packageSize: '10' }, errors: ['packagePriceMicros:TG_PRICE_FIELD_MISSING'], why: 'a missing price is never read as free' },
    { json: { packageSize: '10', packagePriceMicros: '-1' }, errors: ['packagePriceMicros:TG_PRICE_NEGATIVE'], why: 'no negative prices' },
    { json: { packageSize: '10', packagePriceMicros: '1', freeUnits: '-1' }, errors: ['freeUnits:TG_PRICE_NEGATIVE'], why: 'free units cannot be negative' },
    { json: { packageSize: '10', packagePriceMicros: '1', size: 3 }, errors: ['size:TG_PRICE_FIELD_UNKNOWN'], why: 'unknown fields are reported' },
    { json: 'package', errors: [':TG_PRICE_NOT_OBJECT'], why: 'params must be an object' },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json)}: ${why}`, () => {
      expect(errorsOf(packageModel.parseParams(json))).toEqual(errors);
    });
  }
});

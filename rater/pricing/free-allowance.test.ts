import { describe, expect, it } from 'vitest';
import { PRICE_MODELS, parsePrice } from './index.ts';
import type { FreeAllowanceParams } from './free-allowance.ts';
import { perUnit } from './per-unit.ts';
import { NANOS_PER_UNIT } from './quantity.ts';
import { errorsOf, mustParse, show, units } from './test-support.ts';

const UNIT = NANOS_PER_UNIT;
const freeAllowance = PRICE_MODELS.free_allowance!;

const allowance = (json: unknown): FreeAllowanceParams => mustParse(freeAllowance, json) as FreeAllowanceParams;

/** 1,000 free units, then 3 micros a unit. */
const PER_UNIT_3 = allowance({ freeUnits: '1000', price: { model: 'per_unit', params: { unitPriceMicros: '3' } } });
/** 100 free units, then graduated: up to 1,000 (counted after the allowance) at 2, then 1. */
const GRADUATED = allowance({
  freeUnits: '100',
  price: { model: 'graduated', params: { tiers: [{ upTo: '1000', unitPriceMicros: '2' }, { upTo: null, unitPriceMicros: '1', flatFeeMicros: '50' }] } },
});
/** No allowance around a 1-micro per_unit: the same price, rounded cumulatively. */
const ZERO_FREE = allowance({ freeUnits: '0', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } });

describe('free_allowance.totalAmountMicros', () => {
  const rows: { params: FreeAllowanceParams; label: string; quantity: string; amountMicros: bigint; why: string }[] = [
    { params: PER_UNIT_3, label: '1,000 free + per_unit', quantity: '0', amountMicros: 0n, why: 'no usage' },
    { params: PER_UNIT_3, label: '1,000 free + per_unit', quantity: '1000', amountMicros: 0n, why: 'the whole allowance is free' },
    { params: PER_UNIT_3, label: '1,000 free + per_unit', quantity: '1001', amountMicros: 3n, why: 'the first unit beyond it is priced' },
    { params: PER_UNIT_3, label: '1,000 free + per_unit', quantity: '1000.5', amountMicros: 2n, why: '1.5 micros ties to the even 2' },
    { params: PER_UNIT_3, label: '1,000 free + per_unit', quantity: '1000000000000000000000', amountMicros: 3n * (10n ** 21n - 1_000n), why: 'huge quantities shift exactly' },
    { params: GRADUATED, label: '100 free + graduated', quantity: '1100', amountMicros: 2_000n, why: 'the inner tiers count from the end of the allowance' },
    { params: GRADUATED, label: '100 free + graduated', quantity: '1101', amountMicros: 2_051n, why: 'inner tier 1 is entered at 1,101 units, with its flat fee' },
    { params: ZERO_FREE, label: '0 free + per_unit', quantity: '0.5', amountMicros: 0n, why: '0.5 micros ties to the even 0' },
  ];
  for (const { params, label, quantity, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${quantity} units (${label}): ${why}`, () => {
      expect(freeAllowance.totalAmountMicros(params, units(quantity))).toBe(amountMicros);
    });
  }
});

describe('free_allowance.marginalAmountMicros', () => {
  const rows: { beforeUnits: string; eventUnits: string; amountMicros: bigint; why: string }[] = [
    { beforeUnits: '0', eventUnits: '1000', amountMicros: 0n, why: 'an event inside the allowance is free' },
    { beforeUnits: '999', eventUnits: '2', amountMicros: 3n, why: 'the event crossing the allowance pays for its part above it only' },
    { beforeUnits: '1000', eventUnits: '2', amountMicros: 6n, why: 'after the allowance, the inner price applies in full' },
    { beforeUnits: '500', eventUnits: '0', amountMicros: 0n, why: 'a zero-quantity event adds nothing' },
  ];
  for (const { beforeUnits, eventUnits, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${eventUnits} units after ${beforeUnits}: ${why}`, () => {
      expect(freeAllowance.marginalAmountMicros(PER_UNIT_3, { quantityBeforeNanos: units(beforeUnits), quantityNanos: units(eventUnits) })).toBe(amountMicros);
    });
  }

  it('rounds a wrapped per_unit on the cumulative total, where bare per_unit rounds each event', () => {
    const halves = [0n, 1n].map((i) => ({ quantityBeforeNanos: i * (UNIT / 2n), quantityNanos: UNIT / 2n }));
    const bare = halves.map((input) => perUnit.marginalAmountMicros({ unitPriceMicros: 1n }, input));
    const wrapped = halves.map((input) => freeAllowance.marginalAmountMicros(ZERO_FREE, input));
    expect(bare).toEqual([0n, 0n]); // each 0.5 micros ties to 0: the unit is never charged
    expect(wrapped).toEqual([0n, 1n]); // totals 0.5 → 0 and 1.0 → 1: the unit is charged once
  });

  it('is named free_allowance and priced per period', () => {
    expect(freeAllowance.name).toBe('free_allowance');
    expect(freeAllowance.scope).toBe('period');
  });
});

describe('free_allowance.parseParams', () => {
  const refused: { json: unknown; errors: string[]; why: string }[] = [
    {
      json: { freeUnits: '10', price: { model: 'percentage', params: { ratePercent: '1' } } },
      errors: ['price.model:TG_PRICE_MODEL_NOT_WRAPPABLE'], why: 'a per-transaction fee has no "first N units of the period"',
    },
    {
      json: { freeUnits: '10', price: { model: 'free_allowance', params: { freeUnits: '5', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } } } },
      errors: ['price.model:TG_PRICE_MODEL_NOT_WRAPPABLE'], why: 'allowances do not nest',
    },
    { json: { freeUnits: '10', price: { model: 'tiered' } }, errors: ['price.model:TG_PRICE_MODEL_UNKNOWN'], why: 'the inner model must exist' },
    {
      json: { freeUnits: '10', price: { model: 'graduated', params: { tiers: [{ upTo: '5', unitPriceMicros: '1' }] } } },
      errors: ['price.params.tiers[0].upTo:TG_PRICE_LAST_TIER_NOT_OPEN'], why: 'inner errors keep their full path',
    },
    { json: { freeUnits: '10' }, errors: ['price:TG_PRICE_FIELD_MISSING'], why: 'the price beyond the allowance is required' },
    { json: { price: { model: 'per_unit', params: { unitPriceMicros: '1' } } }, errors: ['freeUnits:TG_PRICE_FIELD_MISSING'], why: 'the allowance is required' },
    { json: { freeUnits: '-1', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } }, errors: ['freeUnits:TG_PRICE_NEGATIVE'], why: 'no negative allowance' },
    { json: { freeUnits: '1', price: 'per_unit' }, errors: ['price:TG_PRICE_NOT_OBJECT'], why: 'the inner price is { model, params }' },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json).slice(0, 120)}: ${why}`, () => {
      expect(errorsOf(freeAllowance.parseParams(json))).toEqual(errors);
    });
  }

  it('refuses a deeply nested allowance without recursing into it', () => {
    let json: unknown = { model: 'per_unit', params: { unitPriceMicros: '1' } };
    for (let depth = 0; depth < 100_000; depth++) json = { model: 'free_allowance', params: { freeUnits: '1', price: json } };
    expect(errorsOf(parsePrice(json))).toEqual(['params.price.model:TG_PRICE_MODEL_NOT_WRAPPABLE']);
  });
});

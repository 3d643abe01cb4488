import { describe, expect, it } from 'vitest';
import { PERIOD_CHARGES, PRICE_MODELS, PRICE_PARAM_ERROR_CODES, parsePeriodCharge, parsePrice } from './index.ts';
import { errorsOf, show, units } from './test-support.ts';

describe('the price model registry', () => {
  it('lists every model under the name it reports', () => {
    for (const [name, model] of Object.entries(PRICE_MODELS)) expect(model.name).toBe(name);
    for (const [name, charge] of Object.entries(PERIOD_CHARGES)) expect(charge.name).toBe(name);
  });

  it('holds the models of the pricing issue', () => {
    expect(Object.keys(PRICE_MODELS).sort()).toEqual(['free_allowance', 'graduated', 'package', 'per_unit', 'percentage', 'volume']);
    expect(Object.keys(PERIOD_CHARGES).sort()).toEqual(['flat_fee', 'minimum_commitment']);
  });

  const prices: { json: unknown; scope: string; quantity: string; amountMicros: bigint; why: string }[] = [
    { json: { model: 'per_unit', params: { unitPriceMicros: '7' } }, scope: 'event', quantity: '3', amountMicros: 21n, why: 'per_unit binds its price' },
    { json: { model: 'graduated', params: { tiers: [{ upTo: null, unitPriceMicros: '0.5' }] } }, scope: 'period', quantity: '3', amountMicros: 2n, why: '1.5 ties to even' },
    { json: { model: 'volume', params: { tiers: [{ upTo: '2', unitPriceMicros: '10' }, { upTo: null, unitPriceMicros: '1' }] } }, scope: 'period', quantity: '3', amountMicros: 3n, why: 'the whole quantity at the tier-1 rate' },
    { json: { model: 'package', params: { packageSize: '2', packagePriceMicros: '100' } }, scope: 'period', quantity: '3', amountMicros: 200n, why: 'two started blocks' },
    { json: { model: 'percentage', params: { ratePercent: '10' } }, scope: 'transaction', quantity: '3', amountMicros: 300_000n, why: '10% of 3 currency units' },
    {
      json: { model: 'free_allowance', params: { freeUnits: '1', price: { model: 'per_unit', params: { unitPriceMicros: '7' } } } },
      scope: 'period', quantity: '3', amountMicros: 14n, why: 'one free unit, two at 7',
    },
  ];
  for (const { json, scope, quantity, amountMicros, why } of prices) {
    it(`parses ${show(json)} into a bound ${scope} price: ${why}`, () => {
      const result = parsePrice(json);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.params.model).toBe((json as { model: string }).model);
      expect(result.params.scope).toBe(scope);
      expect(result.params.totalAmountMicros(units(quantity))).toBe(amountMicros);
      expect(result.params.marginalAmountMicros({ quantityBeforeNanos: 0n, quantityNanos: units(quantity) })).toBe(amountMicros);
    });
  }

  const refused: { json: unknown; errors: string[]; why: string }[] = [
    { json: { model: 'tiered', params: {} }, errors: ['model:TG_PRICE_MODEL_UNKNOWN'], why: 'unknown model names are refused' },
    { json: { model: 'toString', params: {} }, errors: ['model:TG_PRICE_MODEL_UNKNOWN'], why: 'inherited object properties are not models' },
    { json: { model: 'flat_fee', params: { amountMicros: '1' } }, errors: ['model:TG_PRICE_MODEL_UNKNOWN'], why: 'a period charge is not a per-event price' },
    { json: { params: {} }, errors: ['model:TG_PRICE_FIELD_MISSING'], why: 'the model is required' },
    { json: { model: 3 }, errors: ['model:TG_PRICE_FIELD_TYPE'], why: 'the model is a name' },
    { json: { model: 'per_unit' }, errors: ['params.unitPriceMicros:TG_PRICE_FIELD_MISSING'], why: 'absent params read as {} and report what is missing' },
    { json: { model: 'per_unit', params: { unitPriceMicros: '-1' } }, errors: ['params.unitPriceMicros:TG_PRICE_NEGATIVE'], why: 'params errors are reported under params.' },
    { json: { model: 'per_unit', params: null }, errors: ['params:TG_PRICE_NOT_OBJECT'], why: 'null params are not an object' },
    {
      json: { model: 'per_unit', params: {}, currency: 'USD' }, errors: ['currency:TG_PRICE_FIELD_UNKNOWN', 'params.unitPriceMicros:TG_PRICE_FIELD_MISSING'],
      why: 'unknown fields beside model and params are reported with the params errors',
    },
    { json: 'per_unit', errors: [':TG_PRICE_NOT_OBJECT'], why: 'a price is { model, params }' },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json)}: ${why}`, () => {
      expect(errorsOf(parsePrice(json))).toEqual(errors);
    });
  }

  it('binds period charges the same way', () => {
    const result = parsePeriodCharge({ model: 'flat_fee', params: { amountMicros: '30000000' } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.params.name).toBe('flat_fee');
    expect(result.params.amountMicros({ span: { periodStart: '2026-11-01', periodEnd: '2026-12-01', activeFrom: '2026-11-21' }, usageAmountMicros: 0n })).toBe(10_000_000n);
    expect(errorsOf(parsePeriodCharge({ model: 'graduated', params: {} }))).toEqual(['model:TG_PRICE_MODEL_UNKNOWN']);
  });

  it('documents every error code it can return, in TG_ form', () => {
    for (const code of Object.keys(PRICE_PARAM_ERROR_CODES)) expect(code).toMatch(/^TG_PRICE_[A-Z_]+$/);
  });
});

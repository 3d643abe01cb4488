import { describe, expect, it } from 'vitest';
import { graduated } from './graduated.ts';
import { NANOS_PER_UNIT } from './quantity.ts';
import { errorsOf, mustParse, show, units } from './test-support.ts';

const UNIT = NANOS_PER_UNIT;

/** 0–1,000 at 2 micros; 1,000–10,000 at 1 micro + 500 on entry; above at 0.5 micros + 1,000 on entry. */
const THREE_TIERS = mustParse(graduated, {
  tiers: [
    { upTo: '1000', unitPriceMicros: '2' },
    { upTo: '10000', unitPriceMicros: '1', flatFeeMicros: '500' },
    { upTo: null, unitPriceMicros: '0.5', flatFeeMicros: '1000' },
  ],
});

describe('graduated.totalAmountMicros', () => {
  const rows: { quantityNanos: bigint; amountMicros: bigint; why: string }[] = [
    { quantityNanos: 0n, amountMicros: 0n, why: 'no usage enters no tier: no unit amount, no flat fee' },
    { quantityNanos: -UNIT, amountMicros: 0n, why: 'a negative running quantity is priced as none' },
    { quantityNanos: 1n, amountMicros: 0n, why: 'one nano at 2 micros/unit is far below half a micro' },
    { quantityNanos: UNIT, amountMicros: 2n, why: 'the first unit is priced in tier 0' },
    { quantityNanos: units('1000'), amountMicros: 2_000n, why: 'a quantity exactly on upTo is still in that tier: no tier-1 fee' },
    { quantityNanos: units('1000') + 1n, amountMicros: 2_500n, why: 'one nano past the edge enters tier 1 and pays its flat fee' },
    { quantityNanos: units('1001'), amountMicros: 2_501n, why: 'unit 1,001 is priced at the tier-1 rate' },
    { quantityNanos: units('10000'), amountMicros: 11_500n, why: '1,000 × 2 + 9,000 × 1 + 500: the full tier 1, still no tier-2 fee' },
    { quantityNanos: units('10001'), amountMicros: 12_500n, why: '12,500.5 rounds half-even to 12,500 (tier-2 fee 1,000 added)' },
    { quantityNanos: units('10003'), amountMicros: 12_502n, why: '12,501.5 rounds half-even to 12,502' },
    { quantityNanos: units('10000.5'), amountMicros: 12_500n, why: 'fractional units: 12,500.25 rounds down' },
    {
      quantityNanos: 10n ** 20n * UNIT, amountMicros: 5n * 10n ** 19n + 7_500n,
      why: '10^20 units: 12,500 for the first 10,000 plus (10^20 − 10,000) × 0.5, exact in bigint',
    },
  ];
  for (const { quantityNanos, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${quantityNanos} nanos: ${why}`, () => {
      expect(graduated.totalAmountMicros(THREE_TIERS, quantityNanos)).toBe(amountMicros);
    });
  }

  it('sums the sub-micro parts of all tiers before rounding once', () => {
    // Rounding per tier would charge round(0.5) + round(0.5) = 0 for two units.
    const params = mustParse(graduated, { tiers: [{ upTo: '1', unitPriceMicros: '0.5' }, { upTo: null, unitPriceMicros: '0.5' }] });
    expect(graduated.totalAmountMicros(params, units('2'))).toBe(1n);
  });

  it('charges a tier-0 flat fee on the first nano of usage, and not at zero', () => {
    const params = mustParse(graduated, { tiers: [{ upTo: '10', unitPriceMicros: '0', flatFeeMicros: '5000' }, { upTo: null, unitPriceMicros: '100' }] });
    expect(graduated.totalAmountMicros(params, 0n)).toBe(0n);
    expect(graduated.totalAmountMicros(params, 1n)).toBe(5_000n);
    expect(graduated.totalAmountMicros(params, units('10'))).toBe(5_000n);
    expect(graduated.totalAmountMicros(params, units('11'))).toBe(5_100n);
  });
});

describe('graduated.marginalAmountMicros', () => {
  const rows: { beforeUnits: string; eventUnits: string; amountMicros: bigint; why: string }[] = [
    { beforeUnits: '0', eventUnits: '1000', amountMicros: 2_000n, why: 'an event filling tier 0 exactly pays tier-0 rates only' },
    { beforeUnits: '999', eventUnits: '2', amountMicros: 503n, why: 'an event crossing an edge: unit 1,000 at 2, unit 1,001 at 1, plus the tier-1 fee' },
    { beforeUnits: '1000', eventUnits: '1', amountMicros: 501n, why: 'the event that first enters tier 1 pays its flat fee' },
    { beforeUnits: '1001', eventUnits: '1', amountMicros: 1n, why: 'later tier-1 events pay the rate only; the fee is once per period' },
    { beforeUnits: '9999', eventUnits: '3', amountMicros: 1_002n, why: 'unit 10,000 at 1, tier-2 fee, 2 units at 0.5' },
    { beforeUnits: '0', eventUnits: '10003', amountMicros: 12_502n, why: 'one event spanning all three tiers pays the whole total' },
    { beforeUnits: '10001', eventUnits: '1', amountMicros: 1n, why: 'cumulative rounding: total 12,500 → 12,501' },
    { beforeUnits: '10002', eventUnits: '1', amountMicros: 1n, why: 'cumulative rounding: total 12,501 → 12,502 (12,501.5 ties up to even)' },
    { beforeUnits: '10003', eventUnits: '1', amountMicros: 0n, why: 'cumulative rounding: total stays 12,502 (12,502.0)' },
    { beforeUnits: '5000', eventUnits: '0', amountMicros: 0n, why: 'a zero-quantity event adds nothing' },
    { beforeUnits: '1001', eventUnits: '-2', amountMicros: -503n, why: 'a negative correction leaving tier 1 gives back its rate and its flat fee' },
  ];
  for (const { beforeUnits, eventUnits, amountMicros, why } of rows) {
    it(`charges ${amountMicros} micros for ${eventUnits} units after ${beforeUnits}: ${why}`, () => {
      expect(graduated.marginalAmountMicros(THREE_TIERS, { quantityBeforeNanos: units(beforeUnits), quantityNanos: units(eventUnits) })).toBe(amountMicros);
    });
  }

  it('prices a sub-micro unit price exactly over a period of one-unit events (0.5 micros a token)', () => {
    // per_unit would round each 0.5-micro event to 0 (half-even) and charge nothing at all.
    const params = mustParse(graduated, { tiers: [{ upTo: null, unitPriceMicros: '0.5' }] });
    let sumMicros = 0n;
    const seen: bigint[] = [];
    for (let i = 0n; i < 100_000n; i++) {
      const amount = graduated.marginalAmountMicros(params, { quantityBeforeNanos: i * UNIT, quantityNanos: UNIT });
      if (i < 4n) seen.push(amount);
      sumMicros += amount;
    }
    expect(seen).toEqual([0n, 1n, 1n, 0n]); // totals 0 (0.5), 1, 2 (1.5), 2: the drift stays below a micro
    expect(sumMicros).toBe(50_000n);
  });

  it('is named graduated and priced per period', () => {
    expect(graduated.name).toBe('graduated');
    expect(graduated.scope).toBe('period');
  });
});

describe('graduated.parseParams (shared with volume)', () => {
  const accepted: { json: unknown; tiers: { upToNanos: bigint | null; unitPriceNanoMicros: bigint; flatFeeMicros: bigint }[]; why: string }[] = [
    {
      json: { tiers: [{ upTo: null, unitPriceMicros: '0.0000005' }] },
      tiers: [{ upToNanos: null, unitPriceNanoMicros: 500n, flatFeeMicros: 0n }],
      why: 'one open tier; a price of 0.0000005 micros is 500 nano-micros, exact',
    },
    {
      json: { tiers: [{ upTo: '0.5', unitPriceMicros: 3, flatFeeMicros: '7' }, { upTo: null, unitPriceMicros: '0' }] },
      tiers: [{ upToNanos: 500_000_000n, unitPriceNanoMicros: 3n * 10n ** 9n, flatFeeMicros: 7n }, { upToNanos: null, unitPriceNanoMicros: 0n, flatFeeMicros: 0n }],
      why: 'fractional bounds, JSON numbers, a free tier and a flat fee',
    },
    {
      json: { tiers: [{ upTo: 0.1, unitPriceMicros: 0.1 }, { upTo: null, unitPriceMicros: '1.000000001' }] },
      tiers: [{ upToNanos: 100_000_000n, unitPriceNanoMicros: 100_000_000n, flatFeeMicros: 0n }, { upToNanos: null, unitPriceNanoMicros: 1_000_000_001n, flatFeeMicros: 0n }],
      why: 'the JSON number 0.1 is read from its shortest decimal form, exactly a tenth; 9 decimals of micros are kept',
    },
  ];
  for (const { json, tiers, why } of accepted) {
    it(`accepts ${show(json)}: ${why}`, () => {
      expect(graduated.parseParams(json)).toMatchObject({ ok: true, params: { tiers } });
    });
  }

  const refused: { json: unknown; errors: string[]; why: string }[] = [
    { json: null, errors: [':TG_PRICE_NOT_OBJECT'], why: 'params must be an object' },
    { json: [], errors: [':TG_PRICE_NOT_OBJECT'], why: 'an array is not params' },
    { json: {}, errors: ['tiers:TG_PRICE_FIELD_MISSING'], why: 'tiers are required' },
    { json: { tiers: {} }, errors: ['tiers:TG_PRICE_FIELD_TYPE'], why: 'tiers must be an array' },
    { json: { tiers: [] }, errors: ['tiers:TG_PRICE_TIERS_EMPTY'], why: 'no tier would leave every quantity unpriced' },
    { json: { tiers: Array.from({ length: 101 }, () => ({ upTo: null, unitPriceMicros: '1' })) }, errors: ['tiers:TG_PRICE_TIERS_TOO_MANY'], why: 'tiers are walked per event, so their number is bounded' },
    { json: { tiers: [{ upTo: '10', unitPriceMicros: '1' }] }, errors: ['tiers[0].upTo:TG_PRICE_LAST_TIER_NOT_OPEN'], why: 'quantities above the last bound would have no price' },
    {
      json: { tiers: [{ upTo: null, unitPriceMicros: '1' }, { upTo: null, unitPriceMicros: '2' }] },
      errors: ['tiers[0].upTo:TG_PRICE_TIER_OPEN_NOT_LAST'], why: 'an open tier before the last would make the later ones unreachable',
    },
    {
      json: { tiers: [{ upTo: '100', unitPriceMicros: '1' }, { upTo: '100', unitPriceMicros: '2' }, { upTo: null, unitPriceMicros: '3' }] },
      errors: ['tiers[1].upTo:TG_PRICE_TIERS_NOT_ASCENDING'], why: 'an empty tier (same bound twice) is refused',
    },
    {
      json: { tiers: [{ upTo: '100', unitPriceMicros: '1' }, { upTo: '50', unitPriceMicros: '2' }, { upTo: null, unitPriceMicros: '3' }] },
      errors: ['tiers[1].upTo:TG_PRICE_TIERS_NOT_ASCENDING'], why: 'descending bounds are refused',
    },
    { json: { tiers: [{ upTo: '0', unitPriceMicros: '1' }, { upTo: null, unitPriceMicros: '1' }] }, errors: ['tiers[0].upTo:TG_PRICE_NOT_POSITIVE'], why: 'a tier up to 0 holds nothing' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: '-1' }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_NEGATIVE'], why: 'no negative prices' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: '1', flatFeeMicros: '-5' }] }, errors: ['tiers[0].flatFeeMicros:TG_PRICE_NEGATIVE'], why: 'no negative flat fees' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: '1', flatFeeMicros: '0.5' }] }, errors: ['tiers[0].flatFeeMicros:TG_PRICE_NOT_WHOLE_MICROS'], why: 'a flat fee is an amount: whole micros' },
    { json: { tiers: [{ upTo: null }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_FIELD_MISSING'], why: 'a missing price is never read as free' },
    { json: { tiers: [{ unitPriceMicros: '1' }] }, errors: ['tiers[0].upTo:TG_PRICE_FIELD_MISSING'], why: 'the open tier says so with upTo null' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: '0.0000000001' }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_NUMBER_INVALID'], why: 'finer than a nano-micro cannot be held exactly' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: 'abc' }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_NUMBER_INVALID'], why: 'words are not prices' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: true }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_FIELD_TYPE'], why: 'booleans are not prices' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: 2 ** 53 + 2 }] }, errors: ['tiers[0].unitPriceMicros:TG_PRICE_NUMBER_UNSAFE'], why: 'a JSON number beyond 2^53 may already have lost digits' },
    { json: { tiers: [{ upTo: null, unitPrice: '1' }] }, errors: ['tiers[0].unitPrice:TG_PRICE_FIELD_UNKNOWN', 'tiers[0].unitPriceMicros:TG_PRICE_FIELD_MISSING'], why: 'a typo is reported, not ignored' },
    { json: { tiers: [{ upTo: null, unitPriceMicros: '1' }], currency: 'USD' }, errors: ['currency:TG_PRICE_FIELD_UNKNOWN'], why: 'unknown top-level fields are reported' },
    { json: { tiers: ['1'] }, errors: ['tiers[0]:TG_PRICE_NOT_OBJECT'], why: 'a tier must be an object' },
    {
      json: { tiers: [{ upTo: '-1', unitPriceMicros: '-1' }, { upTo: '5', unitPriceMicros: 'x' }] },
      errors: ['tiers[0].unitPriceMicros:TG_PRICE_NEGATIVE', 'tiers[0].upTo:TG_PRICE_NEGATIVE', 'tiers[1].unitPriceMicros:TG_PRICE_NUMBER_INVALID', 'tiers[1].upTo:TG_PRICE_LAST_TIER_NOT_OPEN'],
      why: 'every problem of the document is reported at once',
    },
  ];
  for (const { json, errors, why } of refused) {
    it(`refuses ${show(json).slice(0, 120)}: ${why}`, () => {
      expect(errorsOf(graduated.parseParams(json))).toEqual(errors);
    });
  }

  it('says in each message which field is wrong', () => {
    const result = graduated.parseParams({ tiers: [{ upTo: '100', unitPriceMicros: '1' }, { upTo: '50', unitPriceMicros: '2' }, { upTo: null, unitPriceMicros: '3' }] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/tier 1 must end above/);
  });
});

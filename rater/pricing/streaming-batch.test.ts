/**
 * Streaming == batch, for every registered model (DESIGN.md §3): the streaming
 * rater prices each event at its marginal amount given the running quantity of
 * its (customer, meter, period); re-rating the period in batch must give the
 * same money.
 * - `period` models: the marginals of any split of a period's quantity, in any
 *   order, sum to totalAmountMicros(Σq) exactly.
 * - `event` / `transaction` models: each event's amount ignores the running
 *   quantity, so the period is Σ totalAmountMicros(qᵢ) in any order; `event`
 *   (per_unit) is also within ½ micro per event of totalAmountMicros(Σq).
 * Params, quantities and splits come from a small seeded PRNG, so a failure
 * names its case and reproduces.
 */
import { describe, expect, it } from 'vitest';
import { PRICE_MODELS, parsePrice, type Price } from './index.ts';
import { formatQuantity, NANOS_PER_UNIT } from './quantity.ts';

const UNIT = NANOS_PER_UNIT;
const CASES_PER_MODEL = 400;

/** mulberry32: a 32-bit seeded PRNG, enough to spread test cases. */
class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number { return this.next() % n; }
  chance(percent: number): boolean { return this.below(100) < percent; }
  /** A bigint in [0, n) for any n > 0. */
  bigBelow(n: bigint): bigint {
    let value = 0n;
    for (let bits = 0n; (1n << bits) < n * 2n ** 32n; bits += 32n) value = (value << 32n) | BigInt(this.next());
    return value % n;
  }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)]!; }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** A quantity of nano-units across magnitudes: a nano, fractions, whole units, up to 10^24 units. */
function randomNanos(rng: Rng): bigint {
  switch (rng.below(6)) {
    case 0: return rng.bigBelow(10n); // a few nanos
    case 1: return rng.bigBelow(10n * UNIT); // fractional units
    case 2: return BigInt(1 + rng.below(1_000)) * UNIT; // whole units
    case 3: return rng.bigBelow(100_000n * UNIT);
    case 4: return rng.bigBelow(10n ** 9n * UNIT);
    default: return rng.bigBelow(10n ** 24n * UNIT);
  }
}

/** A unit price in micros as a decimal string: sub-micro, whole, or expensive. */
function randomPriceMicros(rng: Rng): string {
  switch (rng.below(4)) {
    case 0: return '0';
    case 1: return formatQuantity(rng.bigBelow(UNIT)); // below one micro, down to a nano-micro
    case 2: return String(rng.below(10_000));
    default: return formatQuantity(rng.bigBelow(10n ** 6n * UNIT));
  }
}

const randomWholeMicros = (rng: Rng): string => (rng.chance(40) ? '0' : String(rng.bigBelow(10n ** 12n)));

function randomTiers(rng: Rng): { json: unknown; edges: bigint[] } {
  const edges: bigint[] = [];
  let upTo = 0n;
  for (let i = 0, count = rng.below(6); i < count; i++) {
    upTo += 1n + randomNanos(rng);
    edges.push(upTo);
  }
  const tiers = [...edges, null].map((edge) => ({
    upTo: edge === null ? null : formatQuantity(edge),
    unitPriceMicros: randomPriceMicros(rng),
    ...(rng.chance(50) ? { flatFeeMicros: randomWholeMicros(rng) } : {}),
  }));
  return { json: { tiers }, edges };
}

function randomPackage(rng: Rng): { json: unknown; edges: bigint[] } {
  const sizeNanos = 1n + randomNanos(rng) % (10n ** 6n * UNIT);
  const freeNanos = rng.chance(50) ? 0n : randomNanos(rng);
  return {
    json: { packageSize: formatQuantity(sizeNanos), packagePriceMicros: randomPriceMicros(rng), freeUnits: formatQuantity(freeNanos) },
    edges: [freeNanos, freeNanos + sizeNanos, freeNanos + 2n * sizeNanos],
  };
}

type Generated = { json: unknown; edges: bigint[] };

/** One params generator per registered model: the test below fails when a model is added without one. */
const GENERATORS: Record<string, (rng: Rng) => Generated> = {
  per_unit: (rng) => ({ json: { model: 'per_unit', params: { unitPriceMicros: String(rng.bigBelow(10n ** 9n)) } }, edges: [] }),
  graduated: (rng) => { const { json, edges } = randomTiers(rng); return { json: { model: 'graduated', params: json }, edges }; },
  volume: (rng) => { const { json, edges } = randomTiers(rng); return { json: { model: 'volume', params: json }, edges }; },
  package: (rng) => { const { json, edges } = randomPackage(rng); return { json: { model: 'package', params: json }, edges }; },
  percentage: (rng) => {
    const min = rng.chance(50) ? null : rng.bigBelow(10n ** 7n);
    const max = rng.chance(50) ? null : (min ?? 0n) + rng.bigBelow(10n ** 9n);
    const rate = formatQuantity(rng.bigBelow(10_000n * UNIT + 1n));
    return {
      json: {
        model: 'percentage',
        params: {
          ...(rng.chance(50) ? { rateBasisPoints: rate } : { ratePercent: formatQuantity(rng.bigBelow(100n * UNIT + 1n)) }),
          fixedFeeMicros: randomWholeMicros(rng),
          minAmountMicros: min === null ? null : String(min),
          maxAmountMicros: max === null ? null : String(max),
          valueUnitMicros: rng.pick(['1', '10000', '1000000']),
        },
      },
      edges: [],
    };
  },
  free_allowance: (rng) => {
    const inner = GENERATORS[rng.pick(['per_unit', 'graduated', 'volume', 'package'])]!(rng);
    const freeNanos = rng.chance(20) ? 0n : randomNanos(rng);
    return {
      json: { model: 'free_allowance', params: { freeUnits: formatQuantity(freeNanos), price: inner.json } },
      edges: [freeNanos, ...inner.edges.map((edge) => edge + freeNanos)],
    };
  },
};

/**
 * A period's events: a random total cut at random points and, often, exactly at
 * the model's edges (tier bounds, free units, block ends), so events start and
 * end on edges as well as across them; zero-quantity events included.
 */
function randomEvents(rng: Rng, edges: readonly bigint[]): bigint[] {
  const totalNanos = rng.chance(30) && edges.length > 0
    ? rng.pick(edges) + rng.bigBelow(3n) - 1n // the period ends on, just before or just after an edge
    : randomNanos(rng) + (edges.length > 0 && rng.chance(50) ? rng.pick(edges) : 0n);
  const total = totalNanos < 0n ? 0n : totalNanos;
  const cuts: bigint[] = [];
  for (let i = 0, count = rng.below(12); i < count; i++) cuts.push(total === 0n ? 0n : rng.bigBelow(total + 1n));
  for (const edge of edges) if (edge <= total && rng.chance(60)) cuts.push(edge);
  cuts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const events: bigint[] = [];
  let previous = 0n;
  for (const cut of [...cuts, total]) {
    events.push(cut - previous);
    previous = cut;
  }
  return events;
}

/** What the streaming rater does: price each event at its margin over the running quantity. */
function streamMicros(price: Price, events: readonly bigint[]): bigint {
  let quantityBeforeNanos = 0n;
  let sumMicros = 0n;
  for (const quantityNanos of events) {
    sumMicros += price.marginalAmountMicros({ quantityBeforeNanos, quantityNanos });
    quantityBeforeNanos += quantityNanos;
  }
  return sumMicros;
}

const sum = (values: readonly bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

describe('streaming == batch', () => {
  it('has a params generator for every registered model', () => {
    expect(Object.keys(GENERATORS).sort()).toEqual(Object.keys(PRICE_MODELS).sort());
  });

  const seeds: Record<string, number> = { per_unit: 11, graduated: 22, volume: 33, package: 44, percentage: 55, free_allowance: 66 };

  for (const name of Object.keys(GENERATORS)) {
    const seed = seeds[name] ?? 99;
    it(`${name}: a period's events streamed at their marginal amounts, in any order, sum to the batch price (seed ${seed}, ${CASES_PER_MODEL} cases)`, () => {
      const rng = new Rng(seed);
      for (let caseIndex = 0; caseIndex < CASES_PER_MODEL; caseIndex++) {
        const generated = GENERATORS[name]!(rng);
        const parsed = parsePrice(generated.json);
        if (!parsed.ok) throw new Error(`case ${caseIndex}: generated params refused: ${JSON.stringify(parsed.errors)}`);
        const price = parsed.params;
        const events = randomEvents(rng, generated.edges);
        const shuffled = rng.shuffle([...events]);
        const context = `case ${caseIndex}: ${JSON.stringify(generated.json)} events ${events.map(formatQuantity).join(' + ')}`;
        const totalNanos = sum(events);
        const streamedMicros = streamMicros(price, events);
        expect(streamMicros(price, shuffled), `${context} (shuffled)`).toBe(streamedMicros);

        if (price.scope === 'period') {
          expect(streamedMicros, context).toBe(price.totalAmountMicros(totalNanos));
        } else {
          // Priced per event: the running quantity changes nothing, and batch re-rating prices each event alone.
          const batchMicros = sum(events.map((quantityNanos) => price.totalAmountMicros(quantityNanos)));
          expect(streamedMicros, context).toBe(batchMicros);
          const arbitraryBeforeNanos = randomNanos(rng);
          for (const quantityNanos of events) {
            expect(price.marginalAmountMicros({ quantityBeforeNanos: arbitraryBeforeNanos, quantityNanos }), context)
              .toBe(price.totalAmountMicros(quantityNanos));
          }
        }
        if (price.scope === 'event') {
          // per_unit's per-event rounding: at most ½ micro per event, plus ½ for the once-priced total.
          const drift = streamedMicros - price.totalAmountMicros(totalNanos);
          expect(2n * (drift < 0n ? -drift : drift) <= BigInt(events.length + 1), context).toBe(true);
        }
      }
    });
  }
});

describe('pricing properties', () => {
  const priced = (json: unknown): Price => {
    const result = parsePrice(json);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.params;
  };

  it('graduated, package and allowances over them never charge less for more usage (non-negative prices)', () => {
    const rng = new Rng(7);
    for (let caseIndex = 0; caseIndex < CASES_PER_MODEL; caseIndex++) {
      const name = rng.pick(['graduated', 'package']);
      const generated = GENERATORS[name]!(rng);
      const json = rng.chance(50) ? generated.json : { model: 'free_allowance', params: { freeUnits: formatQuantity(randomNanos(rng)), price: generated.json } };
      const price = priced(json);
      const quantityBeforeNanos = randomNanos(rng);
      const quantityNanos = randomNanos(rng);
      expect(price.marginalAmountMicros({ quantityBeforeNanos, quantityNanos }) >= 0n, JSON.stringify(json)).toBe(true);
    }
  });

  it('percentage amounts always lie within the per-event minimum and maximum', () => {
    const rng = new Rng(8);
    for (let caseIndex = 0; caseIndex < CASES_PER_MODEL; caseIndex++) {
      const generated = GENERATORS.percentage!(rng);
      const params = (generated.json as { params: { minAmountMicros: string | null; maxAmountMicros: string | null } }).params;
      const amount = priced(generated.json).totalAmountMicros(randomNanos(rng));
      if (params.minAmountMicros !== null) expect(amount >= BigInt(params.minAmountMicros), JSON.stringify(params)).toBe(true);
      if (params.maxAmountMicros !== null) expect(amount <= BigInt(params.maxAmountMicros), JSON.stringify(params)).toBe(true);
    }
  });

  it('every period model charges nothing for a period without usage', () => {
    const rng = new Rng(9);
    for (const name of ['graduated', 'volume', 'package', 'free_allowance']) {
      for (let caseIndex = 0; caseIndex < 50; caseIndex++) expect(priced(GENERATORS[name]!(rng).json).totalAmountMicros(0n)).toBe(0n);
    }
  });
});

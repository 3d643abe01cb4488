/**
 * Rating through plans, as a pure function: subscription windows, running
 * state carried across batches (any split gives the same rows), events rated
 * earlier kept out of the state, meter filters, MAX meters and entitlement
 * crossings.
 */
import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../schemas/event.ts';
import type { Catalog } from './catalog.ts';
import { indexCatalog, rateEvents, type LocatedEvent, type RatedRow } from './rate-events.ts';
import { decodeUsageState, encodeUsageState, usageStateKey } from './usage-state.ts';

const NOV = Date.UTC(2026, 10, 10);
const DEC = Date.UTC(2026, 11, 10);
const GRADUATED = { model: 'graduated', params: { tiers: [{ upTo: '10', unitPriceMicros: '100' }, { upTo: null, unitPriceMicros: '0.5', flatFeeMicros: '7' }] } };

const CATALOG: Catalog = {
  version: 'plans-1',
  meters: [
    { id: 'm-tok', tenantId: 't', slug: 'tokens', eventType: 'llm', aggregation: 'SUM', valueProperty: 'n', prices: { USD: { priceId: 'legacy', model: 'per_unit', unitPriceMicros: '1' } } },
    { id: 'm-eu', tenantId: 't', slug: 'eu-calls', eventType: 'llm', aggregation: 'COUNT', valueProperty: null, filters: { region: ['eu'] }, prices: {} },
    { id: 'm-peak', tenantId: 't', slug: 'peak', eventType: 'gauge', aggregation: 'MAX', valueProperty: 'v', prices: {} },
  ],
  customers: [
    { id: 'c1', tenantId: 't', subject: 'alice', currency: 'USD', billingMode: 'prepaid',
      subscriptions: [{ id: 's1', planVersionId: 'pv1', startsAtMs: Date.UTC(2026, 10, 1), endsAtMs: Date.UTC(2026, 11, 1) }] },
  ],
  planVersions: [{
    id: 'pv1', currency: 'USD',
    charges: [
      { id: 'ch-tok', meterId: 'm-tok', price: GRADUATED },
      { id: 'ch-eu', meterId: 'm-eu', price: { model: 'per_unit', params: { unitPriceMicros: '1000' } } },
      { id: 'ch-peak', meterId: 'm-peak', price: { model: 'per_unit', params: { unitPriceMicros: '10' } } },
    ],
    entitlements: [{ meterId: 'm-tok', limitQuantity: '12', enforcement: 'hard' }],
  }],
};
const INDEX = indexCatalog(CATALOG);

function ev(id: string, type: string, data: Record<string, unknown>, timeMs = NOV): WireEvent {
  return { tenant: 't', id, source: 's', type, subject: 'alice', timeMs, ingestedAtMs: timeMs, data };
}

const located = (events: WireEvent[], first = 0): LocatedEvent[] => events.map((event, i) => ({ event, partition: 0, offset: first + i }));
const amounts = (rows: RatedRow[]): [string, string, string][] => rows.map((r) => [r.id, r.meter, r.amount_micros]);

describe('rating by plan', () => {
  it('prices through the subscription active at the event time, and through the legacy price outside it', () => {
    const { rated } = rateEvents(located([ev('a', 'llm', { n: 4 }), ev('b', 'llm', { n: 4 }, DEC)]), INDEX);
    expect(rated.map((r) => [r.id, r.price_id, r.price_model, r.amount_micros])).toEqual([
      ['a', 'ch-tok', 'graduated', '400'],
      ['b', 'legacy', 'per_unit', '4'],
    ]);
  });

  it('meters only events whose properties pass the filters', () => {
    const { rated } = rateEvents(located([ev('eu', 'llm', { n: 1, region: 'eu' }), ev('us', 'llm', { n: 1, region: 'us' })]), INDEX);
    expect(rated.filter((r) => r.meter === 'eu-calls').map((r) => r.id)).toEqual(['eu']);
  });

  it('gives the same rows however the events are split into batches, carrying the state between them', () => {
    const events = [3, 5, 1, 2, 9, 0.5, 4].map((n, i) => ev(`e${i}`, 'llm', { n }));
    const whole = rateEvents(located(events), INDEX, { state: new Map() });
    for (const cut of [1, 3, 6]) {
      const state = new Map<string, bigint>();
      const first = rateEvents(located(events.slice(0, cut)), INDEX, { state });
      // The state crosses to the next batch as bytes, like between worker tasks.
      const carried = decodeUsageState(encodeUsageState(state));
      const second = rateEvents(located(events.slice(cut), cut), INDEX, { state: carried });
      expect(amounts([...first.rated, ...second.rated])).toEqual(amounts(whole.rated));
      expect(carried).toEqual(whole.stateChanges);
    }
    // 24.5 tokens: 10 × 100 + 7 + 14.5 × 0.5 = 1,014.25 → 1,014, as a batch total.
    expect(whole.rated.reduce((sum, r) => sum + BigInt(r.amount_micros), 0n)).toBe(1014n);
  });

  it('keeps events rated in an earlier batch out of rows, charges and the running state', () => {
    const events = [ev('x', 'llm', { n: 8 }), ev('y', 'llm', { n: 8 })];
    const result = rateEvents(located(events), INDEX, { state: new Map(), ratedEarlier: new Set(['t\u0000s\u0000x']) });
    expect(result.rated.map((r) => r.id)).toEqual(['y']);
    expect(result.raw).toHaveLength(2);
    expect(result.stateChanges.get(usageStateKey('c1', 'm-tok', '2026-11-01'))).toBe(8_000_000_000n);
    expect(result.charges.map((c) => c.id)).toEqual(['y']);
    expect(result.skips).toEqual([expect.objectContaining({ id: 'x', reason: 'rated_earlier' })]);
  });

  it('rates a MAX meter by how far each event raises the period maximum', () => {
    const { rated, stateChanges } = rateEvents(located([5, 3, 8, 8].map((v, i) => ev(`g${i}`, 'gauge', { v }))), INDEX);
    expect(rated.map((r) => r.amount_micros)).toEqual(['50', '0', '30', '0']);
    expect(stateChanges.get(usageStateKey('c1', 'm-peak', '2026-11-01'))).toBe(8_000_000_000n);
  });

  it('reports an entitlement limit once, at the event that reaches it, per period', () => {
    const events = [6, 5, 1, 4].map((n, i) => ev(`q${i}`, 'llm', { n })).concat(ev('later', 'llm', { n: 20 }, Date.UTC(2026, 10, 30)));
    const { crossings } = rateEvents(located(events), INDEX);
    expect(crossings).toEqual([expect.objectContaining({
      customerId: 'c1', meterSlug: 'tokens', periodStart: '2026-11-01', periodEnd: '2026-12-01', limitQuantity: '12', usageQuantity: '12', enforcement: 'hard',
      event: { source: 's', id: 'q2', time: new Date(NOV).toISOString() },
    })]);
  });

  it('starts each billing period from zero', () => {
    const state = new Map([[usageStateKey('c1', 'm-tok', '2026-10-01'), 50_000_000_000n]]);
    const { rated } = rateEvents(located([ev('first-of-nov', 'llm', { n: 1 })]), INDEX, { state });
    expect(rated[0]!.amount_micros).toBe('100');
  });

  it('skips a charge whose stored price no longer parses, naming it', () => {
    const broken = indexCatalog({ ...CATALOG, version: 'broken', planVersions: [{ ...CATALOG.planVersions![0]!, charges: [{ id: 'bad', meterId: 'm-tok', price: { model: 'nope', params: {} } }] }] });
    const { rated, skips } = rateEvents(located([ev('z', 'llm', { n: 1 })]), broken);
    expect(rated.filter((r) => r.meter === 'tokens')).toEqual([]);
    expect(skips).toContainEqual(expect.objectContaining({ reason: 'no_price', detail: expect.stringContaining('bad') }));
  });
});

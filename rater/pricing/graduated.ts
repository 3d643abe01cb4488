/**
 * `graduated`: each unit is priced at the rate of the tier it falls in (the
 * first 1,000 at 2 micros, the next 9,000 at 1 micro, …), plus an optional flat
 * fee per tier charged once per period when usage first enters that tier.
 *
 * Entering a tier means the period quantity goes above the tier's lower bound:
 * a period with zero usage pays nothing, not even tier 0's flat fee; the first
 * nano of usage enters tier 0. A quantity exactly on an `upTo` is still in that
 * tier; one nano more enters the next.
 *
 * Rounding: the unit amounts of all tiers are summed exactly (atto-micros) and
 * rounded half-even once, on the cumulative total; an event's amount is
 * total(after) − total(before), so events never drift from the period total.
 */
import { marginalByTotals, type ParseResult, type PriceModel } from './price-model.ts';
import { parseTieredParams, type Tier } from './tiers.ts';
import { amountAttoMicros, roundAttoMicros } from './unit-price.ts';

/** A tier with the sums of the tiers below it, computed once at parse time so an event's price is one tier lookup. */
export interface GraduatedTier extends Tier {
  /** Exclusive lower bound: the previous tier's upTo (0 for the first). */
  startNanos: bigint;
  /** Exact unit amount of every lower tier, filled. */
  lowerTiersAttoMicros: bigint;
  /** Flat fees of this tier and every lower one: what a quantity in this tier has entered. */
  flatFeesThroughMicros: bigint;
}

export interface GraduatedParams {
  tiers: readonly GraduatedTier[];
}

function compile(tiers: readonly Tier[]): GraduatedParams {
  let startNanos = 0n;
  let lowerTiersAttoMicros = 0n;
  let flatFeesThroughMicros = 0n;
  const compiled: GraduatedTier[] = [];
  for (const tier of tiers) {
    flatFeesThroughMicros += tier.flatFeeMicros;
    compiled.push({ ...tier, startNanos, lowerTiersAttoMicros, flatFeesThroughMicros });
    if (tier.upToNanos === null) break;
    lowerTiersAttoMicros += amountAttoMicros(tier.upToNanos - startNanos, tier.unitPriceNanoMicros);
    startNanos = tier.upToNanos;
  }
  return { tiers: compiled };
}

function parseParams(json: unknown): ParseResult<GraduatedParams> {
  const parsed = parseTieredParams(json);
  return parsed.ok ? { ok: true, params: compile(parsed.params.tiers) } : parsed;
}

function totalAmountMicros(params: GraduatedParams, quantityNanos: bigint): bigint {
  if (quantityNanos <= 0n) return 0n;
  for (const tier of params.tiers) {
    if (tier.upToNanos === null || quantityNanos <= tier.upToNanos) {
      const unitsAttoMicros = tier.lowerTiersAttoMicros + amountAttoMicros(quantityNanos - tier.startNanos, tier.unitPriceNanoMicros);
      return tier.flatFeesThroughMicros + roundAttoMicros(unitsAttoMicros);
    }
  }
  throw new RangeError('graduated tiers must end with an open-ended tier (parseParams guarantees it)');
}

export const graduated: PriceModel<GraduatedParams> = {
  name: 'graduated',
  scope: 'period',
  parseParams,
  marginalAmountMicros: (params, input) => marginalByTotals(totalAmountMicros, params, input),
  totalAmountMicros,
};

/**
 * `volume`: the whole period quantity is priced at the rate of the tier the
 * period total falls in (10,000 units land in the "up to 10,000" tier, so all
 * 10,000 cost that tier's rate), plus that tier's flat fee. Zero usage is in no
 * tier and costs nothing; a quantity exactly on an `upTo` is in that tier.
 *
 * Streaming: an event's amount is total(after) − total(before), each total
 * rounded half-even once. **It is not monotonic**: an event that moves the
 * period into a cheaper tier re-prices every earlier unit, so its marginal
 * amount can be negative (a credit). E.g. tiers ≤100 at 1,000 micros and above
 * at 500: total(100) = 100,000, total(101) = 50,500, so the 101st unit is rated
 * −49,500 micros. The period total is still exact; consumers of per-event
 * amounts (prepaid wallet debits) must accept negative rows.
 */
import { marginalByTotals, type PriceModel } from './price-model.ts';
import { parseTieredParams, type TieredParams } from './tiers.ts';
import { amountAttoMicros, roundAttoMicros } from './unit-price.ts';

export type VolumeParams = TieredParams;

function totalAmountMicros(params: VolumeParams, quantityNanos: bigint): bigint {
  if (quantityNanos <= 0n) return 0n;
  for (const tier of params.tiers) {
    if (tier.upToNanos === null || quantityNanos <= tier.upToNanos) {
      return tier.flatFeeMicros + roundAttoMicros(amountAttoMicros(quantityNanos, tier.unitPriceNanoMicros));
    }
  }
  throw new RangeError('volume tiers must end with an open-ended tier (parseParams guarantees it)');
}

export const volume: PriceModel<VolumeParams> = {
  name: 'volume',
  scope: 'period',
  parseParams: parseTieredParams,
  marginalAmountMicros: (params, input) => marginalByTotals(totalAmountMicros, params, input),
  totalAmountMicros,
};

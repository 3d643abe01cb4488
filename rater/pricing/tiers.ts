/**
 * Tier lists shared by `graduated` and `volume`. A tier covers the quantities
 * above the previous tier's `upTo` up to and including its own; the first tier
 * starts above 0 and the last is open-ended (`upTo: null`), so every positive
 * quantity falls in exactly one tier.
 */
import { fieldPath, ParamReader } from './params.ts';
import type { ParseResult } from './price-model.ts';

/** Tiers are walked per event; the limit keeps that walk short. */
export const TIERS_MAX = 100;

export interface Tier {
  /** Inclusive upper bound, nano-units; null for the open-ended last tier. */
  upToNanos: bigint | null;
  /** Price of each unit in the tier, nano-micros (see unit-price.ts). */
  unitPriceNanoMicros: bigint;
  /** Charged once per period when usage first enters the tier (or reaches it, for volume). */
  flatFeeMicros: bigint;
}

export interface TieredParams {
  tiers: readonly Tier[];
}

const TIER_FIELDS = ['upTo', 'unitPriceMicros', 'flatFeeMicros'] as const;

/** A tier, or undefined with errors; its bound is returned on its own so the order checks run even when a price is bad. */
function readTier(reader: ParamReader, value: unknown, field: string): { tier?: Tier; upToNanos?: bigint | null } {
  const record = reader.object(value, field, TIER_FIELDS);
  if (!record) return {};
  let upToNanos: bigint | null | undefined = null;
  if (record.upTo === undefined) {
    upToNanos = reader.fail(fieldPath(field, 'upTo'), 'TG_PRICE_FIELD_MISSING', `${fieldPath(field, 'upTo')} is required (null for the last tier)`);
  } else if (record.upTo !== null) {
    upToNanos = reader.decimal9(record, field, 'upTo', 'positive');
  }
  const unitPriceNanoMicros = reader.decimal9(record, field, 'unitPriceMicros', 'non_negative');
  const flatFeeMicros = reader.wholeMicros(record, field, 'flatFeeMicros', 0n);
  if (upToNanos === undefined || unitPriceNanoMicros === undefined || flatFeeMicros === undefined) return { upToNanos };
  return { tier: { upToNanos, unitPriceNanoMicros, flatFeeMicros }, upToNanos };
}

/** Reads `{ tiers: [{ upTo, unitPriceMicros, flatFeeMicros }, …] }`. */
export function parseTieredParams(json: unknown): ParseResult<TieredParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['tiers']);
  if (!record) return reader.invalid();
  const list = record.tiers;
  if (list === undefined) {
    reader.fail('tiers', 'TG_PRICE_FIELD_MISSING', 'tiers is required');
  } else if (!Array.isArray(list)) {
    reader.fail('tiers', 'TG_PRICE_FIELD_TYPE', 'tiers must be an array');
  } else if (list.length === 0) {
    reader.fail('tiers', 'TG_PRICE_TIERS_EMPTY', 'at least one tier is required');
  } else if (list.length > TIERS_MAX) {
    reader.fail('tiers', 'TG_PRICE_TIERS_TOO_MANY', `at most ${TIERS_MAX} tiers, got ${list.length}`);
  }
  if (reader.errors.length > 0 || !Array.isArray(list)) return reader.invalid();

  const read = list.map((value, index) => readTier(reader, value, fieldPath('tiers', index)));
  let previousUpToNanos = 0n;
  read.forEach(({ upToNanos }, index) => {
    if (upToNanos === undefined) return;
    const field = fieldPath(fieldPath('tiers', index), 'upTo');
    const last = index === read.length - 1;
    if (upToNanos === null) {
      if (!last) reader.fail(field, 'TG_PRICE_TIER_OPEN_NOT_LAST', `tier ${index} is open-ended but is not the last tier`);
      return;
    }
    if (last) reader.fail(field, 'TG_PRICE_LAST_TIER_NOT_OPEN', 'the last tier must have upTo null, so every quantity has a price');
    if (index > 0 && upToNanos <= previousUpToNanos) {
      reader.fail(field, 'TG_PRICE_TIERS_NOT_ASCENDING', `tier ${index} must end above the previous tier's upTo`);
    }
    previousUpToNanos = upToNanos;
  });
  return reader.result(() => ({ tiers: read.map(({ tier }) => tier!) }));
}

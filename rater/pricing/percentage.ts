/**
 * `percentage`: a share of a value carried by each event (a payment's amount),
 * plus a fixed fee per event, the sum held between a per-event minimum and
 * maximum — a card processor's "2.9% + 30¢, at least 50¢, at most $10".
 *
 * The meter's quantity is the event's value in units of `valueUnitMicros`
 * (default 1,000,000: the value is in whole currency units, 12.5 = $12.50; use
 * 10,000 for cents or 1 for micros).
 *
 * Scope `transaction`: the fee, minimum and maximum belong to each event, so an
 * event is priced on its own (its rate part rounded half-even, then the fee
 * added, then the clamp) and `quantityBeforeNanos` is ignored. The period's
 * amount is the sum of its events' amounts — a function of the events, not of
 * the period quantity — and `totalAmountMicros(q)` prices one transaction of
 * value q. Rounding per event is what a per-transaction fee means: each
 * transaction's charge is a whole amount of its own, and min/max apply to it.
 *
 * A zero-value event is still a transaction: it pays the fixed fee, raised to
 * the minimum.
 */
import { ParamReader } from './params.ts';
import type { ParseResult, PriceModel } from './price-model.ts';
import { divideHalfEven, NANOS_PER_UNIT } from './quantity.ts';

export interface PercentageParams {
  /** The rate in nano-basis-points: 1 bp = 0.01% = 10^9 nano-bp; at most 100%. */
  rateNanoBasisPoints: bigint;
  /** Added to every event's rate amount before the clamp. */
  fixedFeeMicros: bigint;
  /** Per-event floor, or null for none. */
  minAmountMicros: bigint | null;
  /** Per-event ceiling, or null for none. */
  maxAmountMicros: bigint | null;
  /** Micros in one unit of the event's value. */
  valueUnitMicros: bigint;
}

const BASIS_POINTS_PER_ONE = 10_000n;
const NANO_BASIS_POINTS_MAX = BASIS_POINTS_PER_ONE * NANOS_PER_UNIT;
/** value nanos × valueUnitMicros × nano-bp ÷ this = micros. */
const RATE_DENOMINATOR = NANOS_PER_UNIT * NANOS_PER_UNIT * BASIS_POINTS_PER_ONE;

function readRate(reader: ParamReader, record: Record<string, unknown>): bigint | undefined {
  const hasBasisPoints = record.rateBasisPoints !== undefined;
  const hasPercent = record.ratePercent !== undefined;
  if (hasBasisPoints === hasPercent) {
    return reader.fail(hasBasisPoints ? 'ratePercent' : 'rateBasisPoints', 'TG_PRICE_RATE_CONFLICT',
      hasBasisPoints ? 'give rateBasisPoints or ratePercent, not both' : 'a rate is required: rateBasisPoints ("250") or ratePercent ("2.5")');
  }
  // Both read at 9 decimals: a percent is 100 bp, so a percent's nano-units × 100 are nano-bp.
  const field = hasBasisPoints ? 'rateBasisPoints' : 'ratePercent';
  const scaled = reader.decimal9(record, '', field, 'non_negative');
  if (scaled === undefined) return undefined;
  const nanoBasisPoints = hasBasisPoints ? scaled : scaled * 100n;
  if (nanoBasisPoints > NANO_BASIS_POINTS_MAX) return reader.fail(field, 'TG_PRICE_OUT_OF_RANGE', `${field} must be at most 100%`);
  return nanoBasisPoints;
}

function parseParams(json: unknown): ParseResult<PercentageParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['rateBasisPoints', 'ratePercent', 'fixedFeeMicros', 'minAmountMicros', 'maxAmountMicros', 'valueUnitMicros']);
  if (!record) return reader.invalid();
  const rateNanoBasisPoints = readRate(reader, record);
  const fixedFeeMicros = reader.wholeMicros(record, '', 'fixedFeeMicros', 0n);
  const minAmountMicros = reader.optionalWholeMicros(record, '', 'minAmountMicros');
  const maxAmountMicros = reader.optionalWholeMicros(record, '', 'maxAmountMicros');
  let valueUnitMicros = reader.wholeMicros(record, '', 'valueUnitMicros', 1_000_000n);
  if (valueUnitMicros === 0n) valueUnitMicros = reader.fail('valueUnitMicros', 'TG_PRICE_NOT_POSITIVE', 'valueUnitMicros must be greater than zero');
  if (typeof minAmountMicros === 'bigint' && typeof maxAmountMicros === 'bigint' && minAmountMicros > maxAmountMicros) {
    reader.fail('minAmountMicros', 'TG_PRICE_MIN_ABOVE_MAX', `minAmountMicros ${minAmountMicros} is above maxAmountMicros ${maxAmountMicros}`);
  }
  return reader.result(() => ({
    rateNanoBasisPoints: rateNanoBasisPoints!, fixedFeeMicros: fixedFeeMicros!,
    minAmountMicros: minAmountMicros as bigint | null, maxAmountMicros: maxAmountMicros as bigint | null, valueUnitMicros: valueUnitMicros!,
  }));
}

function totalAmountMicros(params: PercentageParams, valueNanos: bigint): bigint {
  const rateAmountMicros = divideHalfEven(valueNanos * params.valueUnitMicros * params.rateNanoBasisPoints, RATE_DENOMINATOR);
  let amountMicros = rateAmountMicros + params.fixedFeeMicros;
  if (params.minAmountMicros !== null && amountMicros < params.minAmountMicros) amountMicros = params.minAmountMicros;
  if (params.maxAmountMicros !== null && amountMicros > params.maxAmountMicros) amountMicros = params.maxAmountMicros;
  return amountMicros;
}

export const percentage: PriceModel<PercentageParams> = {
  name: 'percentage',
  scope: 'transaction',
  parseParams,
  marginalAmountMicros: (params, input) => totalAmountMicros(params, input.quantityNanos),
  totalAmountMicros,
};

/**
 * One interface for every price model (one module per model, Lago-style): given
 * the running quantity before an event and the event's quantity, the marginal
 * amount the event adds. Marginal pricing lets graduated tiers price each event
 * at its own rate while streaming; `totalAmountMicros` is the same price applied
 * in batch, and the two must agree (see `scope` and streaming-batch.test.ts).
 */
import type { ParamError } from './params.ts';

export interface PriceInput {
  /** Quantity of this customer, meter and period before this event, nano-units. */
  quantityBeforeNanos: bigint;
  /** This event's quantity, nano-units. */
  quantityNanos: bigint;
}

export type ParseResult<Params> = { ok: true; params: Params } | { ok: false; errors: ParamError[] };

/**
 * How an event's amount relates to the period's amount — this is what
 * "streaming == batch" means for the model:
 * - `period`: the amount is a function of the period's running quantity.
 *   marginal = total(before + q) − total(before), so the events of a period sum
 *   to `totalAmountMicros(Σq)` exactly, however the period is split into events
 *   (graduated, volume, package, free_allowance).
 * - `event`: each event is priced and rounded on its own; `quantityBeforeNanos`
 *   is ignored. The period's amount is Σ totalAmountMicros(qᵢ) over its events, in
 *   any order or batching. It differs from `totalAmountMicros(Σq)` by rounding
 *   only (at most ½ micro per event), because the price is linear (per_unit).
 * - `transaction`: like `event`, and the amount also has per-event terms (fixed
 *   fee, minimum, maximum), so `totalAmountMicros(q)` prices one transaction of
 *   value q and a period has no quantity-only total (percentage).
 */
export type PriceScope = 'period' | 'event' | 'transaction';

export interface PriceModel<Params> {
  /** The model name stored in the catalog and on rated rows. */
  readonly name: string;
  readonly scope: PriceScope;
  /** Validates catalog JSON into params; every problem is reported with a field path and a stable code. */
  parseParams(json: unknown): ParseResult<Params>;
  /** Amount this event adds, in micro-units of the price's currency. May be negative (volume tiers, corrections). */
  marginalAmountMicros(params: Params, input: PriceInput): bigint;
  /** Amount of `quantityNanos` priced at once (a whole period, or one event for event/transaction scope), in micros. */
  totalAmountMicros(params: Params, quantityNanos: bigint): bigint;
}

/**
 * A model bound to its parsed params: what the catalog hands the rater, so the
 * hot path never looks a model up by name or re-validates params.
 */
export interface Price {
  readonly model: string;
  readonly scope: PriceScope;
  marginalAmountMicros(input: PriceInput): bigint;
  totalAmountMicros(quantityNanos: bigint): bigint;
}

export function bindPrice<Params>(model: PriceModel<Params>, params: Params): Price {
  return {
    model: model.name,
    scope: model.scope,
    marginalAmountMicros: (input) => model.marginalAmountMicros(params, input),
    totalAmountMicros: (quantityNanos) => model.totalAmountMicros(params, quantityNanos),
  };
}

/**
 * The marginal amount of a `period`-scope model: the difference of two
 * cumulative totals, each rounded once, so per-event amounts never drift from
 * the period total (the sum telescopes to total(after of the last event)).
 */
export function marginalByTotals<Params>(
  totalAmountMicros: (params: Params, quantityNanos: bigint) => bigint,
  params: Params,
  input: PriceInput,
): bigint {
  const quantityAfterNanos = input.quantityBeforeNanos + input.quantityNanos;
  return totalAmountMicros(params, quantityAfterNanos) - totalAmountMicros(params, input.quantityBeforeNanos);
}

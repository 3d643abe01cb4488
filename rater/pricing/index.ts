/**
 * The pricing registry: model name → model. A new model is a new file
 * implementing `PriceModel` (or `PeriodCharge`) plus one line here; nothing
 * else branches on model names.
 *
 * Catalog prices are `{ "model": "<name>", "params": { … } }`. `parsePrice`
 * validates one into a bound `Price` the rater calls per event;
 * `parsePeriodCharge` does the same for the invoicer's period-level charges.
 */
import { flatFee } from './flat-fee.ts';
import { createFreeAllowance } from './free-allowance.ts';
import { graduated } from './graduated.ts';
import { minimumCommitment } from './minimum-commitment.ts';
import { packageModel } from './package.ts';
import { fieldPath, ParamReader, type ParamError } from './params.ts';
import { percentage } from './percentage.ts';
import { perUnit } from './per-unit.ts';
import type { PeriodCharge, PeriodChargeInput } from './period.ts';
import { bindPrice, type ParseResult, type Price, type PriceModel } from './price-model.ts';
import { volume } from './volume.ts';

// Params are typed per model; the registries hold them as `unknown`, which is
// sound because a model only ever receives params from its own parseParams.

/** Per-event price models, priced by the rater at each event's marginal rate. */
export const PRICE_MODELS: Readonly<Record<string, PriceModel<unknown>>> = {
  per_unit: perUnit,
  graduated,
  volume,
  package: packageModel,
  percentage,
  free_allowance: createFreeAllowance((json) => parsePrice(json)),
};

/** Period-level charges, computed by the invoicer once per customer and period. */
export const PERIOD_CHARGES: Readonly<Record<string, PeriodCharge<unknown>>> = {
  flat_fee: flatFee,
  minimum_commitment: minimumCommitment,
};

/** A period charge bound to its parsed params. */
export interface BoundPeriodCharge {
  readonly name: string;
  amountMicros(input: PeriodChargeInput): bigint;
}

/** Reads `{ model, params }`, finds the model, and reports params errors under `params.…`. */
function parseNamed<Entry extends { parseParams(json: unknown): ParseResult<unknown> }, Bound>(
  json: unknown, registry: Readonly<Record<string, Entry>>, what: string, bind: (entry: Entry, params: unknown) => Bound,
): ParseResult<Bound> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['model', 'params']);
  if (!record) return reader.invalid();
  const name = record.model;
  if (typeof name !== 'string') {
    reader.fail('model', name === undefined ? 'TG_PRICE_FIELD_MISSING' : 'TG_PRICE_FIELD_TYPE', `model must be the name of a ${what}`);
    return reader.invalid();
  }
  const entry = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!entry) {
    reader.fail('model', 'TG_PRICE_MODEL_UNKNOWN', `unknown ${what} "${name.slice(0, 40)}"; expected one of ${Object.keys(registry).join(', ')}`);
    return reader.invalid();
  }
  const parsed = entry.parseParams(record.params === undefined ? {} : record.params);
  if (!parsed.ok) {
    const errors: ParamError[] = parsed.errors.map((error) => ({ ...error, field: fieldPath('params', error.field) }));
    reader.errors.push(...errors);
    return reader.invalid();
  }
  return reader.result(() => bind(entry, parsed.params));
}

export function parsePrice(json: unknown): ParseResult<Price> {
  return parseNamed(json, PRICE_MODELS, 'price model', bindPrice);
}

export function parsePeriodCharge(json: unknown): ParseResult<BoundPeriodCharge> {
  return parseNamed(json, PERIOD_CHARGES, 'period charge', (charge, params) => ({
    name: charge.name,
    amountMicros: (input: PeriodChargeInput) => charge.amountMicros(params, input),
  }));
}

export { bindPrice, type ParseResult, type Price, type PriceInput, type PriceModel, type PriceScope } from './price-model.ts';
export { PRICE_PARAM_ERROR_CODES, type ParamError, type PriceParamErrorCode } from './params.ts';
export type { PeriodCharge, PeriodChargeInput, PeriodSpan } from './period.ts';

/**
 * `flat_fee`: a recurring fee per billing period (a platform fee, a seat). For
 * a subscription active part of the period it is prorated by days, half-even:
 * 30,000,000 micros for 10 of November's 30 days is 10,000,000. `prorate:
 * false` charges the whole fee for any active day.
 */
import { ParamReader } from './params.ts';
import { prorateMicros, spanDays, type PeriodCharge } from './period.ts';
import type { ParseResult } from './price-model.ts';

export interface FlatFeeParams {
  amountMicros: bigint;
  prorate: boolean;
}

function parseParams(json: unknown): ParseResult<FlatFeeParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['amountMicros', 'prorate']);
  if (!record) return reader.invalid();
  const amountMicros = reader.wholeMicros(record, '', 'amountMicros');
  const prorate = reader.boolean(record, '', 'prorate', true);
  return reader.result(() => ({ amountMicros: amountMicros!, prorate: prorate! }));
}

export const flatFee: PeriodCharge<FlatFeeParams> = {
  name: 'flat_fee',
  parseParams,
  amountMicros(params, input) {
    const { periodDays, activeDays } = spanDays(input.span);
    if (activeDays === 0) return 0n;
    return params.prorate ? prorateMicros(params.amountMicros, activeDays, periodDays) : params.amountMicros;
  },
};

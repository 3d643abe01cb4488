/**
 * `minimum_commitment`: the customer commits to spend at least an amount per
 * period on usage; the invoice gets a top-up line for the shortfall:
 *
 *   top-up = max(0, commitment − period usage amount)
 *
 * The usage amount is the period's usage charges (the sum of rated amounts,
 * before discounts and taxes; volume credits included). A subscription active
 * part of the period commits to a share prorated by days, half-even, unless
 * `prorate: false`.
 */
import { ParamReader } from './params.ts';
import { prorateMicros, spanDays, type PeriodCharge } from './period.ts';
import type { ParseResult } from './price-model.ts';

export interface MinimumCommitmentParams {
  commitmentMicros: bigint;
  prorate: boolean;
}

function parseParams(json: unknown): ParseResult<MinimumCommitmentParams> {
  const reader = new ParamReader();
  const record = reader.object(json, '', ['commitmentMicros', 'prorate']);
  if (!record) return reader.invalid();
  const commitmentMicros = reader.wholeMicros(record, '', 'commitmentMicros');
  const prorate = reader.boolean(record, '', 'prorate', true);
  return reader.result(() => ({ commitmentMicros: commitmentMicros!, prorate: prorate! }));
}

export const minimumCommitment: PeriodCharge<MinimumCommitmentParams> = {
  name: 'minimum_commitment',
  parseParams,
  amountMicros(params, input) {
    const { periodDays, activeDays } = spanDays(input.span);
    if (activeDays === 0) return 0n;
    const commitmentMicros = params.prorate ? prorateMicros(params.commitmentMicros, activeDays, periodDays) : params.commitmentMicros;
    const shortfallMicros = commitmentMicros - input.usageAmountMicros;
    return shortfallMicros > 0n ? shortfallMicros : 0n;
  },
};

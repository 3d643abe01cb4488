/**
 * Period-level charges: computed once per customer and billing period by the
 * invoicer, not per event (flat recurring fee, minimum commitment).
 *
 * Periods and subscriptions are UTC calendar dates, `YYYY-MM-DD`, end
 * exclusive: November 2026 is 2026-11-01 … 2026-12-01 (30 days). Proration is
 * by whole days: amount × active days ÷ period days, rounded half-even.
 */
import type { ParseResult } from './price-model.ts';
import { divideHalfEven } from './quantity.ts';

export interface PeriodSpan {
  periodStart: string;
  /** Exclusive. */
  periodEnd: string;
  /** First active day, when the subscription started inside the period; absent = from the period start. */
  activeFrom?: string;
  /** Exclusive; when the subscription ended inside the period; absent = to the period end. */
  activeUntil?: string;
}

export interface PeriodChargeInput {
  span: PeriodSpan;
  /** The period's usage charges (sum of rated amounts), micros; read by minimum commitment. */
  usageAmountMicros: bigint;
}

export interface PeriodCharge<Params> {
  readonly name: string;
  parseParams(json: unknown): ParseResult<Params>;
  /** The charge's invoice line for the period, micros (never negative). */
  amountMicros(params: Params, input: PeriodChargeInput): bigint;
}

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date; throws RangeError for anything else (Feb 30 included). */
export function dayNumber(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const ms = Date.UTC(year, month - 1, day);
    const check = new Date(ms);
    if (check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day) return ms / MS_PER_DAY;
  }
  throw new RangeError(`"${date.slice(0, 40)}" is not a YYYY-MM-DD calendar date`);
}

/** Days in the period and days of it the subscription was active (0 when they do not overlap). */
export function spanDays(span: PeriodSpan): { periodDays: number; activeDays: number } {
  const start = dayNumber(span.periodStart);
  const end = dayNumber(span.periodEnd);
  if (end <= start) throw new RangeError(`period ${span.periodStart} … ${span.periodEnd} is empty`);
  const activeStart = Math.max(start, span.activeFrom === undefined ? start : dayNumber(span.activeFrom));
  const activeEnd = Math.min(end, span.activeUntil === undefined ? end : dayNumber(span.activeUntil));
  return { periodDays: end - start, activeDays: Math.max(0, activeEnd - activeStart) };
}

/** amount × activeDays ÷ periodDays, half-even to micros. */
export function prorateMicros(amountMicros: bigint, activeDays: number, periodDays: number): bigint {
  if (!Number.isInteger(activeDays) || !Number.isInteger(periodDays) || activeDays < 0 || activeDays > periodDays) {
    throw new RangeError(`cannot prorate ${activeDays} active days of ${periodDays}`);
  }
  return divideHalfEven(amountMicros * BigInt(activeDays), BigInt(periodDays));
}

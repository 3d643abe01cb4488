/**
 * The invoice computation, pure: charges in, lines and totals out. No I/O, so
 * every rule is table-tested (compute.test.ts). The order, which the lines on
 * the document follow:
 *
 *  1. Charges: recurring fees (period charges), usage of the period, late
 *     usage of earlier periods (rated after their invoice), then the
 *     minimum-commitment top-up (its shortfall is measured against this
 *     period's usage only, before discounts).
 *  2. Discounts (the order rater/README.md "Discounts" documents for the
 *     catalog): the eligible ones are the automatic discounts and the coupon
 *     discounts of redemptions covering the period, whose conditions hold
 *     (customer type; `minSubtotalMicros` tested on the subtotal before any
 *     discount, for every discount). Percentages go first, then fixed
 *     amounts, each group by (createdAt, id). A percentage takes basis points
 *     of what the previous ones left (half-even); a fixed amount takes at
 *     most what is left, so the running amount never goes below 0. Each
 *     discount is spread over the charge lines in proportion to their
 *     remaining amounts (largest remainder), so tax sees the discounted
 *     amount of every line.
 *  3. Tax per line: the rate of the customer's jurisdiction × the line's
 *     product category, unless the customer is exempt (wholly or for that
 *     category); half-even to micros per line, shown summed per rate.
 *  4. Rounding: the total is rounded half-even to the currency's minor units
 *     and the difference is a line of its own, so lines always add up.
 *
 * Wallet credit, prepaid usage and payments come later (finalization, the
 * ledger) and change what is due, never the total.
 */
import type { BoundPeriodCharge, PeriodSpan } from '../rater/pricing/index.ts';
import { allocateProportionally, applyPpm, divideHalfEven, roundToMinorUnits } from './money.ts';

export type ChargeKind = 'recurring' | 'usage' | 'late_usage' | 'minimum_commitment';
export type LineKind = ChargeKind | 'discount' | 'tax' | 'rounding';

export interface UsageCharge {
  kind: 'usage' | 'late_usage';
  description: string;
  productCategory: string;
  /** `YYYY-MM` the usage happened in. */
  servicePeriod: string;
  quantity: string;
  amountMicros: bigint;
  cause: Record<string, string>;
}

export interface PeriodChargeLine {
  description: string;
  productCategory: string;
  charge: BoundPeriodCharge;
  cause: Record<string, string>;
  /** The subscription's share of the period (proration); absent = the invoice's span. */
  span?: PeriodSpan;
}

export interface DiscountRule {
  id: string;
  name: string;
  trigger: 'coupon' | 'automatic';
  couponCode?: string;
  redemptionId?: string;
  /** Orders discounts within their group. */
  createdAtMs: number;
  kind: 'percentage' | 'fixed';
  percentBasisPoints?: number | null;
  amountMicros?: bigint | null;
  /** A discount applies to invoices in this currency only; null = any (percentages only). */
  currency?: string | null;
  customerType?: string | null;
  minSubtotalMicros?: bigint | null;
}

export interface TaxRule {
  rateId: string;
  label: string;
  ratePpm: number;
}

export interface InvoiceComputationInput {
  currency: string;
  /** `YYYY-MM`. */
  period: string;
  span: PeriodSpan;
  customerType: string;
  /** Every category exempt. */
  taxExempt: boolean;
  /** Categories exempt (`*` = all). */
  exemptCategories: readonly string[];
  /** Rates of the customer's jurisdiction by product category. */
  taxRules: ReadonlyMap<string, TaxRule>;
  periodCharges: readonly PeriodChargeLine[];
  usage: readonly UsageCharge[];
  /** Coupon discounts of redemptions whose duration covers the period (`couponCoversPeriod`). */
  coupons: readonly DiscountRule[];
  automaticDiscounts: readonly DiscountRule[];
}

export interface ComputedLine {
  kind: LineKind;
  description: string;
  productCategory: string;
  servicePeriod: string;
  quantity: string;
  amountMicros: bigint;
  /** Discounts spread onto this charge line (≤ 0). */
  discountMicros: bigint;
  taxMicros: bigint;
  taxRatePpm: number;
  cause: Record<string, string>;
}

export interface ComputedInvoice {
  lines: ComputedLine[];
  /** This period's usage (the rater's total for the period; late usage excluded). */
  usageMicros: bigint;
  lateUsageMicros: bigint;
  /** Charges after discounts. */
  subtotalMicros: bigint;
  /** ≤ 0. */
  discountMicros: bigint;
  taxMicros: bigint;
  roundingMicros: bigint;
  /** Whole minor units. */
  totalMicros: bigint;
}

const BASIS_POINTS = 10_000n;

function chargeLine(kind: ChargeKind, description: string, productCategory: string, servicePeriod: string, quantity: string,
  amountMicros: bigint, cause: Record<string, string>): ComputedLine {
  return { kind, description, productCategory, servicePeriod, quantity, amountMicros, discountMicros: 0n, taxMicros: 0n, taxRatePpm: 0, cause };
}

function discountApplies(rule: DiscountRule, input: InvoiceComputationInput, grossMicros: bigint): boolean {
  if (rule.currency && rule.currency !== input.currency) return false;
  if (rule.kind === 'fixed' && !rule.currency) return false;
  if (rule.customerType && rule.customerType !== input.customerType) return false;
  if (rule.minSubtotalMicros !== undefined && rule.minSubtotalMicros !== null && grossMicros < rule.minSubtotalMicros) return false;
  return true;
}

/** What the discount takes from `leftMicros` (≥ 0, ≤ left). */
export function discountAmountMicros(rule: DiscountRule, leftMicros: bigint): bigint {
  if (leftMicros <= 0n) return 0n;
  if (rule.kind === 'percentage') return divideHalfEven(leftMicros * BigInt(rule.percentBasisPoints ?? 0), BASIS_POINTS);
  const amount = rule.amountMicros ?? 0n;
  return amount < leftMicros ? amount : leftMicros;
}

/** Orders the discounts as documented above: percentages, then fixed amounts, each by (createdAt, id). */
export function orderedDiscounts(input: InvoiceComputationInput): DiscountRule[] {
  const group = (d: DiscountRule): number => (d.kind === 'percentage' ? 0 : 1);
  return [...input.coupons, ...input.automaticDiscounts].sort((a, b) => group(a) - group(b) || a.createdAtMs - b.createdAtMs
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function taxFor(input: InvoiceComputationInput, category: string): TaxRule | undefined {
  if (input.taxExempt || input.exemptCategories.includes('*') || input.exemptCategories.includes(category)) return undefined;
  return input.taxRules.get(category);
}

export function computeInvoice(input: InvoiceComputationInput): ComputedInvoice {
  const charges: ComputedLine[] = [];
  let usageMicros = 0n;
  let lateUsageMicros = 0n;
  for (const u of input.usage) if (u.kind === 'usage') usageMicros += u.amountMicros; else lateUsageMicros += u.amountMicros;
  const recurring = input.periodCharges.filter((p) => p.charge.name !== 'minimum_commitment');
  const commitments = input.periodCharges.filter((p) => p.charge.name === 'minimum_commitment');
  const chargeInput = (p: PeriodChargeLine): { span: PeriodSpan; usageAmountMicros: bigint } => ({ span: p.span ?? input.span, usageAmountMicros: usageMicros });
  for (const p of recurring) {
    charges.push(chargeLine('recurring', p.description, p.productCategory, input.period, '', p.charge.amountMicros(chargeInput(p)), p.cause));
  }
  for (const u of input.usage.filter((x) => x.kind === 'usage')) {
    charges.push(chargeLine('usage', u.description, u.productCategory, u.servicePeriod, u.quantity, u.amountMicros, u.cause));
  }
  for (const u of input.usage.filter((x) => x.kind === 'late_usage')) {
    charges.push(chargeLine('late_usage', u.description, u.productCategory, u.servicePeriod, u.quantity, u.amountMicros, u.cause));
  }
  for (const p of commitments) {
    const amount = p.charge.amountMicros(chargeInput(p));
    if (amount > 0n) charges.push(chargeLine('minimum_commitment', p.description, p.productCategory, input.period, '', amount, p.cause));
  }
  const grossMicros = charges.reduce((sum, l) => sum + l.amountMicros, 0n);

  const discountLines: ComputedLine[] = [];
  for (const rule of orderedDiscounts(input)) {
    if (!discountApplies(rule, input, grossMicros)) continue;
    const weights = charges.map((l) => { const net = l.amountMicros + l.discountMicros; return net > 0n ? net : 0n; });
    const left = weights.reduce((a, b) => a + b, 0n);
    const amount = discountAmountMicros(rule, left);
    if (amount === 0n) continue;
    allocateProportionally(amount, weights).forEach((part, i) => { charges[i]!.discountMicros -= part; });
    const cause: Record<string, string> = { discountId: rule.id, trigger: rule.trigger };
    if (rule.couponCode) cause.couponCode = rule.couponCode;
    if (rule.redemptionId) cause.redemptionId = rule.redemptionId;
    discountLines.push({ ...chargeLine('recurring', rule.couponCode ? `${rule.name} (coupon ${rule.couponCode})` : rule.name, '',
      input.period, '', -amount, cause), kind: 'discount' });
  }

  const taxLines = new Map<string, ComputedLine>();
  for (const line of charges) {
    const rule = taxFor(input, line.productCategory);
    if (!rule) continue;
    line.taxRatePpm = rule.ratePpm;
    line.taxMicros = applyPpm(line.amountMicros + line.discountMicros, rule.ratePpm);
    const taxLine = taxLines.get(rule.rateId) ?? { ...chargeLine('recurring', rule.label, line.productCategory, input.period, '', 0n,
      { taxRateId: rule.rateId }), kind: 'tax' as const, taxRatePpm: rule.ratePpm };
    taxLine.amountMicros += line.taxMicros;
    taxLines.set(rule.rateId, taxLine);
  }

  const discountMicros = discountLines.reduce((s, l) => s + l.amountMicros, 0n);
  const subtotalMicros = grossMicros + discountMicros;
  const taxMicros = [...taxLines.values()].reduce((s, l) => s + l.amountMicros, 0n);
  const unrounded = subtotalMicros + taxMicros;
  const totalMicros = roundToMinorUnits(unrounded, input.currency);
  const roundingMicros = totalMicros - unrounded;
  const lines = [...charges, ...discountLines, ...taxLines.values()];
  if (roundingMicros !== 0n) {
    lines.push({ ...chargeLine('recurring', 'Rounding to minor units', '', input.period, '', roundingMicros, { rule: 'half-even' }), kind: 'rounding' });
  }
  assertInvoiceAddsUp(lines, charges, totalMicros);
  return { lines, usageMicros, lateUsageMicros, subtotalMicros, discountMicros, taxMicros, roundingMicros, totalMicros };
}

/** Invariants, in code (not only in tests): discounts spread = discount lines, line taxes = tax lines, lines = total. */
function assertInvoiceAddsUp(lines: readonly ComputedLine[], charges: readonly ComputedLine[], totalMicros: bigint): void {
  const spread = charges.reduce((s, l) => s + l.discountMicros, 0n);
  const discounted = lines.filter((l) => l.kind === 'discount').reduce((s, l) => s + l.amountMicros, 0n);
  const lineTax = charges.reduce((s, l) => s + l.taxMicros, 0n);
  const taxed = lines.filter((l) => l.kind === 'tax').reduce((s, l) => s + l.amountMicros, 0n);
  const sum = lines.reduce((s, l) => s + l.amountMicros, 0n);
  if (spread !== discounted || lineTax !== taxed || sum !== totalMicros) {
    throw new Error(`invoice does not add up: discounts ${spread}/${discounted}, tax ${lineTax}/${taxed}, lines ${sum} vs total ${totalMicros}`);
  }
}

/** Whether a coupon redeemed for `firstPeriod` with `periodCount` periods (null = forever) covers `period` (all `YYYY-MM`). */
export function couponCoversPeriod(firstPeriod: string, periodCount: number | null, period: string): boolean {
  const index = periodIndex(period) - periodIndex(firstPeriod);
  if (index < 0) return false;
  return periodCount === null || index < periodCount;
}

/** Months since year 0 of a `YYYY-MM` period. */
export function periodIndex(period: string): number {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) throw new RangeError(`"${period.slice(0, 20)}" is not a YYYY-MM period`);
  return Number(match[1]) * 12 + Number(match[2]) - 1;
}

/** `YYYY-MM` → its first day and the next month's first day (`YYYY-MM-DD`, end exclusive). */
export function periodSpan(period: string): { periodStart: string; periodEnd: string } {
  const index = periodIndex(period);
  const next = index + 1;
  const fmt = (i: number): string => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}-01`;
  return { periodStart: fmt(index), periodEnd: fmt(next) };
}

export function previousPeriod(period: string, back = 1): string {
  const i = periodIndex(period) - back;
  return `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;
}

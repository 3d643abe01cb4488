/**
 * Builds the invoices of one batch of customers (one tenant): reads the
 * batch's usage and discounts, computes each invoice, and asserts its usage
 * lines equal the rater's total for the period. A customer whose invoice
 * cannot be built is reported with the reason; its neighbours are not held up.
 */
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Database } from '../platform/postgres.ts';
import { idFromName } from '../ledger/index.ts';
import type { PeriodSpan } from '../rater/pricing/index.ts';
import { computeInvoice, periodSpan, type ComputedInvoice, type PeriodChargeLine } from './compute.ts';
import {
  lookbackPeriods, readBilledUsage, readCouponDiscounts, readExemptions, readUsage, readUsageTotals, taxRulesFor, usageCharges,
  type BillingCatalog, type DueCustomer,
} from './source.ts';

export interface BuiltInvoice {
  id: string;
  tenantId: string;
  customerId: string;
  customerName: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  billTo: Record<string, unknown>;
  computed: ComputedInvoice;
}

export interface BuildFailure {
  tenantId: string;
  customerId: string;
  reason: string;
}

export class UsageMismatchError extends Error {}

export function invoiceIdFor(tenantId: string, customerId: string, period: string): string {
  return idFromName(`invoice:${tenantId}:${customerId}:${period}`);
}

const MS_PER_DAY = 86_400_000;
/** The subscription's days within the period, as PeriodSpan dates (a subscription ending mid-day counts that day). */
export function subscriptionSpan(period: string, startsAt: Date, endsAt: Date | null): PeriodSpan {
  const { periodStart, periodEnd } = periodSpan(period);
  const day = (d: Date): string => d.toISOString().slice(0, 10);
  const from = day(startsAt) > periodStart ? day(startsAt) : undefined;
  let until: string | undefined;
  if (endsAt) {
    const endDay = endsAt.getTime() % MS_PER_DAY === 0 ? day(endsAt) : day(new Date(endsAt.getTime() + MS_PER_DAY));
    if (endDay < periodEnd) until = endDay;
  }
  return { periodStart, periodEnd, ...(from ? { activeFrom: from } : {}), ...(until ? { activeUntil: until } : {}) };
}

export async function buildInvoices(db: Database, clickhouse: ClickHouseClient, catalog: BillingCatalog, period: string,
  tenantId: string, customers: readonly DueCustomer[]): Promise<{ built: BuiltInvoice[]; failures: BuildFailure[] }> {
  const ids = customers.map((c) => c.customerId);
  const { periodStart, periodEnd } = periodSpan(period);
  const lookback = lookbackPeriods(period);
  const oldest = periodSpan(lookback[lookback.length - 1]!).periodStart;
  const [groups, totals, billedUsage, coupons, exemptions] = await Promise.all([
    readUsage(clickhouse, tenantId, ids, oldest, periodEnd),
    readUsageTotals(clickhouse, tenantId, ids, period),
    readBilledUsage(db, tenantId, ids, lookback),
    readCouponDiscounts(db, tenantId, ids, period),
    readExemptions(db, tenantId, ids),
  ]);
  const groupsByCustomer = new Map<string, typeof groups>();
  for (const g of groups) groupsByCustomer.set(g.customerId, [...(groupsByCustomer.get(g.customerId) ?? []), g]);

  const built: BuiltInvoice[] = [];
  const failures: BuildFailure[] = [];
  for (const customer of customers) {
    try {
      const customerGroups = groupsByCustomer.get(customer.customerId) ?? [];
      const foreign = customerGroups.find((g) => g.currency !== customer.currency);
      if (foreign) throw new UsageMismatchError(`usage rated in ${foreign.currency}, customer bills in ${customer.currency}`);
      const periodCharges: PeriodChargeLine[] = [];
      for (const s of customer.subscriptions) {
        const version = catalog.planVersions.get(s.planVersionId);
        if (!version) throw new Error(`plan version ${s.planVersionId} not found`);
        if (version.errors.length > 0) throw new Error(version.errors.join('; '));
        const span = subscriptionSpan(period, s.startsAt, s.endsAt);
        periodCharges.push(...version.periodCharges.map((p) => ({ ...p, span, cause: { ...p.cause, subscriptionId: s.id } })));
      }
      const usage = usageCharges(customerGroups, period, catalog, billedUsage.billed, billedUsage.invoicedPeriods);
      const computed = computeInvoice({
        currency: customer.currency, period, span: { periodStart, periodEnd }, customerType: customer.customerType,
        taxExempt: customer.taxExempt, exemptCategories: exemptions.get(customer.customerId) ?? [],
        taxRules: taxRulesFor(catalog, tenantId, customer.jurisdiction), periodCharges, usage,
        coupons: coupons.get(customer.customerId) ?? [], automaticDiscounts: catalog.automaticDiscounts.get(tenantId) ?? [],
      });
      const raterTotal = totals.get(customer.customerId) ?? 0n;
      if (computed.usageMicros !== raterTotal) {
        throw new UsageMismatchError(`usage lines ${computed.usageMicros} ≠ rater total ${raterTotal} for ${period}`);
      }
      built.push({
        id: invoiceIdFor(tenantId, customer.customerId, period), tenantId, customerId: customer.customerId, customerName: customer.name,
        period, periodStart, periodEnd, currency: customer.currency, computed,
        billTo: { name: customer.name, subject: customer.subject, email: customer.email, jurisdiction: customer.jurisdiction,
          customerType: customer.customerType, taxExempt: customer.taxExempt, taxId: customer.taxId,
          exemptCategories: exemptions.get(customer.customerId) ?? [] },
      });
    } catch (err) {
      failures.push({ tenantId, customerId: customer.customerId, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { built, failures };
}

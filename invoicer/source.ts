/**
 * The invoicer's input adapter: what is due (subscriptions active in the
 * period, customers without an invoice for it), the catalog facts an invoice
 * needs (period charges, charge names, discounts, coupon redemptions, tax
 * rates, exemptions), and the period's usage from ClickHouse. Everything is
 * read per batch of customers, in a handful of queries whatever the batch size.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { clickhouseStringArrayLiteral, clickhouseStringLiteral, type ClickHouseClient } from '../platform/clickhouse.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { parsePeriodCharge } from '../rater/pricing/index.ts';
import { couponCoversPeriod, periodSpan, previousPeriod, type DiscountRule, type PeriodChargeLine, type TaxRule, type UsageCharge } from './compute.ts';

/** Line categories when a plan charge names none (taxes are by jurisdiction × category). */
export const DEFAULT_CATEGORY = { usage: 'usage', period: 'subscription' } as const;
/** Late usage is looked for this many periods back. */
export const LATE_USAGE_LOOKBACK_PERIODS = 3;

export interface DueSubscription {
  id: string;
  planVersionId: string;
  startsAt: Date;
  endsAt: Date | null;
}

export interface DueCustomer {
  tenantId: string;
  customerId: string;
  subject: string;
  name: string;
  currency: string;
  jurisdiction: string | null;
  customerType: string;
  taxExempt: boolean;
  taxId: string | null;
  email: string | null;
  subscriptions: DueSubscription[];
}

export interface DueSelection {
  period: string;
  tenantId?: string;
  /** Customer ids or subjects. */
  customers?: readonly string[];
}

/** Customers with a subscription active in the period and no invoice for it yet, and how many already have one. */
export async function selectDueCustomers(db: Database, selection: DueSelection): Promise<{ due: DueCustomer[]; alreadyInvoiced: number }> {
  const { periodStart, periodEnd } = periodSpan(selection.period);
  const filters = [sql`s.starts_at < ${periodEnd}::timestamptz`, sql`(s.ends_at IS NULL OR s.ends_at > ${periodStart}::timestamptz)`];
  if (selection.tenantId) filters.push(sql`s.tenant_id = ${selection.tenantId}`);
  if (selection.customers && selection.customers.length > 0) {
    filters.push(sql`(c.id::text = ANY(${sql.param([...selection.customers])}::text[]) OR c.subject = ANY(${sql.param([...selection.customers])}::text[]))`);
  }
  const rows = await db.execute<{
    tenant_id: string; customer_id: string; subject: string; name: string; currency: string; jurisdiction: string | null;
    customer_type: string; tax_exempt: boolean; tax_id: string | null; email: string | null; subscription_id: string;
    plan_version_id: string; starts_at: Date; ends_at: Date | null; invoiced: boolean;
  } & Record<string, unknown>>(sql`
    SELECT c.tenant_id, c.id::text AS customer_id, c.subject, c.name, c.currency, c.jurisdiction, c.customer_type, c.tax_exempt,
      c.tax_id, c.email, s.id::text AS subscription_id, s.plan_version_id::text AS plan_version_id, s.starts_at, s.ends_at,
      EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id::text AND i.period = ${selection.period}) AS invoiced
    FROM subscriptions s JOIN customers c ON c.id = s.customer_id
    WHERE ${sql.join(filters, sql` AND `)}
    ORDER BY c.tenant_id, c.id, s.starts_at`);
  const due = new Map<string, DueCustomer>();
  const invoiced = new Set<string>();
  for (const r of rows.rows) {
    const key = `${r.tenant_id}\u0000${r.customer_id}`;
    if (r.invoiced) { invoiced.add(key); continue; }
    const customer = due.get(key) ?? {
      tenantId: r.tenant_id, customerId: r.customer_id, subject: r.subject, name: r.name, currency: r.currency, jurisdiction: r.jurisdiction,
      customerType: r.customer_type, taxExempt: r.tax_exempt, taxId: r.tax_id, email: r.email, subscriptions: [],
    };
    customer.subscriptions.push({ id: r.subscription_id, planVersionId: r.plan_version_id, startsAt: new Date(r.starts_at), endsAt: r.ends_at ? new Date(r.ends_at) : null });
    due.set(key, customer);
  }
  return { due: [...due.values()], alreadyInvoiced: invoiced.size };
}

export interface UsageGroup {
  customerId: string;
  /** `YYYY-MM`. */
  servicePeriod: string;
  meter: string;
  priceId: string;
  currency: string;
  quantity: string;
  amountMicros: bigint;
  events: number;
}

function toPeriod(yyyymm: number | string): string {
  const s = String(yyyymm);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}`;
}

/**
 * Usage of the customers between `fromDate` and `toDate` (exclusive), by
 * customer, month, meter and price. FINAL: parts not yet merged may hold a
 * replayed copy of an event, and an invoice must count it once.
 */
export async function readUsage(clickhouse: ClickHouseClient, tenantId: string, customerIds: readonly string[], fromDate: string, toDate: string): Promise<UsageGroup[]> {
  if (customerIds.length === 0) return [];
  const result = await clickhouse.query({
    query: `SELECT customer_id, toYYYYMM(time) AS month, meter, price_id, currency, toString(sum(quantity)) AS quantity,
        toString(sum(amount_micros)) AS amount_micros, count() AS events
      FROM usage_rated FINAL
      WHERE tenant = ${clickhouseStringLiteral(tenantId)} AND customer_id IN ${clickhouseStringArrayLiteral([...customerIds])}
        AND time >= toDateTime64(${clickhouseStringLiteral(`${fromDate} 00:00:00`)}, 3, 'UTC')
        AND time < toDateTime64(${clickhouseStringLiteral(`${toDate} 00:00:00`)}, 3, 'UTC')
      GROUP BY customer_id, month, meter, price_id, currency
      ORDER BY customer_id, month, meter, price_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { max_query_size: '67108864' },
  });
  const rows = await result.json<{ customer_id: string; month: number | string; meter: string; price_id: string; currency: string;
    quantity: string; amount_micros: string; events: number | string }>();
  return rows.map((r) => ({ customerId: r.customer_id, servicePeriod: toPeriod(r.month), meter: r.meter, priceId: r.price_id,
    currency: r.currency, quantity: r.quantity, amountMicros: BigInt(r.amount_micros), events: Number(r.events) }));
}

/** The rater's total per customer for the period, summed independently of the grouped lines (the invoice asserts they agree). */
export async function readUsageTotals(clickhouse: ClickHouseClient, tenantId: string, customerIds: readonly string[], period: string): Promise<Map<string, bigint>> {
  const totals = new Map<string, bigint>();
  if (customerIds.length === 0) return totals;
  const { periodStart, periodEnd } = periodSpan(period);
  const result = await clickhouse.query({
    query: `SELECT customer_id, toString(sum(amount_micros)) AS amount_micros FROM usage_rated FINAL
      WHERE tenant = ${clickhouseStringLiteral(tenantId)} AND customer_id IN ${clickhouseStringArrayLiteral([...customerIds])}
        AND time >= toDateTime64(${clickhouseStringLiteral(`${periodStart} 00:00:00`)}, 3, 'UTC')
        AND time < toDateTime64(${clickhouseStringLiteral(`${periodEnd} 00:00:00`)}, 3, 'UTC')
      GROUP BY customer_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { max_query_size: '67108864' },
  });
  for (const r of await result.json<{ customer_id: string; amount_micros: string }>()) totals.set(r.customer_id, BigInt(r.amount_micros));
  return totals;
}

/** What earlier invoices billed per (customer, service period, meter, price), from their usage and late-usage lines. */
export async function readBilledUsage(db: Database, tenantId: string, customerIds: readonly string[], periods: readonly string[]): Promise<{
  billed: Map<string, bigint>; invoicedPeriods: Set<string>;
}> {
  const billed = new Map<string, bigint>();
  const invoicedPeriods = new Set<string>();
  if (customerIds.length === 0) return { billed, invoicedPeriods };
  const rows = await db.execute<{ customer_id: string; period: string; service_period: string | null; meter: string | null; price_id: string | null;
    amount_micros: bigint | null } & Record<string, unknown>>(sql`
    SELECT i.customer_id, i.period, l.service_period, l.cause->>'meter' AS meter, l.cause->>'priceId' AS price_id, sum(l.amount_micros)::bigint AS amount_micros
    FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id AND l.kind IN ('usage', 'late_usage')
    WHERE i.tenant_id = ${tenantId} AND i.customer_id = ANY(${sql.param([...customerIds])}::text[]) AND i.status <> 'void'
      AND (i.period = ANY(${sql.param([...periods])}::text[]) OR l.service_period = ANY(${sql.param([...periods])}::text[]))
    GROUP BY 1, 2, 3, 4, 5`);
  for (const r of rows.rows) {
    if (periods.includes(r.period)) invoicedPeriods.add(`${r.customer_id}\u0000${r.period}`);
    if (r.service_period === null) continue;
    const key = `${r.customer_id}\u0000${r.service_period}\u0000${r.meter ?? ''}\u0000${r.price_id ?? ''}`;
    billed.set(key, (billed.get(key) ?? 0n) + (r.amount_micros ?? 0n));
  }
  return { billed, invoicedPeriods };
}

export function lookbackPeriods(period: string): string[] {
  return Array.from({ length: LATE_USAGE_LOOKBACK_PERIODS }, (_, i) => previousPeriod(period, i + 1));
}

export interface PlanVersionCharges {
  periodCharges: PeriodChargeLine[];
  /** Charge problems: a stored price document that no longer parses fails the invoice, never a silent skip. */
  errors: string[];
}

export interface BillingCatalog {
  chargeNames: Map<string, string>;
  /** Product category by plan charge id (usage charges), when the catalog gives one. */
  chargeCategories: Map<string, string>;
  planVersions: Map<string, PlanVersionCharges>;
  /** tenant → jurisdiction → category → rule. */
  taxRules: Map<string, Map<string, Map<string, TaxRule>>>;
  automaticDiscounts: Map<string, DiscountRule[]>;
  invoicePaymentTermsDays: Map<string, number>;
}

function discountRule(d: typeof schema.discounts.$inferSelect, coupon?: { code: string; redemptionId: string }): DiscountRule {
  return {
    id: d.id, name: d.name, trigger: d.trigger, kind: d.kind, percentBasisPoints: d.percentBasisPoints, amountMicros: d.amountMicros,
    currency: d.currency, customerType: d.customerType, minSubtotalMicros: d.minSubtotalMicros, createdAtMs: d.createdAt.getTime(),
    ...(coupon ? { couponCode: coupon.code, redemptionId: coupon.redemptionId } : {}),
  };
}

/** Catalog facts for the tenants and plan versions of a run (read once per run). */
export async function loadBillingCatalog(db: Database, tenantIds: readonly string[], planVersionIds: readonly string[]): Promise<BillingCatalog> {
  const catalog: BillingCatalog = { chargeNames: new Map(), chargeCategories: new Map(), planVersions: new Map(), taxRules: new Map(),
    automaticDiscounts: new Map(), invoicePaymentTermsDays: new Map() };
  if (tenantIds.length === 0) return catalog;
  const charges = planVersionIds.length === 0 ? [] : await db.select().from(schema.planCharges).where(inArray(schema.planCharges.planVersionId, [...planVersionIds]));
  for (const id of planVersionIds) catalog.planVersions.set(id, { periodCharges: [], errors: [] });
  for (const charge of charges) {
    catalog.chargeNames.set(charge.id, charge.name);
    // The catalog has no category column yet (requested); read it when it appears.
    const categoryOfCharge = (charge as { productCategory?: string | null }).productCategory;
    if (charge.kind !== 'period') {
      if (categoryOfCharge) catalog.chargeCategories.set(charge.id, categoryOfCharge);
      continue;
    }
    const entry = catalog.planVersions.get(charge.planVersionId)!;
    const parsed = parsePeriodCharge(charge.price);
    if (!parsed.ok) { entry.errors.push(`plan charge ${charge.id}: ${parsed.errors.map((e) => `${e.field} ${e.code}`).join(', ')}`); continue; }
    const category = categoryOfCharge || DEFAULT_CATEGORY.period;
    entry.periodCharges.push({ description: charge.name, productCategory: category, charge: parsed.params,
      cause: { planChargeId: charge.id, planVersionId: charge.planVersionId, model: parsed.params.name } });
  }
  const rates = await db.select().from(schema.taxRates).where(inArray(schema.taxRates.tenantId, [...tenantIds]));
  for (const r of rates) {
    const byJurisdiction = catalog.taxRules.get(r.tenantId) ?? new Map<string, Map<string, TaxRule>>();
    const byCategory = byJurisdiction.get(r.jurisdiction) ?? new Map<string, TaxRule>();
    byCategory.set(r.productCategory, { rateId: r.id, label: r.label, ratePpm: r.ratePpm });
    byJurisdiction.set(r.jurisdiction, byCategory);
    catalog.taxRules.set(r.tenantId, byJurisdiction);
  }
  const automatic = await db.select().from(schema.discounts).where(and(inArray(schema.discounts.tenantId, [...tenantIds]),
    eq(schema.discounts.trigger, 'automatic'), isNull(schema.discounts.archivedAt)));
  for (const d of automatic) catalog.automaticDiscounts.set(d.tenantId, [...(catalog.automaticDiscounts.get(d.tenantId) ?? []), discountRule(d)]);
  const settings = await db.select().from(schema.invoiceSettings).where(inArray(schema.invoiceSettings.tenantId, [...tenantIds]));
  for (const s of settings) catalog.invoicePaymentTermsDays.set(s.tenantId, s.paymentTermsDays);
  return catalog;
}

/** Tax rules for a customer's jurisdiction: the exact one (`US-CA`), else its country (`US`). */
export function taxRulesFor(catalog: BillingCatalog, tenantId: string, jurisdiction: string | null): Map<string, TaxRule> {
  if (!jurisdiction) return new Map();
  const byJurisdiction = catalog.taxRules.get(tenantId);
  return byJurisdiction?.get(jurisdiction) ?? byJurisdiction?.get(jurisdiction.split('-')[0]!) ?? new Map();
}

/** Coupon discounts of the customers' redemptions covering the period (archived discounts apply no more). */
export async function readCouponDiscounts(db: Database, tenantId: string, customerIds: readonly string[], period: string): Promise<Map<string, DiscountRule[]>> {
  const out = new Map<string, DiscountRule[]>();
  if (customerIds.length === 0) return out;
  const rows = await db.select({ redemption: schema.couponRedemptions, discount: schema.discounts, code: schema.coupons.code })
    .from(schema.couponRedemptions)
    .innerJoin(schema.discounts, eq(schema.discounts.id, schema.couponRedemptions.discountId))
    .innerJoin(schema.coupons, eq(schema.coupons.id, schema.couponRedemptions.couponId))
    .where(and(eq(schema.couponRedemptions.tenantId, tenantId), inArray(sql`${schema.couponRedemptions.customerId}::text`, [...customerIds]),
      isNull(schema.discounts.archivedAt)));
  for (const { redemption, discount, code } of rows) {
    if (!couponCoversPeriod(redemption.firstPeriod, redemption.periodCount, period)) continue;
    const list = out.get(redemption.customerId) ?? [];
    list.push(discountRule(discount, { code, redemptionId: redemption.id }));
    out.set(redemption.customerId, list);
  }
  return out;
}

/** Categories each customer is exempt from (`*` = all), from the invoicer's exemption table. */
export async function readExemptions(db: Database, tenantId: string, customerIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (customerIds.length === 0) return out;
  const rows = await db.select().from(schema.taxExemptions).where(and(eq(schema.taxExemptions.tenantId, tenantId),
    inArray(schema.taxExemptions.customerId, [...customerIds])));
  for (const r of rows) out.set(r.customerId, [...(out.get(r.customerId) ?? []), r.productCategory]);
  return out;
}

/** Usage groups → invoice usage charges: this period's as `usage`, earlier periods' differences from what was billed as `late_usage`. */
export function usageCharges(groups: readonly UsageGroup[], period: string, catalog: Pick<BillingCatalog, 'chargeNames' | 'chargeCategories'>,
  billed: ReadonlyMap<string, bigint>, invoicedPeriods: ReadonlySet<string>): UsageCharge[] {
  const out: UsageCharge[] = [];
  for (const g of groups) {
    const name = catalog.chargeNames.get(g.priceId) ?? g.meter;
    const category = catalog.chargeCategories.get(g.priceId) ?? DEFAULT_CATEGORY.usage;
    const cause = { meter: g.meter, priceId: g.priceId, events: String(g.events) };
    if (g.servicePeriod === period) {
      out.push({ kind: 'usage', description: name, productCategory: category, servicePeriod: period, quantity: g.quantity,
        amountMicros: g.amountMicros, cause });
      continue;
    }
    // Only periods this customer was invoiced for: usage from before its first invoice is not "late".
    if (!invoicedPeriods.has(`${g.customerId}\u0000${g.servicePeriod}`)) continue;
    const already = billed.get(`${g.customerId}\u0000${g.servicePeriod}\u0000${g.meter}\u0000${g.priceId}`) ?? 0n;
    const lateMicros = g.amountMicros - already;
    if (lateMicros === 0n) continue;
    out.push({ kind: 'late_usage', description: `${name} (late events of ${g.servicePeriod})`, productCategory: category,
      servicePeriod: g.servicePeriod, quantity: '', amountMicros: lateMicros, cause });
  }
  return out;
}

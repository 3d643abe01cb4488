/**
 * The rating catalog: what the rater needs to turn an event into money,
 * loaded from Postgres as plain data. The rater service encodes it once per
 * version into a SharedArrayBuffer (rater/catalog-transport.ts), so a task
 * carries a reference, not a copy; a worker re-indexes only when the version
 * changed.
 *
 * An event is priced by the subscription of its customer active at the
 * event's time (plan version → usage charge of the meter); a customer with no
 * subscription then falls back to the meter's legacy `meter_prices` row.
 */
import { and, eq } from 'drizzle-orm';
import { fnv1a32 } from '../platform/hash.ts';
import type { Database } from '../platform/postgres.ts';
import { schema } from '../platform/postgres.ts';
import type { MeterFilters, PriceDocument } from '../schemas/postgres/schema.ts';

export type MeterAggregation = 'SUM' | 'COUNT' | 'MAX' | 'MIN' | 'AVG' | 'UNIQUE_COUNT' | 'LATEST';

export interface CatalogMeter {
  id: string;
  tenantId: string;
  slug: string;
  eventType: string;
  aggregation: MeterAggregation;
  valueProperty: string | null;
  /** Absent or `{}` = every event of the type. */
  filters?: MeterFilters;
  /** Legacy prices by currency, for customers without a subscription. */
  prices: Record<string, { priceId: string; model: 'per_unit'; unitPriceMicros: string }>;
}

export interface CatalogEntitlement {
  meterId: string;
  /** Decimal meter units, as stored. */
  limitQuantity: string;
  enforcement: 'hard' | 'soft';
}

export interface CatalogSubscription {
  id: string;
  planVersionId: string;
  startsAtMs: number;
  /** Exclusive; null = open-ended. */
  endsAtMs: number | null;
}

export interface CatalogCustomer {
  id: string;
  tenantId: string;
  subject: string;
  currency: string;
  billingMode: 'prepaid' | 'postpaid';
  /** Ordered by start. */
  subscriptions?: CatalogSubscription[];
  /** Customer-level limits; they override the plan version's for the same meter. */
  entitlements?: CatalogEntitlement[];
}

export interface CatalogUsageCharge {
  id: string;
  meterId: string;
  price: PriceDocument;
}

export interface CatalogPlanVersion {
  id: string;
  currency: string;
  charges: CatalogUsageCharge[];
  entitlements: CatalogEntitlement[];
}

export interface Catalog {
  version: string;
  meters: CatalogMeter[];
  customers: CatalogCustomer[];
  planVersions?: CatalogPlanVersion[];
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

export async function loadCatalog(db: Database): Promise<Catalog> {
  const [meterRows, priceRows, customerRows, versionRows, chargeRows, subscriptionRows, entitlementRows] = await Promise.all([
    db.select().from(schema.meters),
    db.select().from(schema.meterPrices),
    db.select().from(schema.customers),
    // Only versions someone subscribed to can price an event.
    db.select().from(schema.planVersions),
    db.select().from(schema.planCharges).where(eq(schema.planCharges.kind, 'usage')),
    db.select().from(schema.subscriptions).orderBy(schema.subscriptions.startsAt),
    db.select().from(schema.entitlements),
  ]);
  const pricesByMeter = groupBy(priceRows, (p) => p.meterId);
  const meters: CatalogMeter[] = meterRows.map((m) => ({
    id: m.id,
    tenantId: m.tenantId,
    slug: m.slug,
    eventType: m.eventType,
    aggregation: m.aggregation,
    valueProperty: m.valueProperty,
    filters: m.filters,
    prices: Object.fromEntries((pricesByMeter.get(m.id) ?? [])
      .map((p) => [p.currency, { priceId: p.id, model: p.model, unitPriceMicros: p.unitPriceMicros.toString() }])),
  }));
  const toEntitlement = (e: typeof entitlementRows[number]): CatalogEntitlement =>
    ({ meterId: e.meterId, limitQuantity: e.limitQuantity, enforcement: e.enforcement });
  const subscriptionsByCustomer = groupBy(subscriptionRows, (s) => s.customerId);
  const customerEntitlements = groupBy(entitlementRows.filter((e) => e.customerId !== null), (e) => e.customerId!);
  const customers: CatalogCustomer[] = customerRows.map((c) => {
    const customer: CatalogCustomer = { id: c.id, tenantId: c.tenantId, subject: c.subject, currency: c.currency, billingMode: c.billingMode };
    const subs = subscriptionsByCustomer.get(c.id);
    if (subs) {
      customer.subscriptions = subs.map((s) => ({ id: s.id, planVersionId: s.planVersionId, startsAtMs: s.startsAt.getTime(), endsAtMs: s.endsAt?.getTime() ?? null }));
    }
    const limits = customerEntitlements.get(c.id);
    if (limits) customer.entitlements = limits.map(toEntitlement);
    return customer;
  });
  const chargesByVersion = groupBy(chargeRows, (c) => c.planVersionId);
  const planEntitlements = groupBy(entitlementRows.filter((e) => e.planVersionId !== null), (e) => e.planVersionId!);
  const subscribed = new Set(subscriptionRows.map((s) => s.planVersionId));
  const planVersions: CatalogPlanVersion[] = versionRows.filter((v) => subscribed.has(v.id)).map((v) => ({
    id: v.id,
    currency: v.currency,
    charges: (chargesByVersion.get(v.id) ?? []).map((c) => ({ id: c.id, meterId: c.meterId!, price: c.price })),
    entitlements: (planEntitlements.get(v.id) ?? []).map(toEntitlement),
  }));
  const text = JSON.stringify([meters, customers, planVersions]);
  return { version: `${fnv1a32(text).toString(16)}-${text.length}`, meters, customers, planVersions };
}

export async function customerBySubject(db: Database, tenantId: string, subject: string): Promise<CatalogCustomer | undefined> {
  const [row] = await db.select().from(schema.customers)
    .where(and(eq(schema.customers.tenantId, tenantId), eq(schema.customers.subject, subject)));
  return row && { id: row.id, tenantId: row.tenantId, subject: row.subject, currency: row.currency, billingMode: row.billingMode };
}

/** The subscription of a customer active at `atMs`, if any (subscriptions never overlap). */
export function activeSubscription<S extends { startsAtMs: number; endsAtMs: number | null }>(subscriptions: readonly S[] | undefined, atMs: number): S | undefined {
  if (!subscriptions) return undefined;
  for (const s of subscriptions) {
    if (s.startsAtMs <= atMs && (s.endsAtMs === null || atMs < s.endsAtMs)) return s;
  }
  return undefined;
}

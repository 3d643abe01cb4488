/**
 * Seeds a tenant with billable customers for tests and the benchmark: tax
 * rates, a plan (usage per unit, a flat fee, a minimum commitment),
 * discounts and a coupon, N customers with subscriptions, their usage in
 * ClickHouse `usage_rated` and the same usage booked in the ledger the way the
 * rater books it (`postUsageDebits`), some wallets topped up.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { idFromName, postUsageDebits, topUpWallet, type UsageDebit } from '../ledger/index.ts';
import { periodSpan } from './compute.ts';

export interface SeedOptions {
  tenantId: string;
  customers: number;
  /** Periods with usage (`YYYY-MM`); subscriptions start at the first. */
  periods: readonly string[];
  eventsPerCustomerPeriod?: number;
  /** Every n-th customer gets a wallet top-up (0 = none). */
  walletEvery?: number;
}

export interface SeededTenant {
  tenantId: string;
  customerIds: string[];
  usageMicrosByPeriod: Map<string, bigint>;
}

function pseudoRandom(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0);
}

const uuidFrom = (name: string): string => idFromName(name);
const CHUNK = 1000;

export async function seedTenant(db: Database, clickhouse: ClickHouseClient, options: SeedOptions): Promise<SeededTenant> {
  const { tenantId } = options;
  const firstPeriod = options.periods[0]!;
  await db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
  await db.insert(schema.invoiceSettings).values({ tenantId, displayName: `${tenantId} GmbH`, address: 'Hauptstraße 1, 10115 Berlin',
    taxId: 'DE123456789', footer: 'Thank you for your business.', paymentTermsDays: 14 }).onConflictDoNothing();
  await db.insert(schema.taxRates).values([
    { tenantId, jurisdiction: 'DE', productCategory: 'usage', ratePpm: 190_000, label: 'VAT 19%' },
    { tenantId, jurisdiction: 'DE', productCategory: 'subscription', ratePpm: 190_000, label: 'VAT 19%' },
    { tenantId, jurisdiction: 'US-CA', productCategory: 'usage', ratePpm: 72_500, label: 'Sales tax 7.25%' },
    { tenantId, jurisdiction: 'US', productCategory: 'subscription', ratePpm: 50_000, label: 'Sales tax 5%' },
  ]).onConflictDoNothing();
  const meterId = uuidFrom(`seed:${tenantId}:meter`);
  await db.insert(schema.meters).values({ id: meterId, tenantId, slug: 'api_calls', eventType: 'api.call', aggregation: 'COUNT' }).onConflictDoNothing();
  const planId = uuidFrom(`seed:${tenantId}:plan`);
  const versionId = uuidFrom(`seed:${tenantId}:plan:v1`);
  const usageChargeId = uuidFrom(`seed:${tenantId}:charge:usage`);
  await db.insert(schema.plans).values({ id: planId, tenantId, slug: 'pro', name: 'Pro' }).onConflictDoNothing();
  await db.insert(schema.planVersions).values({ id: versionId, tenantId, planId, version: 1, currency: 'USD' }).onConflictDoNothing();
  await db.insert(schema.planCharges).values([
    { id: usageChargeId, tenantId, planVersionId: versionId, kind: 'usage', meterId, name: 'API calls',
      price: { model: 'per_unit', params: { unitPriceMicros: '1234' } } },
    { id: uuidFrom(`seed:${tenantId}:charge:fee`), tenantId, planVersionId: versionId, kind: 'period', name: 'Platform fee',
      price: { model: 'flat_fee', params: { amountMicros: '29000000' } } },
    { id: uuidFrom(`seed:${tenantId}:charge:commit`), tenantId, planVersionId: versionId, kind: 'period', name: 'Minimum commitment',
      price: { model: 'minimum_commitment', params: { commitmentMicros: '20000000' } } },
  ]).onConflictDoNothing();
  const businessDiscount = uuidFrom(`seed:${tenantId}:discount:business`);
  const thresholdDiscount = uuidFrom(`seed:${tenantId}:discount:threshold`);
  const couponDiscount = uuidFrom(`seed:${tenantId}:discount:coupon`);
  const couponId = uuidFrom(`seed:${tenantId}:coupon`);
  await db.insert(schema.discounts).values([
    { id: businessDiscount, tenantId, name: 'Business customers 10%', kind: 'percentage', trigger: 'automatic', percentBasisPoints: 1000, customerType: 'business' },
    { id: thresholdDiscount, tenantId, name: 'Volume: 5 USD off above 60 USD', kind: 'fixed', trigger: 'automatic', amountMicros: 5_000_000n, currency: 'USD',
      minSubtotalMicros: 60_000_000n },
    { id: couponDiscount, tenantId, name: 'Welcome 20%', kind: 'percentage', trigger: 'coupon', percentBasisPoints: 2000 },
  ]).onConflictDoNothing();
  await db.insert(schema.coupons).values({ id: couponId, tenantId, discountId: couponDiscount, code: 'WELCOME', duration: 'once' }).onConflictDoNothing();

  const jurisdictions = ['DE', 'US-CA', 'US-NY', null] as const;
  const customerIds: string[] = [];
  const customers: (typeof schema.customers.$inferInsert)[] = [];
  for (let i = 0; i < options.customers; i += 1) {
    const id = uuidFrom(`seed:${tenantId}:customer:${i}`);
    customerIds.push(id);
    customers.push({ id, tenantId, subject: `cust-${i}`, name: `Customer ${i}`, currency: 'USD', billingMode: 'postpaid',
      jurisdiction: jurisdictions[i % jurisdictions.length], customerType: i % 3 === 0 ? 'business' : 'standard', taxExempt: i % 17 === 0 });
  }
  const periodStartTs = `${periodSpan(firstPeriod).periodStart}T00:00:00Z`;
  for (let i = 0; i < customers.length; i += CHUNK) {
    const slice = customers.slice(i, i + CHUNK);
    await db.insert(schema.customers).values(slice).onConflictDoNothing();
    await db.insert(schema.subscriptions).values(slice.map((c) => ({ id: uuidFrom(`seed:sub:${c.id}`), tenantId, customerId: c.id!,
      planVersionId: versionId, startsAt: new Date(periodStartTs) }))).onConflictDoNothing();
    const redeeming = slice.filter((_, k) => (i + k) % 5 === 0);
    if (redeeming.length > 0) {
      await db.insert(schema.couponRedemptions).values(redeeming.map((c) => ({ tenantId, couponId, discountId: couponDiscount,
        customerId: c.id!, firstPeriod }))).onConflictDoNothing();
    }
  }
  await db.execute(sql`UPDATE plan_versions SET locked_at = now() WHERE id = ${versionId} AND locked_at IS NULL`);

  // Top-ups before the usage: the usage is settled from the wallet as it is booked (prepaid), and what is left pays fees at finalization.
  if (options.walletEvery) {
    for (let i = 0; i < customerIds.length; i += options.walletEvery) {
      await topUpWallet(db, { tenantId, customerId: customerIds[i]!, currency: 'USD', amountMicros: 25_000_000n, reference: `seed-top-up-${i}` });
    }
  }
  const usageMicrosByPeriod = new Map<string, bigint>();
  for (const period of options.periods) {
    const total = await seedUsage(db, clickhouse, tenantId, customers, period, usageChargeId, options.eventsPerCustomerPeriod ?? 3);
    usageMicrosByPeriod.set(period, total);
  }
  return { tenantId, customerIds, usageMicrosByPeriod };
}

/** Rated usage rows for every customer in the period, and the same amounts booked in the ledger; returns the total. */
export async function seedUsage(db: Database, clickhouse: ClickHouseClient, tenantId: string, customers: readonly { id?: string; subject: string }[],
  period: string, priceId: string, eventsPerCustomer: number, timeOverride?: string): Promise<bigint> {
  const { periodStart } = periodSpan(period);
  let total = 0n;
  for (let i = 0; i < customers.length; i += CHUNK) {
    const rows: Record<string, unknown>[] = [];
    const debits: UsageDebit[] = [];
    for (const c of customers.slice(i, i + CHUNK)) {
      let customerMicros = 0n;
      for (let e = 0; e < eventsPerCustomer; e += 1) {
        const r = pseudoRandom(`${period}:${c.id}:${e}:${timeOverride ?? ''}`);
        const quantity = 1 + (r % 5000);
        const amount = BigInt(quantity) * 1234n;
        customerMicros += amount;
        const day = 1 + (r % 27);
        rows.push({ tenant: tenantId, subject: c.subject, customer_id: c.id, meter: 'api_calls', source: 'seed', id: `${period}-${c.id}-${e}-${timeOverride ?? ''}`,
          time: timeOverride ?? `${periodStart.slice(0, 8)}${String(day).padStart(2, '0')} 12:00:00.000`, quantity: String(quantity),
          amount_micros: amount.toString(), currency: 'USD', price_model: 'per_unit', price_id: priceId, kafka_partition: 0,
          kafka_offset: e, kafka_epoch: 'seed', keep_rank: '1' });
      }
      total += customerMicros;
      debits.push({ tenantId, customerId: c.id!, currency: 'USD', amountMicros: customerMicros });
    }
    await clickhouse.insert({ table: 'usage_rated', values: rows, format: 'JSONEachRow' });
    await db.transaction((tx) => postUsageDebits(tx, debits, `seed:${tenantId}:${period}:${i}:${timeOverride ?? ''}`));
  }
  return total;
}

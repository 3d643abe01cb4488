/**
 * Demo data for `tollgate dev --demo`: one prepaid customer `cust_42` with a
 * $10 wallet, and a `tokens` meter summing `data.tokens` of `api_request`
 * events. The customer is subscribed to plan `demo` v1: tokens at $0.00002
 * (20 micros) each, a $0 platform fee line, and a soft limit of 1,000,000
 * tokens a month (`GET /v1/entitlements/cust_42/tokens`). Customers without a
 * subscription are priced by the meter's legacy per_unit price (also 20
 * micros). Idempotent.
 */
import { and, eq } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import { topUpWallet } from '../ledger/index.ts';

export const DEMO = {
  subject: 'cust_42',
  meter: 'tokens',
  eventType: 'api_request',
  currency: 'USD',
  unitPriceMicros: 20n,
  walletTopUpMicros: 10_000_000n,
  plan: 'demo',
  tokenLimit: '1000000',
  /** Covers any event time the demo sends. */
  subscriptionStartsAt: new Date('2020-01-01T00:00:00Z'),
} as const;

async function subscribeDemoCustomer(db: Database, tenantId: string, customerId: string, meterId: string): Promise<void> {
  await db.insert(schema.plans).values({ tenantId, slug: DEMO.plan, name: 'Demo plan' }).onConflictDoNothing();
  const [plan] = await db.select().from(schema.plans).where(and(eq(schema.plans.tenantId, tenantId), eq(schema.plans.slug, DEMO.plan)));
  let [version] = await db.select().from(schema.planVersions).where(and(eq(schema.planVersions.planId, plan!.id), eq(schema.planVersions.version, 1)));
  if (!version) {
    [version] = await db.insert(schema.planVersions).values({ tenantId, planId: plan!.id, version: 1, currency: DEMO.currency, lockedAt: new Date() }).returning();
    await db.insert(schema.planCharges).values([
      { tenantId, planVersionId: version!.id, kind: 'usage', meterId, name: 'API tokens',
        price: { model: 'per_unit', params: { unitPriceMicros: DEMO.unitPriceMicros.toString() } } },
      { tenantId, planVersionId: version!.id, kind: 'period', name: 'Platform fee', price: { model: 'flat_fee', params: { amountMicros: '0', prorate: true } } },
    ]);
    await db.insert(schema.entitlements).values({ tenantId, planVersionId: version!.id, meterId, limitQuantity: DEMO.tokenLimit, enforcement: 'soft' });
  }
  const existing = await db.select().from(schema.subscriptions).where(eq(schema.subscriptions.customerId, customerId));
  if (existing.length === 0) {
    await db.insert(schema.subscriptions).values({ tenantId, customerId, planVersionId: version!.id, startsAt: DEMO.subscriptionStartsAt });
  }
}

export async function ensureTenant(db: Database, tenantId: string): Promise<void> {
  await db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
}

export async function seedDemo(db: Database, tenantId: string): Promise<void> {
  await ensureTenant(db, tenantId);
  await db.insert(schema.customers).values({ tenantId, subject: DEMO.subject, name: 'Demo customer 42', currency: DEMO.currency, billingMode: 'prepaid' })
    .onConflictDoNothing();
  await db.insert(schema.meters).values({ tenantId, slug: DEMO.meter, eventType: DEMO.eventType, aggregation: 'SUM', valueProperty: 'tokens' })
    .onConflictDoNothing();
  const [meter] = await db.select().from(schema.meters).where(and(eq(schema.meters.tenantId, tenantId), eq(schema.meters.slug, DEMO.meter)));
  await db.insert(schema.meterPrices).values({ meterId: meter!.id, currency: DEMO.currency, model: 'per_unit', unitPriceMicros: DEMO.unitPriceMicros })
    .onConflictDoNothing();
  const [customer] = await db.select().from(schema.customers).where(and(eq(schema.customers.tenantId, tenantId), eq(schema.customers.subject, DEMO.subject)));
  await subscribeDemoCustomer(db, tenantId, customer!.id, meter!.id);
  await topUpWallet(db, { tenantId, customerId: customer!.id, currency: DEMO.currency, amountMicros: DEMO.walletTopUpMicros, reference: 'demo-welcome-credit' });
}

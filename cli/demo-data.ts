/**
 * Demo data for `tollgate dev --demo`: one prepaid customer `cust_42` with a
 * $10 wallet, and a `tokens` meter summing `data.tokens` of `api_request`
 * events at $0.00002 (20 micros) per token. Idempotent.
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
} as const;

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
  await topUpWallet(db, { tenantId, customerId: customer!.id, currency: DEMO.currency, amountMicros: DEMO.walletTopUpMicros, reference: 'demo-welcome-credit' });
}

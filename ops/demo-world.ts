/**
 * `tollgate dev --demo`: on top of cli/demo-data.ts (cust_42 and the `tokens`
 * meter) a small world a newcomer can look at within a minute — more
 * customers (prepaid with a wallet, and postpaid), a second meter
 * (`requests`, COUNT), a hotspot voucher profile with a batch of vouchers.
 * Idempotent: a second run adds nothing (fixed references and request ids).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { createProfile, generateVoucherBatch, getProfile, parseBatchRequest, topUpWallet } from '../ledger/index.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { DEMO, seedDemo } from '../cli/demo-data.ts';

export interface DemoCustomer {
  subject: string;
  name: string;
  billingMode: 'prepaid' | 'postpaid';
  /** Relative traffic weight in the generator: a few big customers, a long tail. */
  weight: number;
}

export const DEMO_CUSTOMERS: readonly DemoCustomer[] = [
  { subject: DEMO.subject, name: 'Demo customer 42', billingMode: 'prepaid', weight: 8 },
  { subject: 'cust_acme', name: 'Acme Rockets', billingMode: 'postpaid', weight: 13 },
  { subject: 'cust_globex', name: 'Globex', billingMode: 'postpaid', weight: 5 },
  { subject: 'cust_initech', name: 'Initech', billingMode: 'prepaid', weight: 3 },
  { subject: 'cust_umbrella', name: 'Umbrella', billingMode: 'postpaid', weight: 2 },
  { subject: 'cust_hooli', name: 'Hooli', billingMode: 'prepaid', weight: 1 },
];

export const DEMO_REQUESTS_METER = { slug: 'requests', unitPriceMicros: 100n } as const;
export const DEMO_VOUCHER_PROFILE = '1GB-DAILY';
const WALLET_TOP_UP_MICROS = 50_000_000n;
const VOUCHER_BATCH_SIZE = 20;

export interface DemoWorld {
  customers: number;
  meters: string[];
  voucherProfile: string;
  /** Size of the demo batch (generated once; later seedings return the same batch). */
  vouchersInBatch: number;
}

export async function seedDemoWorld(db: Database, tenantId: string): Promise<DemoWorld> {
  await seedDemo(db, tenantId);
  await db.insert(schema.customers).values(DEMO_CUSTOMERS.filter((c) => c.subject !== DEMO.subject).map((c) => ({
    tenantId, subject: c.subject, name: c.name, currency: DEMO.currency, billingMode: c.billingMode,
  }))).onConflictDoNothing();
  const prepaid = await db.select().from(schema.customers).where(and(eq(schema.customers.tenantId, tenantId),
    inArray(schema.customers.subject, DEMO_CUSTOMERS.filter((c) => c.billingMode === 'prepaid' && c.subject !== DEMO.subject).map((c) => c.subject))));
  for (const customer of prepaid) {
    await topUpWallet(db, { tenantId, customerId: customer.id, currency: DEMO.currency, amountMicros: WALLET_TOP_UP_MICROS, reference: `demo-credit-${customer.subject}` });
  }

  await db.insert(schema.meters).values({ tenantId, slug: DEMO_REQUESTS_METER.slug, eventType: DEMO.eventType, aggregation: 'COUNT', valueProperty: null })
    .onConflictDoNothing();
  const [requests] = await db.select().from(schema.meters)
    .where(and(eq(schema.meters.tenantId, tenantId), eq(schema.meters.slug, DEMO_REQUESTS_METER.slug)));
  await db.insert(schema.meterPrices).values({ meterId: requests!.id, currency: DEMO.currency, model: 'per_unit', unitPriceMicros: DEMO_REQUESTS_METER.unitPriceMicros })
    .onConflictDoNothing();

  const vouchersInBatch = await seedVouchers(db, tenantId);
  return { customers: DEMO_CUSTOMERS.length, meters: [DEMO.meter, DEMO_REQUESTS_METER.slug], voucherProfile: DEMO_VOUCHER_PROFILE, vouchersInBatch };
}

async function seedVouchers(db: Database, tenantId: string): Promise<number> {
  const existing = await getProfile(db, tenantId, DEMO_VOUCHER_PROFILE);
  if (!existing.ok) {
    const created = await createProfile(db, tenantId, {
      name: DEMO_VOUCHER_PROFILE, currency: DEMO.currency, priceMicros: 2_000_000n, dataQuotaBytes: 1024n ** 3n,
      timeQuotaSeconds: null, validitySeconds: 86_400n, rateLimit: '5M/5M', sharedUsers: 1,
    });
    if (!created.ok) throw new Error(`demo voucher profile: ${created.error.message}`);
  }
  // A fixed request id: a second seeding returns the same batch instead of generating another.
  const request = parseBatchRequest({ profile: DEMO_VOUCHER_PROFILE, count: VOUCHER_BATCH_SIZE, requestId: 'demo-vouchers-1', note: 'demo' });
  if (!request.ok) throw new Error(`demo vouchers: ${request.error.message}`);
  const batch = await generateVoucherBatch(db, { tenantId, actor: 'demo' }, request.value);
  if (!batch.ok) throw new Error(`demo vouchers: ${batch.error.message}`);
  return VOUCHER_BATCH_SIZE;
}

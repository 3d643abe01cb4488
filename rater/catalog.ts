/**
 * The rating catalog: what the rater needs to turn an event into money,
 * loaded from Postgres and handed to workers as plain data (versioned, so a
 * worker re-indexes only when it changed).
 */
import { eq } from 'drizzle-orm';
import { fnv1a32 } from '../platform/hash.ts';
import type { Database } from '../platform/postgres.ts';
import { schema } from '../platform/postgres.ts';

export interface CatalogMeter {
  tenantId: string;
  slug: string;
  eventType: string;
  aggregation: 'SUM' | 'COUNT' | 'MAX' | 'MIN' | 'AVG' | 'UNIQUE_COUNT' | 'LATEST';
  valueProperty: string | null;
  /** Prices by currency. */
  prices: Record<string, { priceId: string; model: 'per_unit'; unitPriceMicros: string }>;
}

export interface CatalogCustomer {
  id: string;
  tenantId: string;
  subject: string;
  currency: string;
  billingMode: 'prepaid' | 'postpaid';
}

export interface Catalog {
  version: string;
  meters: CatalogMeter[];
  customers: CatalogCustomer[];
}

export async function loadCatalog(db: Database): Promise<Catalog> {
  const meterRows = await db.select().from(schema.meters);
  const priceRows = await db.select().from(schema.meterPrices);
  const customerRows = await db.select().from(schema.customers);
  const meters: CatalogMeter[] = meterRows.map((m) => ({
    tenantId: m.tenantId,
    slug: m.slug,
    eventType: m.eventType,
    aggregation: m.aggregation,
    valueProperty: m.valueProperty,
    prices: Object.fromEntries(priceRows.filter((p) => p.meterId === m.id)
      .map((p) => [p.currency, { priceId: p.id, model: p.model, unitPriceMicros: p.unitPriceMicros.toString() }])),
  }));
  const customers: CatalogCustomer[] = customerRows.map((c) => ({
    id: c.id, tenantId: c.tenantId, subject: c.subject, currency: c.currency, billingMode: c.billingMode,
  }));
  const version = JSON.stringify([meters, customers]);
  return { version: `${fnv1a32(version).toString(16)}-${version.length}`, meters, customers };
}


export async function customerBySubject(db: Database, tenantId: string, subject: string): Promise<CatalogCustomer | undefined> {
  const rows = await db.select().from(schema.customers).where(eq(schema.customers.subject, subject));
  const row = rows.find((c) => c.tenantId === tenantId);
  return row && { id: row.id, tenantId: row.tenantId, subject: row.subject, currency: row.currency, billingMode: row.billingMode };
}

/** Customers: subject, currency, billing mode and what taxes and discounts read (jurisdiction, type, exemption). */
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { fail, FieldReader, notFound, type Outcome } from './fields.ts';

export type CustomerRow = typeof schema.customers.$inferSelect;
const CUSTOMER_TYPE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const MUTABLE = ['name', 'jurisdiction', 'customerType', 'taxExempt', 'taxId', 'email'] as const;

export function customerView(c: CustomerRow): Record<string, unknown> {
  return { id: c.id, subject: c.subject, name: c.name, currency: c.currency, billingMode: c.billingMode, jurisdiction: c.jurisdiction,
    customerType: c.customerType, taxExempt: c.taxExempt, taxId: c.taxId, email: c.email, createdAt: c.createdAt.toISOString() };
}

function readMutable(reader: FieldReader, creating: boolean): Partial<Pick<CustomerRow, typeof MUTABLE[number]>> {
  const out: Partial<Pick<CustomerRow, typeof MUTABLE[number]>> = {};
  if (creating || reader.has('name')) out.name = reader.text('name');
  if (reader.has('jurisdiction')) out.jurisdiction = reader.jurisdiction('jurisdiction') ?? null;
  if (reader.has('customerType')) out.customerType = reader.text('customerType', { pattern: CUSTOMER_TYPE, describe: 'a lower-case type such as business' });
  if (reader.has('taxExempt')) out.taxExempt = reader.boolean('taxExempt', false);
  if (reader.has('taxId')) out.taxId = reader.text('taxId', { optional: true }) ?? null;
  if (reader.has('email')) out.email = reader.text('email', { optional: true, pattern: /^[^@\s]+@[^@\s]+$/, describe: 'an e-mail address' }) ?? null;
  return out;
}

export async function createCustomer(db: Database, tenantId: string, body: unknown): Promise<Outcome<CustomerRow>> {
  const reader = new FieldReader(body, ['subject', 'currency', 'billingMode', ...MUTABLE]);
  const subject = reader.text('subject');
  const currency = reader.currency('currency');
  const billingMode = reader.oneOf('billingMode', ['prepaid', 'postpaid'] as const, 'postpaid');
  const rest = readMutable(reader, true);
  const input = reader.outcome(() => ({ ...rest, tenantId, subject: subject!, currency: currency!, billingMode: billingMode!, name: rest.name! }));
  if (!input.ok) return input;
  const [row] = await db.insert(schema.customers).values(input.value).onConflictDoNothing().returning();
  return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', `a customer with subject ${input.value.subject} exists`, 'subject');
}

/** Changes what may change; subject, currency and billing mode are fixed (usage, wallets and invoices depend on them). */
export async function updateCustomer(db: Database, tenantId: string, subject: string, body: unknown): Promise<Outcome<CustomerRow>> {
  const reader = new FieldReader(body, MUTABLE);
  const changes = readMutable(reader, false);
  const input = reader.outcome(() => changes);
  if (!input.ok) return input;
  const [row] = await db.update(schema.customers).set({ ...input.value, updatedAt: sql`now()` })
    .where(and(eq(schema.customers.tenantId, tenantId), eq(schema.customers.subject, subject))).returning();
  return row ? { ok: true, value: row } : notFound(`customer ${subject}`);
}

export async function listCustomers(db: Database, tenantId: string): Promise<CustomerRow[]> {
  return db.select().from(schema.customers).where(eq(schema.customers.tenantId, tenantId)).orderBy(schema.customers.subject);
}

export async function customerRowBySubject(db: Database, tenantId: string, subject: string, field?: string): Promise<Outcome<CustomerRow>> {
  const [row] = await db.select().from(schema.customers).where(and(eq(schema.customers.tenantId, tenantId), eq(schema.customers.subject, subject)));
  return row ? { ok: true, value: row } : notFound(`customer ${subject}`, field);
}

/** Tenants and the rating catalog: customers, meters, prices. Money is bigint micro-units. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A billed customer; `subject` is the CloudEvent subject that identifies it within its tenant. */
export const customers = pgTable('customers', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  subject: text('subject').notNull(),
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  billingMode: text('billing_mode', { enum: ['prepaid', 'postpaid'] }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('customers_tenant_subject').on(t.tenantId, t.subject)]);

/** A meter turns events of one `eventType` into a quantity. */
export const meters = pgTable('meters', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  slug: text('slug').notNull(),
  eventType: text('event_type').notNull(),
  aggregation: text('aggregation', { enum: ['SUM', 'COUNT', 'MAX', 'MIN', 'AVG', 'UNIQUE_COUNT', 'LATEST'] }).notNull(),
  /** Dot path into the event's `data` (absent for COUNT). */
  valueProperty: text('value_property'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('meters_tenant_slug').on(t.tenantId, t.slug), index('meters_tenant_type').on(t.tenantId, t.eventType)]);

/** A price for a meter in one currency. The walking skeleton knows `per_unit` only. */
export const meterPrices = pgTable('meter_prices', {
  id: uuid('id').primaryKey().defaultRandom(),
  meterId: uuid('meter_id').notNull().references(() => meters.id),
  currency: text('currency').notNull(),
  model: text('model', { enum: ['per_unit'] }).notNull(),
  unitPriceMicros: bigint('unit_price_micros', { mode: 'bigint' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('meter_prices_meter_currency').on(t.meterId, t.currency),
  check('meter_prices_non_negative', sql`${t.unitPriceMicros} >= 0`)]);


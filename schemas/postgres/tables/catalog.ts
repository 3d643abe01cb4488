/**
 * Tenants and the rating catalog: customers, meters, prices. Money is bigint micro-units.
 * Plans, subscriptions and entitlements are in plans.ts; discounts and coupons in discounts.ts.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
  /** Tax jurisdiction: ISO 3166-1 alpha-2 country, optionally `-` subdivision (`DE`, `US-CA`); null = unknown. */
  jurisdiction: text('jurisdiction'),
  /** Tenant-defined segment (`individual`, `business`, `nonprofit`, …) that customer-type discounts match. */
  customerType: text('customer_type').notNull().default('standard'),
  /** Exempt from tax (the invoicer skips tax lines). */
  taxExempt: boolean('tax_exempt').notNull().default(false),
  /** VAT / tax registration number, when the customer has one (B2B reverse charge). */
  taxId: text('tax_id'),
  email: text('email'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('customers_tenant_subject').on(t.tenantId, t.subject)]);

/** Meter filters: property path into `data` → the values it must equal (as strings); every filter must match. */
export type MeterFilters = Record<string, string[]>;

/** A meter turns events of one `eventType` into a quantity. */
export const meters = pgTable('meters', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  slug: text('slug').notNull(),
  eventType: text('event_type').notNull(),
  aggregation: text('aggregation', { enum: ['SUM', 'COUNT', 'MAX', 'MIN', 'AVG', 'UNIQUE_COUNT', 'LATEST'] }).notNull(),
  /** Dot path into the event's `data` (absent for COUNT). */
  valueProperty: text('value_property'),
  /** Property paths into `data` that split usage queries into groups (not rating). */
  groupBy: jsonb('group_by').$type<string[]>().notNull().default([]),
  /** Only events whose properties match are metered; `{}` = every event of `eventType`. */
  filters: jsonb('filters').$type<MeterFilters>().notNull().default({}),
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


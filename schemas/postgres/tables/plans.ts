/**
 * Plans, subscriptions and entitlements (owned by the rater's catalog).
 *
 * A plan is a named product; its versions carry the prices. A version is
 * immutable once a subscription has referenced it (`lockedAt`): a change of
 * price is a new version, so every rated row and invoice stays traceable to
 * the terms it was priced with. Billing periods are UTC calendar months.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { customers, meters, tenants } from './catalog.ts';

/** A catalog price document: validated by `parsePrice` (usage) or `parsePeriodCharge` (period), rater/pricing. */
export interface PriceDocument {
  model: string;
  params: unknown;
}

export const plans = pgTable('plans', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('plans_tenant_slug').on(t.tenantId, t.slug)]);

export const planVersions = pgTable('plan_versions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  planId: uuid('plan_id').notNull().references(() => plans.id),
  /** 1, 2, 3 … per plan. */
  version: integer('version').notNull(),
  currency: text('currency').notNull(),
  /** The only period today: the UTC calendar month. */
  billingPeriod: text('billing_period', { enum: ['month'] }).notNull().default('month'),
  /** Set when the first subscription references the version; from then on it and its charges cannot change. */
  lockedAt: timestamp('locked_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('plan_versions_plan_version').on(t.planId, t.version),
  check('plan_versions_version_positive', sql`${t.version} >= 1`)]);

/**
 * One line of a plan version. `usage`: a meter priced per event by the rater
 * (`price` is a `parsePrice` document: per_unit, graduated, volume, package,
 * percentage, free_allowance). `period`: a charge the invoicer computes once
 * per period (`price` is a `parsePeriodCharge` document: flat_fee,
 * minimum_commitment); no meter.
 */
export const planCharges = pgTable('plan_charges', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  planVersionId: uuid('plan_version_id').notNull().references(() => planVersions.id),
  kind: text('kind', { enum: ['usage', 'period'] }).notNull(),
  meterId: uuid('meter_id').references(() => meters.id),
  /** Invoice line label, e.g. `API tokens`, `Platform fee`. */
  name: text('name').notNull(),
  price: jsonb('price').$type<PriceDocument>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('plan_charges_version_meter').on(t.planVersionId, t.meterId).where(sql`${t.kind} = 'usage'`),
  index('plan_charges_version').on(t.planVersionId),
  check('plan_charges_meter_iff_usage', sql`(${t.kind} = 'usage') = (${t.meterId} IS NOT NULL)`),
]);

/**
 * A customer on a plan version from `startsAt` until `endsAt` (exclusive; null
 * = open). A customer's subscriptions do not overlap (checked by the API).
 * Events are priced by the subscription active at the event's time.
 */
export const subscriptions = pgTable('subscriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  customerId: uuid('customer_id').notNull().references(() => customers.id),
  planVersionId: uuid('plan_version_id').notNull().references(() => planVersions.id),
  startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
  endsAt: timestamp('ends_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('subscriptions_customer').on(t.customerId, t.startsAt),
  check('subscriptions_ends_after_start', sql`${t.endsAt} IS NULL OR ${t.endsAt} > ${t.startsAt}`)]);

/**
 * A usage limit per billing period for one meter: on a plan version (every
 * subscriber) or on one customer (overrides the plan's for that meter).
 * Reaching the limit emits `quota.exceeded` once per (customer, meter, period,
 * limit); `hard` denies access from then on, `soft` only reports.
 */
export const entitlements = pgTable('entitlements', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  planVersionId: uuid('plan_version_id').references(() => planVersions.id),
  customerId: uuid('customer_id').references(() => customers.id),
  meterId: uuid('meter_id').notNull().references(() => meters.id),
  /** In meter units (decimal, up to 9 decimals), per billing period. */
  limitQuantity: numeric('limit_quantity', { precision: 38, scale: 9 }).notNull(),
  enforcement: text('enforcement', { enum: ['hard', 'soft'] }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('entitlements_plan_meter').on(t.planVersionId, t.meterId).where(sql`${t.planVersionId} IS NOT NULL`),
  uniqueIndex('entitlements_customer_meter').on(t.customerId, t.meterId).where(sql`${t.customerId} IS NOT NULL`),
  check('entitlements_one_owner', sql`(${t.planVersionId} IS NULL) <> (${t.customerId} IS NULL)`),
  check('entitlements_limit_non_negative', sql`${t.limitQuantity} >= 0`),
]);

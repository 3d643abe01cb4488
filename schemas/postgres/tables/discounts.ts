/**
 * Discounts and coupons (stored and validated by the rater's catalog API,
 * applied by the invoicer; the order of application is documented in
 * rater/README.md "Discounts").
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { customers, tenants } from './catalog.ts';

/**
 * What a discount takes off an invoice: `percentage` (basis points of the
 * amount it applies to, 1..10000) or `fixed` (micros of `currency`).
 * `trigger`: `automatic` applies to every invoice whose conditions match;
 * `coupon` applies only through a redeemed coupon (conditions still checked).
 * Conditions: `customerType` (the customer's type must equal it) and
 * `minSubtotalMicros` (the invoice subtotal before discounts, in `currency`,
 * must be at least this).
 */
export const discounts = pgTable('discounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['percentage', 'fixed'] }).notNull(),
  trigger: text('trigger', { enum: ['automatic', 'coupon'] }).notNull(),
  /** 1..10000 for `percentage` (1250 = 12.5 %); null for `fixed`. */
  percentBasisPoints: integer('percent_basis_points'),
  /** > 0 for `fixed`; null for `percentage`. */
  amountMicros: bigint('amount_micros', { mode: 'bigint' }),
  /** Required for `fixed` and for a threshold; a discount applies to invoices in this currency only. Null = any. */
  currency: text('currency'),
  customerType: text('customer_type'),
  minSubtotalMicros: bigint('min_subtotal_micros', { mode: 'bigint' }),
  /** Archived discounts apply no more to new invoices; existing redemptions keep pointing at them. */
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('discounts_tenant').on(t.tenantId),
  check('discounts_kind_fields', sql`(${t.kind} = 'percentage' AND ${t.percentBasisPoints} BETWEEN 1 AND 10000 AND ${t.amountMicros} IS NULL)
    OR (${t.kind} = 'fixed' AND ${t.amountMicros} > 0 AND ${t.percentBasisPoints} IS NULL AND ${t.currency} IS NOT NULL)`),
  check('discounts_threshold_currency', sql`${t.minSubtotalMicros} IS NULL OR (${t.minSubtotalMicros} >= 0 AND ${t.currency} IS NOT NULL)`),
]);

/**
 * A code customers redeem for a `coupon`-trigger discount. `duration`: `once`
 * (the first billing period after redemption), `repeating` (`durationPeriods`
 * periods from it), `forever`. `maxRedemptions` (null = unlimited) and
 * `redeemBy` (expiry of redeeming, not of the discount) limit redemption.
 */
export const coupons = pgTable('coupons', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  discountId: uuid('discount_id').notNull().references(() => discounts.id),
  /** Stored upper-case; matched case-insensitively. */
  code: text('code').notNull(),
  duration: text('duration', { enum: ['once', 'repeating', 'forever'] }).notNull(),
  durationPeriods: integer('duration_periods'),
  maxRedemptions: integer('max_redemptions'),
  redemptionCount: integer('redemption_count').notNull().default(0),
  redeemBy: timestamp('redeem_by', { withTimezone: true }),
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('coupons_tenant_code').on(t.tenantId, t.code),
  check('coupons_duration_periods', sql`(${t.duration} = 'repeating') = (${t.durationPeriods} IS NOT NULL) AND (${t.durationPeriods} IS NULL OR ${t.durationPeriods} >= 1)`),
  check('coupons_max_redemptions', sql`${t.maxRedemptions} IS NULL OR ${t.maxRedemptions} >= 1`),
  check('coupons_redemption_count', sql`${t.redemptionCount} >= 0 AND (${t.maxRedemptions} IS NULL OR ${t.redemptionCount} <= ${t.maxRedemptions})`),
]);

/**
 * A customer's redemption of a coupon: the discount applies to the billing
 * periods `firstPeriod` (`YYYY-MM`, the month of redemption, UTC) onwards,
 * `periodCount` of them (null = forever). Copied from the coupon at
 * redemption, so later coupon edits do not change it. One per (coupon, customer).
 */
export const couponRedemptions = pgTable('coupon_redemptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  couponId: uuid('coupon_id').notNull().references(() => coupons.id),
  discountId: uuid('discount_id').notNull().references(() => discounts.id),
  customerId: uuid('customer_id').notNull().references(() => customers.id),
  firstPeriod: text('first_period').notNull(),
  periodCount: integer('period_count'),
  redeemedAt: timestamp('redeemed_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('coupon_redemptions_coupon_customer').on(t.couponId, t.customerId),
  index('coupon_redemptions_customer').on(t.customerId),
  check('coupon_redemptions_period_count', sql`${t.periodCount} IS NULL OR ${t.periodCount} >= 1`),
]);

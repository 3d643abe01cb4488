/**
 * Hotspot vouchers (owned by ledger/vouchers): profiles, generated batches,
 * vouchers, their audit trail, quota usage reports and the resend outbox.
 * Money is bigint micro-units; quotas are bigint bytes and seconds.
 */
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { customers, tenants } from './catalog.ts';

/**
 * What a voucher grants. Editing a profile changes future batches only: each
 * voucher keeps a copy of its terms from generation time.
 */
export const voucherProfiles = pgTable('voucher_profiles', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  /** e.g. `1GB-DAILY`; unique per tenant among profiles not archived. */
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  priceMicros: bigint('price_micros', { mode: 'bigint' }).notNull(),
  /** null = unlimited. */
  dataQuotaBytes: bigint('data_quota_bytes', { mode: 'bigint' }),
  /** null = unlimited. */
  timeQuotaSeconds: bigint('time_quota_seconds', { mode: 'bigint' }),
  /** Counted from activation (first login). */
  validitySeconds: bigint('validity_seconds', { mode: 'bigint' }).notNull(),
  /** `Mikrotik-Rate-Limit` text, e.g. `2M/2M`; null = the router's default. */
  rateLimit: text('rate_limit'),
  sharedUsers: integer('shared_users').notNull().default(1),
  /** Archived profiles stay for the vouchers that name them but generate no more. */
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('voucher_profiles_tenant_name').on(t.tenantId, t.name).where(sql`${t.archivedAt} IS NULL`),
  check('voucher_profiles_price_non_negative', sql`${t.priceMicros} >= 0`),
  check('voucher_profiles_quotas_positive', sql`(${t.dataQuotaBytes} IS NULL OR ${t.dataQuotaBytes} > 0) AND (${t.timeQuotaSeconds} IS NULL OR ${t.timeQuotaSeconds} > 0)`),
  check('voucher_profiles_validity_positive', sql`${t.validitySeconds} > 0`),
  check('voucher_profiles_shared_users_positive', sql`${t.sharedUsers} >= 1`),
]);

/** One generate call. `requestId` makes a retried call return the same batch. */
export const voucherBatches = pgTable('voucher_batches', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  profileId: uuid('profile_id').notNull().references(() => voucherProfiles.id),
  count: integer('count').notNull(),
  prefix: text('prefix').notNull().default(''),
  codeLength: integer('code_length').notNull(),
  alphabet: text('alphabet').notNull(),
  requestId: text('request_id'),
  note: text('note').notNull().default(''),
  actor: text('actor').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('voucher_batches_tenant_request').on(t.tenantId, t.requestId)]);

export const vouchers = pgTable('vouchers', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Insertion order: the keyset for listing and export (batch order, then serial). */
  seq: bigserial('seq', { mode: 'bigint' }).notNull().unique(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  batchId: uuid('batch_id').notNull().references(() => voucherBatches.id),
  profileId: uuid('profile_id').notNull().references(() => voucherProfiles.id),
  /** 1-based position in its batch, printed on the card. */
  serial: integer('serial').notNull(),
  /** In clear: operators print codes. Looked up by `code_digest` only, never logged. */
  code: text('code').notNull(),
  /** SHA-256 hex of (tenant, code): the lookup key. */
  codeDigest: text('code_digest').notNull(),
  status: text('status', { enum: ['unused', 'active', 'used', 'expired', 'disabled'] }).notNull().default('unused'),
  // Terms copied from the profile at generation.
  currency: text('currency').notNull(),
  priceMicros: bigint('price_micros', { mode: 'bigint' }).notNull(),
  dataQuotaBytes: bigint('data_quota_bytes', { mode: 'bigint' }),
  timeQuotaSeconds: bigint('time_quota_seconds', { mode: 'bigint' }),
  validitySeconds: bigint('validity_seconds', { mode: 'bigint' }).notNull(),
  rateLimit: text('rate_limit'),
  sharedUsers: integer('shared_users').notNull(),
  /** The current holder; set by sell, changed by transfer. */
  customerId: uuid('customer_id').references(() => customers.id),
  /** The ledger account the sale was paid from; a refund pays it back. */
  paidFromAccountId: uuid('paid_from_account_id'),
  dataUsedBytes: bigint('data_used_bytes', { mode: 'bigint' }).notNull().default(sql`0`),
  timeUsedSeconds: bigint('time_used_seconds', { mode: 'bigint' }).notNull().default(sql`0`),
  soldAt: timestamp('sold_at', { withTimezone: true }),
  activatedAt: timestamp('activated_at', { withTimezone: true }),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  refundedAt: timestamp('refunded_at', { withTimezone: true }),
  statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('vouchers_code_digest').on(t.codeDigest),
  index('vouchers_tenant_status_seq').on(t.tenantId, t.status, t.seq),
  index('vouchers_tenant_seq').on(t.tenantId, t.seq),
  index('vouchers_batch_serial').on(t.batchId, t.serial),
  index('vouchers_customer').on(t.customerId),
  // The expiry sweep reads only active vouchers, oldest deadline first.
  index('vouchers_active_expires_at').on(t.expiresAt).where(sql`${t.status} = 'active'`),
  check('vouchers_usage_non_negative', sql`${t.dataUsedBytes} >= 0 AND ${t.timeUsedSeconds} >= 0`),
  check('vouchers_price_non_negative', sql`${t.priceMicros} >= 0`),
  check('vouchers_sold_has_customer', sql`(${t.soldAt} IS NULL) = (${t.customerId} IS NULL)`),
]);

/** Every change of a voucher, in order: the audit trail. */
export const voucherEvents = pgTable('voucher_events', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  voucherId: uuid('voucher_id').notNull().references(() => vouchers.id),
  action: text('action').notNull(),
  fromStatus: text('from_status').notNull(),
  toStatus: text('to_status').notNull(),
  /** Who asked: `api`, `cli`, `gateway`, `expiry-sweep`, … */
  actor: text('actor').notNull(),
  /** Action details (customer ids, transfer id and amount, reason, masked recipient); never the code. */
  detail: jsonb('detail').notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('voucher_events_voucher').on(t.voucherId, t.id)]);

/**
 * Usage reported by the router gateway, one row per (voucher, session,
 * sequence): a repeated report is recognised and counted once.
 */
export const voucherUsageReports = pgTable('voucher_usage_reports', {
  voucherId: uuid('voucher_id').notNull().references(() => vouchers.id),
  /** The gateway's session key, e.g. `<router>:<Acct-Session-Id>`. */
  sessionId: text('session_id').notNull(),
  sequence: bigint('sequence', { mode: 'bigint' }).notNull(),
  bytesIn: bigint('bytes_in', { mode: 'bigint' }).notNull(),
  bytesOut: bigint('bytes_out', { mode: 'bigint' }).notNull(),
  seconds: bigint('seconds', { mode: 'bigint' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('voucher_usage_reports_key').on(t.voucherId, t.sessionId, t.sequence),
  check('voucher_usage_reports_non_negative', sql`${t.bytesIn} >= 0 AND ${t.bytesOut} >= 0 AND ${t.seconds} >= 0`),
]);

/**
 * Messages to send (code resends), written in the same transaction as the
 * action and delivered afterwards with retries. Holds the voucher id, not the
 * code: the dispatcher reads the code when it renders the message.
 */
export const voucherOutbox = pgTable('voucher_outbox', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  voucherId: uuid('voucher_id').notNull().references(() => vouchers.id),
  channel: text('channel', { enum: ['sms', 'email'] }).notNull(),
  recipient: text('recipient').notNull(),
  /** `cancelled`: the voucher stopped being usable before the message went out. */
  status: text('status', { enum: ['pending', 'sent', 'dead', 'cancelled'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastError: text('last_error'),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('voucher_outbox_due').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`)]);

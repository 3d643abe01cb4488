/**
 * The Postgres schema (drizzle). Migrations under schemas/postgres/migrations
 * are generated from this file by `npm run db:generate` and committed.
 * Money is bigint micro-units (1e-6 of the currency unit) everywhere.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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

/**
 * One row per consumed topic: the epoch of its log. A new epoch starts when
 * the log itself was reset (the in-memory dev broker restarted); it is part of
 * every ClickHouse dedup token and ledger reference, so offsets of a new log
 * never collide with offsets of an old one.
 */
export const raterTopics = pgTable('rater_topics', {
  topic: text('topic').primaryKey(),
  epoch: text('epoch').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The rater's progress per Kafka partition: the next offset to rate. Written in
 * the same transaction as the ledger transfers of the batch it covers, so
 * offsets and money move together (exactly once).
 */
export const raterCheckpoints = pgTable('rater_checkpoints', {
  topic: text('topic').notNull(),
  partition: integer('partition').notNull(),
  nextOffset: bigint('next_offset', { mode: 'bigint' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.topic, t.partition] })]);

/** Double-entry ledger accounts (TigerBeetle semantics; see ledger/README.md). */
export const ledgerAccounts = pgTable('ledger_accounts', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  /** The ledger an account belongs to: its currency. Transfers never cross ledgers. */
  ledger: text('ledger').notNull(),
  /** Account type, see ledger/account-codes.ts. */
  code: smallint('code').notNull(),
  flags: integer('flags').notNull().default(0),
  debitsPendingMicros: bigint('debits_pending_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  debitsPostedMicros: bigint('debits_posted_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  creditsPendingMicros: bigint('credits_pending_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  creditsPostedMicros: bigint('credits_posted_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  /** What the account is for, e.g. `customer:<uuid>`. */
  userData: text('user_data').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('ledger_accounts_tenant_user_data').on(t.tenantId, t.userData)]);

/** Immutable transfers; corrections are new transfers. */
export const ledgerTransfers = pgTable('ledger_transfers', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  debitAccountId: uuid('debit_account_id').notNull().references(() => ledgerAccounts.id),
  creditAccountId: uuid('credit_account_id').notNull().references(() => ledgerAccounts.id),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  ledger: text('ledger').notNull(),
  code: smallint('code').notNull(),
  flags: integer('flags').notNull().default(0),
  /** Where the money came from, e.g. `usage:usage.events:3:120-180` (traceable to events). */
  userData: text('user_data').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('ledger_transfers_debit').on(t.debitAccountId, t.createdAt),
  index('ledger_transfers_credit').on(t.creditAccountId, t.createdAt),
  check('ledger_transfers_positive', sql`${t.amountMicros} > 0`),
  check('ledger_transfers_two_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`)]);

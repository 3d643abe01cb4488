/** The double-entry ledger (owned by ledger/). Money is bigint micro-units. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './catalog.ts';

/** Double-entry ledger accounts (TigerBeetle semantics; see ledger/README.md). */
export const ledgerAccounts = pgTable('ledger_accounts', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  /** The ledger an account belongs to: its currency. Transfers never cross ledgers. */
  ledger: text('ledger').notNull(),
  /** Account type, see ledger/account-codes.ts. */
  code: smallint('code').notNull(),
  /** ACCOUNT_FLAGS bits (ledger/account-codes.ts). */
  flags: integer('flags').notNull().default(0),
  debitsPendingMicros: bigint('debits_pending_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  debitsPostedMicros: bigint('debits_posted_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  creditsPendingMicros: bigint('credits_pending_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  creditsPostedMicros: bigint('credits_posted_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  /** What the account is for, e.g. `customer:<uuid>`. */
  userData: text('user_data').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** When a transfer last changed a balance. */
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('ledger_accounts_tenant_user_data').on(t.tenantId, t.userData)]);

/**
 * Immutable transfers; corrections are new transfers. A post or void of a
 * pending transfer is a row of its own naming the pending one (`pending_id`),
 * so every balance change is a row here and balances at any time follow from
 * the rows. No foreign keys to accounts: the ledger writes a transfer only
 * while it holds both accounts locked, and accounts are never deleted
 * (measured: per-row FK checks nearly doubled the time of an 8,000-row insert).
 */
export const ledgerTransfers = pgTable('ledger_transfers', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  debitAccountId: uuid('debit_account_id').notNull(),
  creditAccountId: uuid('credit_account_id').notNull(),
  /** The amount that moved (for a balancing transfer: what it could move; for a void: the released hold). */
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  /** For post_pending / void_pending: the pending transfer this one resolves. */
  pendingId: uuid('pending_id'),
  /** For pending transfers: seconds until the hold expires (0 = never). */
  timeoutSeconds: integer('timeout_seconds').notNull().default(0),
  ledger: text('ledger').notNull(),
  code: smallint('code').notNull(),
  /** TRANSFER_FLAGS bits (ledger/account-codes.ts). */
  flags: integer('flags').notNull().default(0),
  /** Where the money came from, e.g. `usage:usage.events:3:120-180` (traceable to events). */
  userData: text('user_data').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** Apply order: history pages and running balances follow it. */
  seq: bigint('seq', { mode: 'bigint' }).notNull().generatedAlwaysAsIdentity(),
}, (t) => [index('ledger_transfers_debit_seq').on(t.debitAccountId, t.seq),
  index('ledger_transfers_credit_seq').on(t.creditAccountId, t.seq),
  // A pending transfer resolves at most once, whatever races above this.
  uniqueIndex('ledger_transfers_pending_once').on(t.pendingId).where(sql`${t.pendingId} IS NOT NULL`),
  check('ledger_transfers_positive', sql`${t.amountMicros} > 0`),
  check('ledger_transfers_two_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`)]);

/**
 * Transfers that failed for a reason that depends on ledger state (an account
 * or pending transfer not found, a balance limit, an overflow). Their ids are
 * spent: a retry with the same fields answers the original result even if the
 * state would now allow it, so an id's outcome is decided once.
 */
export const ledgerTransferFailures = pgTable('ledger_transfer_failures', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  result: text('result').notNull(),
  debitAccountId: uuid('debit_account_id'),
  creditAccountId: uuid('credit_account_id'),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  pendingId: uuid('pending_id'),
  timeoutSeconds: integer('timeout_seconds').notNull(),
  ledger: text('ledger').notNull(),
  code: integer('code').notNull(),
  flags: integer('flags').notNull(),
  userData: text('user_data').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Open pending transfers that have a timeout: what the expiry sweep walks. A row goes when its transfer resolves. */
export const ledgerPendingExpiries = pgTable('ledger_pending_expiries', {
  transferId: uuid('transfer_id').primaryKey(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
}, (t) => [index('ledger_pending_expiries_at').on(t.expiresAt)]);

/**
 * Prepaid wallets: per customer and currency, the paid balance account, the
 * promotional balance account and the low-balance threshold that triggers
 * `wallet.low_balance` events.
 */
export const ledgerWallets = pgTable('ledger_wallets', {
  walletAccountId: uuid('wallet_account_id').primaryKey().references(() => ledgerAccounts.id),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  customerId: uuid('customer_id').notNull(),
  currency: text('currency').notNull(),
  promoAccountId: uuid('promo_account_id').notNull().references(() => ledgerAccounts.id),
  /** 0 = no low-balance events. */
  lowBalanceThresholdMicros: bigint('low_balance_threshold_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('ledger_wallets_customer').on(t.tenantId, t.customerId, t.currency),
  uniqueIndex('ledger_wallets_promo').on(t.promoAccountId),
  check('ledger_wallets_threshold_non_negative', sql`${t.lowBalanceThresholdMicros} >= 0`)]);

/** Promotional credit grants. At expiry, what is left of a grant moves back by a transfer. */
export const ledgerPromotions = pgTable('ledger_promotions', {
  /** The id of the granting transfer. */
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  walletAccountId: uuid('wallet_account_id').notNull().references(() => ledgerWallets.walletAccountId),
  promoAccountId: uuid('promo_account_id').notNull(),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  reference: text('reference').notNull(),
  /** Set by the expiry sweep, with what moved back (0 when nothing was left). */
  expiredAt: timestamp('expired_at', { withTimezone: true }),
  returnedMicros: bigint('returned_micros', { mode: 'bigint' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('ledger_promotions_open').on(t.expiresAt).where(sql`${t.expiredAt} IS NULL`),
  index('ledger_promotions_promo_account').on(t.promoAccountId, t.expiresAt),
  check('ledger_promotions_positive', sql`${t.amountMicros} > 0`)]);

/**
 * Transactional outbox of ledger events (`wallet.events`): written in the
 * transaction that moved the money, published to Kafka by a loop, deleted once
 * the broker acknowledged it (at least once; consumers de-duplicate by event id).
 */
export const ledgerOutbox = pgTable('ledger_outbox', {
  id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
  topic: text('topic').notNull(),
  messageKey: text('message_key').notNull(),
  payload: jsonb('payload').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The double-entry ledger. Money is bigint micro-units. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './catalog.ts';

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

/**
 * Shared setup of the voucher integration suites: a pool on the test database
 * (real Postgres from test/global-setup.ts), migrations applied (migratePostgres
 * serializes concurrent migrators), a tenant with customers, and ledger
 * snapshots for "nothing moved" assertions. Test-only.
 */
import { sql } from 'drizzle-orm';
import { inject } from 'vitest';
import { connectPostgres, migratePostgres, schema, type Database, type Postgres } from '../../platform/postgres.ts';
import { topUpWallet } from '../index.ts';
import { createProfile } from './profiles.ts';
import type { ProfileInput } from './inputs.ts';

export async function connectTestDatabase(): Promise<Postgres> {
  const postgres = connectPostgres(inject('infra').postgresUrl, 8);
  await migratePostgres(postgres.db);
  return postgres;
}

export interface TestCustomer {
  id: string;
  subject: string;
  currency: string;
}

export async function seedTenant(db: Database, tenantId: string, customers: { subject: string; currency: string }[]): Promise<Record<string, TestCustomer>> {
  await db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
  const out: Record<string, TestCustomer> = {};
  for (const c of customers) {
    await db.insert(schema.customers).values({ tenantId, subject: c.subject, name: c.subject, currency: c.currency, billingMode: 'prepaid' }).onConflictDoNothing();
    const [row] = await db.select().from(schema.customers).where(sql`${schema.customers.tenantId} = ${tenantId} AND ${schema.customers.subject} = ${c.subject}`);
    out[c.subject] = { id: row!.id, subject: c.subject, currency: c.currency };
  }
  return out;
}

export async function topUp(db: Database, tenantId: string, customer: TestCustomer, amountMicros: bigint, reference: string): Promise<void> {
  const result = await topUpWallet(db, { tenantId, customerId: customer.id, currency: customer.currency, amountMicros, reference });
  if (result !== 'ok' && result !== 'exists') throw new Error(`top-up refused: ${result}`);
}

export async function seedProfile(db: Database, tenantId: string, input: ProfileInput): Promise<void> {
  const created = await createProfile(db, tenantId, input);
  if (!created.ok && created.error.code !== 'TG_VOUCHER_PROFILE_EXISTS') throw new Error(created.error.message);
}

export interface LedgerSnapshot {
  transfers: string;
  accounts: { id: string; debits: string; credits: string }[];
}

/** Every transfer and account balance of the tenant: two equal snapshots mean nothing moved in between. */
export async function ledgerSnapshot(db: Database, tenantId: string): Promise<LedgerSnapshot> {
  const transfers = await db.execute<{ n: string; total: string }>(
    sql`SELECT count(*)::text AS n, COALESCE(sum(amount_micros), 0)::text AS total FROM ledger_transfers WHERE tenant_id = ${tenantId}`);
  const accounts = await db.execute<{ id: string; debits: string; credits: string }>(sql`
    SELECT id, debits_posted_micros::text AS debits, credits_posted_micros::text AS credits
    FROM ledger_accounts WHERE tenant_id = ${tenantId} ORDER BY id`);
  return { transfers: `${transfers.rows[0]!.n}:${transfers.rows[0]!.total}`, accounts: accounts.rows };
}

export async function accountBalance(db: Database, accountId: string): Promise<{ debits: bigint; credits: bigint }> {
  const rows = await db.execute<{ debits: string; credits: string }>(
    sql`SELECT debits_posted_micros::text AS debits, credits_posted_micros::text AS credits FROM ledger_accounts WHERE id = ${accountId}`);
  const row = rows.rows[0];
  return { debits: BigInt(row?.debits ?? '0'), credits: BigInt(row?.credits ?? '0') };
}

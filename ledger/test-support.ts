/**
 * Shared setup of the ledger's integration suites: a pool on the test
 * database (real Postgres from test/global-setup.ts), migrations applied once
 * (migratePostgres serializes concurrent migrators), a tenant, and account
 * helpers. Test-only.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { connectPostgres, migratePostgres, schema, type Database, type Postgres } from '../platform/postgres.ts';
import { submitAccounts, type AccountInput } from './accounts.ts';

export async function connectLedgerTestDatabase(poolSizeMax = 8): Promise<Postgres> {
  const postgres = connectPostgres(inject('infra').postgresUrl, poolSizeMax);
  await migratePostgres(postgres.db);
  return postgres;
}

export async function ensureTestTenant(db: Database, tenantId: string): Promise<void> {
  await db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
}

export const newId = (): string => randomUUID();

/** Creates accounts (all must be new) and returns their ids in order. */
export async function openAccounts(db: Database, tenantId: string, specs: Partial<AccountInput>[]): Promise<string[]> {
  const inputs = specs.map((s) => ({ id: newId(), tenantId, ledger: 'USD', code: 10, flags: 0, userData: '', ...s }));
  const results = await submitAccounts(db, inputs);
  if (results.some((r) => r !== 'ok')) throw new Error(`accounts refused: ${results.join(', ')}`);
  return inputs.map((a) => a.id);
}

/**
 * Accounts in Postgres: a batch reads the accounts its ids name, runs the pure
 * validation (engine.ts `applyAccounts`, linked chains included) and writes
 * the new ones in one INSERT. An id created concurrently by another
 * transaction is an INSERT conflict: the batch throws `AccountIdRaceError` and
 * `submitAccounts` reruns it, now answering `exists` (or a difference).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';
import { applyAccounts, BATCH_LENGTH_MAX, CODE_MAX, isLedgerId, type Account, type AccountRequest, type AccountResult } from './engine.ts';
import { countResults, ledgerMetrics } from './metrics.ts';
import { accountFromRow, epochMs, inTransactionWithRetry, queryRows, type Tx } from './transfers.ts';

export type AccountInput = AccountRequest;
export type { AccountResult };

export class AccountIdRaceError extends Error {
  override readonly name = 'AccountIdRaceError';
}

export interface AccountView extends Account {
  createdAt: Date;
  updatedAt: Date;
}

type AccountViewRow = Parameters<typeof accountFromRow>[0] & { created_ms: bigint; updated_ms: bigint } & Record<string, unknown>;

async function selectAccounts(db: Database | Tx, ids: readonly string[], tenantId?: string): Promise<AccountView[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<AccountViewRow>(db, sql`
    SELECT id, tenant_id, ledger, code, flags, debits_pending_micros, debits_posted_micros, credits_pending_micros,
      credits_posted_micros, user_data, ${sql.raw(epochMs('created_at'))} AS created_ms, ${sql.raw(epochMs('updated_at'))} AS updated_ms
    FROM ledger_accounts WHERE id = ANY(${sql.param(ids)}::uuid[]) ${tenantId === undefined ? sql`` : sql`AND tenant_id = ${tenantId}`}`);
  return rows.map((r) => ({ ...accountFromRow(r), createdAt: new Date(Number(r.created_ms)), updatedAt: new Date(Number(r.updated_ms)) }));
}

/** Creates accounts inside the caller's transaction; one result per account, in order. */
export async function createAccounts(tx: Tx, inputs: readonly AccountInput[]): Promise<AccountResult[]> {
  if (inputs.length > BATCH_LENGTH_MAX) throw new RangeError(`ledger: a batch holds at most ${BATCH_LENGTH_MAX} accounts, got ${inputs.length}`);
  for (const a of inputs) {
    if (!isLedgerId(a.id)) throw new TypeError(`ledger: account id ${JSON.stringify(a.id)} is not a lower-case UUID`);
    if (!Number.isInteger(a.code) || a.code < 0 || a.code > CODE_MAX) throw new RangeError(`ledger: account ${a.id}: code beyond 0..${CODE_MAX}`);
  }
  const existing = new Map<string, Account>((await selectAccounts(tx, inputs.map((a) => a.id))).map((a) => [a.id, a]));
  const { results, created } = applyAccounts(existing, inputs);
  if (created.length > 0) {
    const inserted = await tx.execute<{ n: number }>(sql`
      WITH ins AS (
        INSERT INTO ledger_accounts (id, tenant_id, ledger, code, flags, user_data)
        SELECT * FROM unnest(${sql.param(created.map((a) => a.id))}::uuid[], ${sql.param(created.map((a) => a.tenantId))}::text[],
          ${sql.param(created.map((a) => a.ledger))}::text[], ${sql.param(created.map((a) => a.code))}::smallint[],
          ${sql.param(created.map((a) => a.flags))}::int[], ${sql.param(created.map((a) => a.userData))}::text[])
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`);
    if (inserted.rows[0]!.n !== created.length) throw new AccountIdRaceError('ledger: an account id of the batch was created concurrently');
  }
  countResults(ledgerMetrics.accounts, results);
  return results;
}

/** Creates accounts in a transaction of their own (rerun on an id race). */
export async function submitAccounts(db: Database, inputs: readonly AccountInput[]): Promise<AccountResult[]> {
  return inTransactionWithRetry(db, async (tx) => {
    try {
      return await createAccounts(tx, inputs);
    } catch (err) {
      // Reported as a unique violation so the shared retry rule reruns it.
      if (err instanceof AccountIdRaceError) throw Object.assign(err, { code: '23505' });
      throw err;
    }
  });
}

/** The tenant's accounts among `ids` (others' and unknown ids are absent), in the order asked. */
export async function lookupAccounts(db: Database | Tx, tenantId: string, ids: readonly string[]): Promise<AccountView[]> {
  const found = new Map((await selectAccounts(db, ids.filter(isLedgerId), tenantId)).map((a) => [a.id, a]));
  return ids.flatMap((id) => found.get(id) ?? []);
}

/**
 * The ledger's invariants, checked against what is stored:
 *  - per ledger (currency), total debits == total credits,
 *  - each account's posted balances equal the sum of its transfers,
 *  - no account breaks its balance flags.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';

export interface InvariantReport {
  ok: boolean;
  violations: string[];
}

export async function checkLedgerInvariants(db: Database, tenantId?: string): Promise<InvariantReport> {
  const tenantFilter = tenantId === undefined ? sql`TRUE` : sql`tenant_id = ${tenantId}`;
  const violations: string[] = [];
  const totals = await db.execute<{ ledger: string; debits: string; credits: string }>(sql`
    SELECT ledger, sum(debits_posted_micros)::text AS debits, sum(credits_posted_micros)::text AS credits
    FROM ledger_accounts WHERE ${tenantFilter} GROUP BY ledger`);
  for (const row of totals.rows) {
    if (row.debits !== row.credits) violations.push(`ledger ${row.ledger}: debits ${row.debits} != credits ${row.credits}`);
  }
  const drift = await db.execute<{ id: string; stored_debits: string; stored_credits: string; sum_debits: string; sum_credits: string }>(sql`
    SELECT a.id, a.debits_posted_micros::text AS stored_debits, a.credits_posted_micros::text AS stored_credits,
      COALESCE((SELECT sum(amount_micros) FROM ledger_transfers t WHERE t.debit_account_id = a.id), 0)::text AS sum_debits,
      COALESCE((SELECT sum(amount_micros) FROM ledger_transfers t WHERE t.credit_account_id = a.id), 0)::text AS sum_credits
    FROM ledger_accounts a WHERE ${tenantFilter}`);
  for (const row of drift.rows) {
    if (row.stored_debits !== row.sum_debits || row.stored_credits !== row.sum_credits) {
      violations.push(`account ${row.id}: stored ${row.stored_debits}/${row.stored_credits} != transfers ${row.sum_debits}/${row.sum_credits}`);
    }
  }
  const flagged = await db.execute<{ id: string }>(sql`
    SELECT id FROM ledger_accounts WHERE ${tenantFilter} AND (
      ((flags & 1) <> 0 AND debits_posted_micros + debits_pending_micros > credits_posted_micros) OR
      ((flags & 2) <> 0 AND credits_posted_micros + credits_pending_micros > debits_posted_micros))`);
  for (const row of flagged.rows) violations.push(`account ${row.id} breaks its balance flags`);
  return { ok: violations.length === 0, violations };
}

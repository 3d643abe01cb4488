/**
 * The ledger's invariants, checked against what is stored (tests, and an
 * operator's audit; every batch also asserts its own share in code, see
 * engine.ts `assertBatchInvariants`):
 *  - per tenant and ledger, total debits == total credits, posted and pending;
 *  - every account's balances equal the sums of its transfers, posted and pending;
 *  - no account breaks its balance flags or goes negative;
 *  - every transfer names two accounts of its tenant and ledger;
 *  - every post/void resolves a pending transfer of the same accounts, within
 *    its amount (a void: exactly its amount);
 *  - the expiry list holds exactly the open holds that have a timeout.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';
import { TRANSFER_FLAGS } from './account-codes.ts';

export interface InvariantReport {
  ok: boolean;
  violations: string[];
}

const PENDING = TRANSFER_FLAGS.pending;
const POST = TRANSFER_FLAGS.postPending;
const VOID = TRANSFER_FLAGS.voidPending;

export async function checkLedgerInvariants(db: Database, tenantId?: string): Promise<InvariantReport> {
  const tenant = (alias: string): SQL => (tenantId === undefined ? sql`TRUE` : sql`${sql.raw(alias)}.tenant_id = ${tenantId}`);
  const violations: string[] = [];
  const report = async (query: SQL, describe: (row: Record<string, unknown>) => string): Promise<void> => {
    const rows = await db.execute<Record<string, unknown>>(query);
    for (const row of rows.rows.slice(0, 50)) violations.push(describe(row));
    if (rows.rows.length > 50) violations.push(`… and ${rows.rows.length - 50} more like the above`);
  };

  await report(sql`
    SELECT a.tenant_id, a.ledger, sum(debits_posted_micros)::text AS dpo, sum(credits_posted_micros)::text AS cpo,
      sum(debits_pending_micros)::text AS dp, sum(credits_pending_micros)::text AS cp
    FROM ledger_accounts a WHERE ${tenant('a')} GROUP BY a.tenant_id, a.ledger
    HAVING sum(debits_posted_micros) <> sum(credits_posted_micros) OR sum(debits_pending_micros) <> sum(credits_pending_micros)`,
  (r) => `tenant ${r.tenant_id} ledger ${r.ledger}: debits ${r.dpo}/${r.dp} != credits ${r.cpo}/${r.cp} (posted/pending)`);

  await report(sql`
    WITH t AS (
      SELECT t.debit_account_id, t.credit_account_id, t.amount_micros,
        CASE WHEN t.flags & ${PENDING | VOID} = 0 THEN t.amount_micros ELSE 0 END AS posted,
        CASE WHEN t.flags & ${PENDING} <> 0 AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
          THEN t.amount_micros ELSE 0 END AS held
      FROM ledger_transfers t WHERE ${tenant('t')}
    ), legs AS (
      SELECT debit_account_id AS id, posted AS dpo, held AS dp, 0::bigint AS cpo, 0::bigint AS cp FROM t
      UNION ALL
      SELECT credit_account_id, 0, 0, posted, held FROM t
    ), sums AS (SELECT id, sum(dpo) AS dpo, sum(dp) AS dp, sum(cpo) AS cpo, sum(cp) AS cp FROM legs GROUP BY id)
    SELECT a.id, a.debits_posted_micros::text AS a_dpo, a.debits_pending_micros::text AS a_dp, a.credits_posted_micros::text AS a_cpo,
      a.credits_pending_micros::text AS a_cp, COALESCE(s.dpo, 0)::text AS s_dpo, COALESCE(s.dp, 0)::text AS s_dp,
      COALESCE(s.cpo, 0)::text AS s_cpo, COALESCE(s.cp, 0)::text AS s_cp
    FROM ledger_accounts a LEFT JOIN sums s ON s.id = a.id
    WHERE ${tenant('a')} AND (a.debits_posted_micros <> COALESCE(s.dpo, 0) OR a.debits_pending_micros <> COALESCE(s.dp, 0)
      OR a.credits_posted_micros <> COALESCE(s.cpo, 0) OR a.credits_pending_micros <> COALESCE(s.cp, 0))`,
  (r) => `account ${r.id}: stored debits ${r.a_dpo}/${r.a_dp} credits ${r.a_cpo}/${r.a_cp} != transfers' ${r.s_dpo}/${r.s_dp} and ${r.s_cpo}/${r.s_cp} (posted/pending)`);

  await report(sql`
    SELECT id FROM ledger_accounts a WHERE ${tenant('a')} AND (
      ((flags & 1) <> 0 AND debits_posted_micros + debits_pending_micros > credits_posted_micros) OR
      ((flags & 2) <> 0 AND credits_posted_micros + credits_pending_micros > debits_posted_micros) OR
      debits_posted_micros < 0 OR debits_pending_micros < 0 OR credits_posted_micros < 0 OR credits_pending_micros < 0)`,
  (r) => `account ${r.id} breaks its balance flags (or is negative)`);

  await report(sql`
    SELECT t.id FROM ledger_transfers t
      LEFT JOIN ledger_accounts d ON d.id = t.debit_account_id LEFT JOIN ledger_accounts c ON c.id = t.credit_account_id
    WHERE ${tenant('t')} AND (d.id IS NULL OR c.id IS NULL OR d.tenant_id <> t.tenant_id OR c.tenant_id <> t.tenant_id
      OR d.ledger <> t.ledger OR c.ledger <> t.ledger)`,
  (r) => `transfer ${r.id} names an account that is missing, another tenant's or on another ledger`);

  await report(sql`
    SELECT r.id FROM ledger_transfers r LEFT JOIN ledger_transfers p ON p.id = r.pending_id
    WHERE ${tenant('r')} AND (r.flags & ${POST | VOID}) <> 0 AND (p.id IS NULL OR p.flags & ${PENDING} = 0
      OR p.tenant_id <> r.tenant_id OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id
      OR p.ledger <> r.ledger OR r.amount_micros > p.amount_micros OR (r.flags & ${VOID} <> 0 AND r.amount_micros <> p.amount_micros))`,
  (r) => `transfer ${r.id} posts or voids something other than a matching pending transfer`);

  await report(sql`
    SELECT e.transfer_id AS id FROM ledger_pending_expiries e LEFT JOIN ledger_transfers p ON p.id = e.transfer_id
    WHERE (${tenantId === undefined ? sql`TRUE` : sql`p.tenant_id = ${tenantId} OR p.id IS NULL`}) AND (p.id IS NULL OR p.timeout_seconds = 0
      OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id))
    UNION ALL
    SELECT p.id FROM ledger_transfers p WHERE ${tenant('p')} AND p.flags & ${PENDING} <> 0 AND p.timeout_seconds > 0
      AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM ledger_pending_expiries e WHERE e.transfer_id = p.id)`,
  (r) => `pending transfer ${r.id}: the expiry list and the open holds disagree`);

  return { ok: violations.length === 0, violations };
}

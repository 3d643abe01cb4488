/**
 * Posting balanced transfers inside a caller's Postgres transaction.
 * Accounts are locked in id order (no deadlocks between batches), each
 * transfer gets its own result code, and a failed transfer does not fail its
 * neighbours. Idempotent by transfer id: the same id with the same fields
 * answers `exists`, with other fields `exists_with_different_fields`.
 *
 * Walking-skeleton scope: posted transfers only. Pending/post/void, linked
 * chains and balancing flags are the ledger issue's work.
 */
import { eq, inArray } from 'drizzle-orm';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import { schema } from '../platform/postgres.ts';
import { ACCOUNT_FLAGS } from './account-codes.ts';

// Any drizzle transaction over our schema.
export type Tx = PgTransaction<any, typeof schema, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TransferInput {
  id: string;
  tenantId: string;
  debitAccountId: string;
  creditAccountId: string;
  amountMicros: bigint;
  ledger: string;
  code: number;
  userData: string;
}

export type TransferResult =
  | 'ok' | 'exists' | 'exists_with_different_fields' | 'amount_must_be_positive' | 'accounts_must_be_different'
  | 'debit_account_not_found' | 'credit_account_not_found' | 'accounts_must_have_the_same_ledger'
  | 'transfer_must_have_the_same_ledger_as_accounts' | 'exceeds_credits' | 'exceeds_debits';

type AccountRow = typeof schema.ledgerAccounts.$inferSelect;

function sameFields(existing: typeof schema.ledgerTransfers.$inferSelect, t: TransferInput): boolean {
  return existing.debitAccountId === t.debitAccountId && existing.creditAccountId === t.creditAccountId &&
    existing.amountMicros === t.amountMicros && existing.ledger === t.ledger && existing.code === t.code &&
    existing.userData === t.userData && existing.tenantId === t.tenantId;
}

function check(t: TransferInput, debit: AccountRow | undefined, credit: AccountRow | undefined): TransferResult {
  if (t.amountMicros <= 0n) return 'amount_must_be_positive';
  if (t.debitAccountId === t.creditAccountId) return 'accounts_must_be_different';
  if (!debit) return 'debit_account_not_found';
  if (!credit) return 'credit_account_not_found';
  if (debit.ledger !== credit.ledger) return 'accounts_must_have_the_same_ledger';
  if (t.ledger !== debit.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';
  if ((debit.flags & ACCOUNT_FLAGS.debitsMustNotExceedCredits) !== 0 &&
    debit.debitsPostedMicros + debit.debitsPendingMicros + t.amountMicros > debit.creditsPostedMicros) return 'exceeds_credits';
  if ((credit.flags & ACCOUNT_FLAGS.creditsMustNotExceedDebits) !== 0 &&
    credit.creditsPostedMicros + credit.creditsPendingMicros + t.amountMicros > credit.debitsPostedMicros) return 'exceeds_debits';
  return 'ok';
}

export async function createTransfers(tx: Tx, transfers: TransferInput[]): Promise<TransferResult[]> {
  if (transfers.length === 0) return [];
  const accountIds = [...new Set(transfers.flatMap((t) => [t.debitAccountId, t.creditAccountId]))].sort();
  // Fixed lock order (by id) so concurrent batches never deadlock.
  const accountRows = await tx.select().from(schema.ledgerAccounts)
    .where(inArray(schema.ledgerAccounts.id, accountIds)).orderBy(schema.ledgerAccounts.id).for('update');
  const accounts = new Map(accountRows.map((a) => [a.id, a]));
  const existingRows = await tx.select().from(schema.ledgerTransfers).where(inArray(schema.ledgerTransfers.id, transfers.map((t) => t.id)));
  const existing = new Map(existingRows.map((t) => [t.id, t]));
  const results: TransferResult[] = [];
  const inserts: (typeof schema.ledgerTransfers.$inferInsert)[] = [];
  const touched = new Set<string>();
  for (const t of transfers) {
    const prior = existing.get(t.id);
    if (prior) {
      results.push(sameFields(prior, t) ? 'exists' : 'exists_with_different_fields');
      continue;
    }
    const debit = accounts.get(t.debitAccountId);
    const credit = accounts.get(t.creditAccountId);
    const result = check(t, debit, credit);
    results.push(result);
    if (result !== 'ok' || !debit || !credit) continue;
    debit.debitsPostedMicros += t.amountMicros;
    credit.creditsPostedMicros += t.amountMicros;
    touched.add(debit.id).add(credit.id);
    const row = { ...t, flags: 0 };
    inserts.push(row);
    existing.set(t.id, { ...row, createdAt: new Date() });
  }
  if (inserts.length > 0) await tx.insert(schema.ledgerTransfers).values(inserts);
  for (const id of touched) {
    const a = accounts.get(id)!;
    await tx.update(schema.ledgerAccounts)
      .set({ debitsPostedMicros: a.debitsPostedMicros, creditsPostedMicros: a.creditsPostedMicros })
      .where(eq(schema.ledgerAccounts.id, id));
  }
  return results;
}

/**
 * Prepaid wallets: one ledger account per customer and currency with
 * `debits_must_not_exceed_credits`. Usage beyond the wallet's balance is
 * debited from the customer's receivable account, so every micro of rated
 * usage lands somewhere in the ledger and can be traced to its events.
 */
import { and, eq } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import { ACCOUNT_CODE, ACCOUNT_FLAGS, TRANSFER_CODE } from './account-codes.ts';
import { idFromName } from './ids.ts';
import { createTransfers, type TransferInput, type TransferResult, type Tx } from './transfers.ts';

export function walletAccountId(tenantId: string, customerId: string, currency: string): string {
  return idFromName(`account:${tenantId}:wallet:${customerId}:${currency}`);
}
export function receivableAccountId(tenantId: string, customerId: string, currency: string): string {
  return idFromName(`account:${tenantId}:receivable:${customerId}:${currency}`);
}
export function revenueAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:revenue:${currency}`);
}
export function clearingAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:payments-clearing:${currency}`);
}

/** Creates the customer's wallet and receivable accounts and the tenant's revenue and clearing accounts if absent. */
export async function ensureCustomerAccounts(db: Database | Tx, tenantId: string, customerId: string, currency: string): Promise<void> {
  await db.insert(schema.ledgerAccounts).values([
    { id: walletAccountId(tenantId, customerId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.wallet,
      flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, userData: `customer:${customerId}` },
    { id: receivableAccountId(tenantId, customerId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.receivable,
      userData: `customer:${customerId}` },
    { id: revenueAccountId(tenantId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.revenue, userData: 'revenue' },
    { id: clearingAccountId(tenantId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.paymentsClearing, userData: 'payments' },
  ]).onConflictDoNothing();
}

export interface TopUp {
  tenantId: string;
  customerId: string;
  currency: string;
  amountMicros: bigint;
  /** The payment's reference; the same reference tops up once. */
  reference: string;
}

export async function topUpWallet(db: Database, topUp: TopUp): Promise<TransferResult> {
  return db.transaction(async (tx) => {
    await ensureCustomerAccounts(tx, topUp.tenantId, topUp.customerId, topUp.currency);
    const [result] = await createTransfers(tx, [{
      id: idFromName(`top-up:${topUp.tenantId}:${topUp.reference}`),
      tenantId: topUp.tenantId,
      debitAccountId: clearingAccountId(topUp.tenantId, topUp.currency),
      creditAccountId: walletAccountId(topUp.tenantId, topUp.customerId, topUp.currency),
      amountMicros: topUp.amountMicros,
      ledger: topUp.currency,
      code: TRANSFER_CODE.topUp,
      userData: `top-up:${topUp.reference}`,
    }]);
    return result!;
  });
}

export interface UsageDebit {
  tenantId: string;
  customerId: string;
  currency: string;
  amountMicros: bigint;
}

/**
 * Debits rated usage inside the caller's transaction (the rater's checkpoint
 * transaction). `reference` names the Kafka offsets the usage came from and
 * makes the transfer ids deterministic, so a replay posts nothing twice.
 */
export async function postUsageDebits(tx: Tx, debits: UsageDebit[], reference: string): Promise<void> {
  const transfers: TransferInput[] = [];
  for (const debit of debits) {
    if (debit.amountMicros <= 0n) continue;
    await ensureCustomerAccounts(tx, debit.tenantId, debit.customerId, debit.currency);
    const walletId = walletAccountId(debit.tenantId, debit.customerId, debit.currency);
    const [wallet] = await tx.select().from(schema.ledgerAccounts).where(eq(schema.ledgerAccounts.id, walletId)).for('update');
    const availableMicros = wallet ? wallet.creditsPostedMicros - wallet.debitsPostedMicros - wallet.debitsPendingMicros : 0n;
    const fromWalletMicros = availableMicros > 0n ? (availableMicros < debit.amountMicros ? availableMicros : debit.amountMicros) : 0n;
    const base = { tenantId: debit.tenantId, ledger: debit.currency, code: TRANSFER_CODE.usage, userData: `usage:${reference}` };
    const revenueId = revenueAccountId(debit.tenantId, debit.currency);
    if (fromWalletMicros > 0n) {
      transfers.push({ ...base, id: idFromName(`usage:${reference}:${debit.customerId}:${debit.currency}:wallet`),
        debitAccountId: walletId, creditAccountId: revenueId, amountMicros: fromWalletMicros });
    }
    if (debit.amountMicros > fromWalletMicros) {
      transfers.push({ ...base, id: idFromName(`usage:${reference}:${debit.customerId}:${debit.currency}:receivable`),
        debitAccountId: receivableAccountId(debit.tenantId, debit.customerId, debit.currency), creditAccountId: revenueId,
        amountMicros: debit.amountMicros - fromWalletMicros });
    }
  }
  const results = await createTransfers(tx, transfers);
  const failed = results.map((r, i) => ({ r, t: transfers[i]! })).filter(({ r }) => r !== 'ok' && r !== 'exists');
  if (failed.length > 0) {
    // A usage debit that cannot post is a bug, never something to skip: fail the checkpoint.
    throw new Error(`usage debits refused by the ledger: ${failed.map(({ r, t }) => `${t.id}=${r}`).join(', ')}`);
  }
}

export interface WalletBalance {
  currency: string;
  availableMicros: bigint;
  creditsPostedMicros: bigint;
  debitsPostedMicros: bigint;
  receivableMicros: bigint;
}

export async function walletBalance(db: Database, tenantId: string, customerId: string, currency: string): Promise<WalletBalance> {
  const rows = await db.select().from(schema.ledgerAccounts).where(and(eq(schema.ledgerAccounts.tenantId, tenantId),
    eq(schema.ledgerAccounts.userData, `customer:${customerId}`), eq(schema.ledgerAccounts.ledger, currency)));
  const wallet = rows.find((r) => r.code === ACCOUNT_CODE.wallet);
  const receivable = rows.find((r) => r.code === ACCOUNT_CODE.receivable);
  return {
    currency,
    availableMicros: wallet ? wallet.creditsPostedMicros - wallet.debitsPostedMicros - wallet.debitsPendingMicros : 0n,
    creditsPostedMicros: wallet?.creditsPostedMicros ?? 0n,
    debitsPostedMicros: wallet?.debitsPostedMicros ?? 0n,
    receivableMicros: receivable ? receivable.debitsPostedMicros - receivable.creditsPostedMicros : 0n,
  };
}

export interface TransferView {
  id: string;
  amountMicros: bigint;
  debitAccountId: string;
  creditAccountId: string;
  code: number;
  userData: string;
  createdAt: Date;
}

export async function walletTransfers(db: Database, tenantId: string, customerId: string, currency: string, limit = 100): Promise<TransferView[]> {
  const walletId = walletAccountId(tenantId, customerId, currency);
  const receivableId = receivableAccountId(tenantId, customerId, currency);
  const rows = await db.query.ledgerTransfers.findMany({
    where: (t, { or, eq: equals }) => or(equals(t.debitAccountId, walletId), equals(t.creditAccountId, walletId), equals(t.debitAccountId, receivableId)),
    orderBy: (t, { desc }) => [desc(t.createdAt)],
    limit,
  });
  return rows.map((r) => ({ id: r.id, amountMicros: r.amountMicros, debitAccountId: r.debitAccountId, creditAccountId: r.creditAccountId,
    code: r.code, userData: r.userData, createdAt: r.createdAt }));
}

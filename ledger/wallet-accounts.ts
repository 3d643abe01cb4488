/**
 * Which accounts make up a wallet, and creating them. Per customer and
 * currency: the paid wallet, the promotional wallet (both
 * `debits_must_not_exceed_credits`) and the receivable; per tenant and
 * currency: revenue, payments clearing and promotions. Ids derive from names,
 * so every service computes the same id without a lookup.
 */
import { schema, type Database } from '../platform/postgres.ts';
import { ACCOUNT_CODE, ACCOUNT_FLAGS } from './account-codes.ts';
import { idFromName } from './ids.ts';
import type { Tx } from './transfers.ts';

export function walletAccountId(tenantId: string, customerId: string, currency: string): string {
  return idFromName(`account:${tenantId}:wallet:${customerId}:${currency}`);
}
export function promoWalletAccountId(tenantId: string, customerId: string, currency: string): string {
  return idFromName(`account:${tenantId}:wallet-promotional:${customerId}:${currency}`);
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
export function promotionsAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:promotions:${currency}`);
}

export interface WalletKey {
  tenantId: string;
  customerId: string;
  currency: string;
}

/**
 * Creates the wallets' accounts (and their tenants' accounts) where absent,
 * in one INSERT in id order: two transactions creating overlapping sets of new
 * accounts then wait on each other in the same order and never deadlock.
 */
export async function ensureWallets(db: Database | Tx, keys: readonly WalletKey[]): Promise<void> {
  const accounts = new Map<string, typeof schema.ledgerAccounts.$inferInsert>();
  const wallets = new Map<string, typeof schema.ledgerWallets.$inferInsert>();
  for (const { tenantId, customerId, currency } of keys) {
    const customer = `customer:${customerId}`;
    const limited = ACCOUNT_FLAGS.debitsMustNotExceedCredits;
    const rows: (typeof schema.ledgerAccounts.$inferInsert)[] = [
      { id: walletAccountId(tenantId, customerId, currency), code: ACCOUNT_CODE.wallet, flags: limited, userData: customer, tenantId, ledger: currency },
      { id: promoWalletAccountId(tenantId, customerId, currency), code: ACCOUNT_CODE.walletPromotional, flags: limited, userData: customer, tenantId, ledger: currency },
      { id: receivableAccountId(tenantId, customerId, currency), code: ACCOUNT_CODE.receivable, userData: customer, tenantId, ledger: currency },
      { id: revenueAccountId(tenantId, currency), code: ACCOUNT_CODE.revenue, userData: 'revenue', tenantId, ledger: currency },
      { id: clearingAccountId(tenantId, currency), code: ACCOUNT_CODE.paymentsClearing, userData: 'payments', tenantId, ledger: currency },
      { id: promotionsAccountId(tenantId, currency), code: ACCOUNT_CODE.promotions, userData: 'promotions', tenantId, ledger: currency },
    ];
    for (const row of rows) accounts.set(row.id, row);
    const walletId = walletAccountId(tenantId, customerId, currency);
    wallets.set(walletId, { walletAccountId: walletId, promoAccountId: promoWalletAccountId(tenantId, customerId, currency), tenantId, customerId, currency });
  }
  if (accounts.size === 0) return;
  const sortedById = <T>(rows: Map<string, T>): T[] => [...rows.keys()].sort().map((id) => rows.get(id)!);
  await db.insert(schema.ledgerAccounts).values(sortedById(accounts)).onConflictDoNothing();
  await db.insert(schema.ledgerWallets).values(sortedById(wallets)).onConflictDoNothing();
}

/** Creates the customer's wallet accounts and the tenant's accounts for the currency if absent. */
export async function ensureCustomerAccounts(db: Database | Tx, tenantId: string, customerId: string, currency: string): Promise<void> {
  await ensureWallets(db, [{ tenantId, customerId, currency }]);
}

/** What a wallet can spend: credits posted minus debits posted and held. */
export function availableMicros(a: { creditsPostedMicros: bigint; debitsPostedMicros: bigint; debitsPendingMicros: bigint }): bigint {
  return a.creditsPostedMicros - a.debitsPostedMicros - a.debitsPendingMicros;
}

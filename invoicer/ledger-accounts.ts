/**
 * The invoicer's accounts and transfer codes in the ledger. Codes 100–199 are
 * the invoicer's (the ledger's own are below 100, clients' from 1000). Ids
 * derive from names like the wallets' (ledger/wallet-accounts.ts).
 *
 * How an invoice moves money (transfer ids derive from the invoice id, so a
 * retried finalization books nothing twice):
 *   usage                the rater already charged it: receivable → revenue, wallet-settled as rated
 *   recurring, top-up    receivable → revenue
 *   late usage           already charged by the rater when it was rated
 *   discounts            discounts (contra revenue) → receivable
 *   tax                  receivable → tax payable
 *   rounding             receivable → revenue (or back when negative)
 *   wallet credit        promotional wallet, then wallet → receivable (balancing: what the wallet holds, at most what is due)
 *   payment              payments clearing → receivable; the overpaid rest clearing → wallet
 *   credit note          revenue → receivable, tax payable → receivable; what had been settled goes back receivable → wallet
 */
import { schema, type Database } from '../platform/postgres.ts';
import { ensureWallets, idFromName, type Tx, type WalletKey } from '../ledger/index.ts';

export const INVOICE_ACCOUNT_CODE = {
  /** Tax charged on invoices, owed to the tax authority. */
  taxPayable: 101,
  /** Discounts given on invoices (contra revenue: its debit balance is what discounts cost). */
  discounts: 102,
} as const;

export const INVOICE_TRANSFER_CODE = {
  charge: 101,
  discount: 102,
  tax: 103,
  rounding: 104,
  payment: 105,
  overpayment: 106,
  creditNote: 107,
  creditNoteTax: 108,
  creditNoteRefund: 109,
} as const;

export function taxPayableAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:tax-payable:${currency}`);
}
export function discountsAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:discounts:${currency}`);
}

/** The wallets' accounts of every customer and the tenant's invoice accounts, where absent (id order: no deadlocks). */
export async function ensureInvoiceAccounts(db: Database | Tx, keys: readonly WalletKey[]): Promise<void> {
  await ensureWallets(db, keys);
  const rows = new Map<string, typeof schema.ledgerAccounts.$inferInsert>();
  for (const { tenantId, currency } of keys) {
    const tax = taxPayableAccountId(tenantId, currency);
    const discounts = discountsAccountId(tenantId, currency);
    rows.set(tax, { id: tax, tenantId, ledger: currency, code: INVOICE_ACCOUNT_CODE.taxPayable, userData: 'tax-payable' });
    rows.set(discounts, { id: discounts, tenantId, ledger: currency, code: INVOICE_ACCOUNT_CODE.discounts, userData: 'discounts' });
  }
  if (rows.size === 0) return;
  await db.insert(schema.ledgerAccounts).values([...rows.keys()].sort().map((id) => rows.get(id)!)).onConflictDoNothing();
}

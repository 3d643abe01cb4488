/**
 * Where voucher money lives in the ledger, per tenant and currency:
 *
 *   buyer's wallet ─┐
 *                   ├─ sale ─▶ voucher liability ─ recognize (activation) / forfeit (disabled unused) ─▶ voucher revenue
 *   sales clearing ─┘                 └─ refund (unused only) ─▶ back to the account that paid
 *
 * So the liability account always holds exactly the prices of the vouchers
 * that are sold and not yet activated, refunded or disabled. Transfer ids are
 * derived from (voucher, movement): each movement happens at most once per
 * voucher, and a retried action finds its transfer already there (`exists`).
 */
import {
  ACCOUNT_CODE, ACCOUNT_FLAGS, TRANSFER_CODE, createTransfers, ensureCustomerAccounts, idFromName, isTransferApplied, submitAccounts,
  walletAccountId, type AccountInput, type TransferInput, type Tx,
} from '../index.ts';
import type { Database } from '../../platform/postgres.ts';
import { voucherError, VoucherRefusal } from './errors.ts';
import type { PaymentMethod } from './inputs.ts';
import type { MoneyEffect } from './state-machine.ts';

export function voucherLiabilityAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:voucher-liability:${currency}`);
}
export function voucherRevenueAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:voucher-revenue:${currency}`);
}
export function voucherSalesClearingAccountId(tenantId: string, currency: string): string {
  return idFromName(`account:${tenantId}:voucher-sales-clearing:${currency}`);
}

export function voucherTransferId(voucherId: string, movement: MoneyEffect): string {
  return idFromName(`voucher:${voucherId}:${movement}`);
}

/**
 * Creates the tenant's voucher accounts for a currency if absent, in a
 * transaction of its own (the ledger reruns it if another process creates
 * them at the same moment). Called before a batch is generated, so every
 * voucher's accounts exist before it can be sold.
 */
export async function ensureVoucherAccounts(db: Database, tenantId: string, currency: string): Promise<void> {
  const accounts: AccountInput[] = [
    // Recognising or refunding more than was sold would be a bug: the ledger refuses it.
    { id: voucherLiabilityAccountId(tenantId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.voucherLiability,
      flags: ACCOUNT_FLAGS.debitsMustNotExceedCredits, userData: 'vouchers:liability' },
    { id: voucherRevenueAccountId(tenantId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.voucherRevenue, flags: 0, userData: 'vouchers:revenue' },
    // Refunds to the till cannot exceed what the till took.
    { id: voucherSalesClearingAccountId(tenantId, currency), tenantId, ledger: currency, code: ACCOUNT_CODE.voucherSalesClearing,
      flags: ACCOUNT_FLAGS.creditsMustNotExceedDebits, userData: 'vouchers:sales-clearing' },
  ];
  const results = await submitAccounts(db, accounts);
  const wrong = results.map((result, i) => ({ result, id: accounts[i]!.id })).filter(({ result }) => result !== 'ok' && result !== 'exists');
  if (wrong.length > 0) throw new Error(`voucher accounts refused by the ledger: ${wrong.map((w) => `${w.id}=${w.result}`).join(', ')}`);
}

/** The account a sale is paid from; creates the buyer's wallet accounts when the wallet pays. */
export async function payerAccountId(tx: Tx, tenantId: string, customerId: string, currency: string, payment: PaymentMethod): Promise<string> {
  if (payment === 'external') return voucherSalesClearingAccountId(tenantId, currency);
  await ensureCustomerAccounts(tx, tenantId, customerId, currency);
  return walletAccountId(tenantId, customerId, currency);
}

export interface Booking {
  transferId: string;
  movement: MoneyEffect;
  amountMicros: bigint;
  debitAccountId: string;
  creditAccountId: string;
}

export interface VoucherMoney {
  id: string;
  tenantId: string;
  currency: string;
  priceMicros: bigint;
  /** Set once sold: the refund's destination. */
  paidFromAccountId: string | null;
}

function legs(voucher: VoucherMoney, movement: MoneyEffect, payerId: string | null): { debit: string; credit: string } {
  const liability = voucherLiabilityAccountId(voucher.tenantId, voucher.currency);
  const revenue = voucherRevenueAccountId(voucher.tenantId, voucher.currency);
  const payer = payerId ?? voucher.paidFromAccountId;
  switch (movement) {
    case 'sale':
    case 'refund':
      if (!payer) throw new Error(`voucher ${voucher.id}: ${movement} without a paying account`);
      return movement === 'sale' ? { debit: payer, credit: liability } : { debit: liability, credit: payer };
    case 'recognize':
    case 'forfeit':
      return { debit: liability, credit: revenue };
  }
}

const TRANSFER_CODES: Record<MoneyEffect, number> = {
  sale: TRANSFER_CODE.voucherSale,
  recognize: TRANSFER_CODE.voucherRevenue,
  refund: TRANSFER_CODE.voucherRefund,
  forfeit: TRANSFER_CODE.voucherForfeit,
};

/**
 * Books one movement of a voucher's price inside the caller's transaction.
 * A free voucher moves nothing. A refusal by the ledger throws a
 * `VoucherRefusal`, which rolls the whole action back.
 */
export async function bookMovement(tx: Tx, voucher: VoucherMoney, movement: MoneyEffect, payerId: string | null, now: Date): Promise<Booking | null> {
  if (voucher.priceMicros === 0n) return null;
  const { debit, credit } = legs(voucher, movement, payerId);
  const transfer: TransferInput = {
    id: voucherTransferId(voucher.id, movement),
    tenantId: voucher.tenantId,
    debitAccountId: debit,
    creditAccountId: credit,
    amountMicros: voucher.priceMicros,
    ledger: voucher.currency,
    code: TRANSFER_CODES[movement],
    userData: `voucher:${voucher.id}:${movement}`,
  };
  const [result] = await createTransfers(tx, [transfer], { nowMs: now.getTime() });
  if (result === undefined || !isTransferApplied(result)) {
    if (result === 'exceeds_credits' && movement === 'sale') throw new VoucherRefusal(voucherError('TG_VOUCHER_INSUFFICIENT_FUNDS'));
    throw new VoucherRefusal(voucherError('TG_VOUCHER_LEDGER_REFUSED', `the ledger refused the ${movement} transfer: ${String(result)}`));
  }
  return { transferId: transfer.id, movement, amountMicros: voucher.priceMicros, debitAccountId: debit, creditAccountId: credit };
}

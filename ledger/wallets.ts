/**
 * Prepaid wallets: per customer and currency, a paid wallet account and a
 * promotional one (both `debits_must_not_exceed_credits`), settling the
 * customer's receivable.
 *
 * Usage is charged to the receivable (receivable → revenue), then prepaid
 * credit settles what the customer owes: promotional first, then paid, each a
 * balancing transfer (wallet → receivable) that moves as much as the wallet
 * holds and the receivable is owed. So every rated micro is booked, the wallet
 * never goes below zero, and what the wallet could not cover stays on the
 * receivable for the invoice.
 */
import { sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import { ACCOUNT_CODE, TRANSFER_CODE, TRANSFER_FLAGS } from './account-codes.ts';
import { AMOUNT_MAX, type TransferResult } from './engine.ts';
import { idFromName } from './ids.ts';
import { createTransfers, epochMs, inTransactionWithRetry, queryRows, type TransferInput, type Tx } from './transfers.ts';
import {
  availableMicros, clearingAccountId, ensureWallets, promoWalletAccountId, promotionsAccountId, receivableAccountId,
  revenueAccountId, walletAccountId, type WalletKey,
} from './wallet-accounts.ts';

export interface WalletMovement extends WalletKey {
  amountMicros: bigint;
  /** The caller's reference (a payment id, a ticket); the same reference moves money once. */
  reference: string;
}

/** A top-up: money received for the customer (payments clearing → wallet). */
export type TopUp = WalletMovement;

async function moveOnce(db: Database, key: WalletKey, transfer: Omit<TransferInput, 'tenantId' | 'ledger'>): Promise<TransferResult> {
  return inTransactionWithRetry(db, async (tx) => {
    await ensureWallets(tx, [key]);
    const [result] = await createTransfers(tx, [{ ...transfer, tenantId: key.tenantId, ledger: key.currency }]);
    return result!;
  });
}

export async function topUpWallet(db: Database, topUp: TopUp): Promise<TransferResult> {
  const { tenantId, customerId, currency } = topUp;
  return moveOnce(db, topUp, {
    id: idFromName(`top-up:${tenantId}:${topUp.reference}`), debitAccountId: clearingAccountId(tenantId, currency),
    creditAccountId: walletAccountId(tenantId, customerId, currency), amountMicros: topUp.amountMicros, code: TRANSFER_CODE.topUp,
    userData: `top-up:${topUp.reference}`,
  });
}

/** Pays prepaid money back to the customer (wallet → payments clearing); refused with `exceeds_credits` beyond the balance. */
export async function refundWallet(db: Database, refund: WalletMovement): Promise<TransferResult> {
  const { tenantId, customerId, currency } = refund;
  return moveOnce(db, refund, {
    id: idFromName(`wallet-refund:${tenantId}:${refund.reference}`), debitAccountId: walletAccountId(tenantId, customerId, currency),
    creditAccountId: clearingAccountId(tenantId, currency), amountMicros: refund.amountMicros, code: TRANSFER_CODE.walletRefund,
    userData: `wallet-refund:${refund.reference}`,
  });
}

/** Gives charged usage back as wallet credit (revenue → wallet): a correction or goodwill, never an edit of the usage transfer. */
export async function creditUsage(db: Database, credit: WalletMovement): Promise<TransferResult> {
  const { tenantId, customerId, currency } = credit;
  return moveOnce(db, credit, {
    id: idFromName(`usage-credit:${tenantId}:${credit.reference}`), debitAccountId: revenueAccountId(tenantId, currency),
    creditAccountId: walletAccountId(tenantId, customerId, currency), amountMicros: credit.amountMicros, code: TRANSFER_CODE.usageCredit,
    userData: `usage-credit:${credit.reference}`,
  });
}

export interface PromotionGrant extends WalletMovement {
  expiresAtMs: number;
}

/**
 * Grants promotional credit (promotions → promotional wallet) until
 * `expiresAtMs`; promotions.ts moves what is left back at expiry. The expiry
 * is part of the transfer's user data, so a retry with another expiry answers
 * `exists_with_different_user_data`.
 */
export async function grantPromotionalCredit(db: Database, grant: PromotionGrant): Promise<TransferResult> {
  const { tenantId, customerId, currency } = grant;
  const id = idFromName(`promotion:${tenantId}:${grant.reference}`);
  return inTransactionWithRetry(db, async (tx) => {
    await ensureWallets(tx, [grant]);
    const [result] = await createTransfers(tx, [{
      id, tenantId, ledger: currency, debitAccountId: promotionsAccountId(tenantId, currency),
      creditAccountId: promoWalletAccountId(tenantId, customerId, currency), amountMicros: grant.amountMicros,
      code: TRANSFER_CODE.promotionGrant, userData: `promotion:${grant.reference}:expires:${new Date(grant.expiresAtMs).toISOString()}`,
    }]);
    if (result === 'ok') {
      await tx.insert(schema.ledgerPromotions).values({
        id, tenantId, walletAccountId: walletAccountId(tenantId, customerId, currency),
        promoAccountId: promoWalletAccountId(tenantId, customerId, currency), amountMicros: grant.amountMicros,
        expiresAt: new Date(grant.expiresAtMs), reference: grant.reference,
      });
    }
    return result!;
  });
}

/** Sets the balance under which the wallet emits `wallet.low_balance` (0 = never). */
export async function setLowBalanceThreshold(db: Database, key: WalletKey, thresholdMicros: bigint): Promise<void> {
  if (thresholdMicros < 0n) throw new RangeError('ledger: a low-balance threshold is not negative');
  await db.transaction(async (tx) => {
    await ensureWallets(tx, [key]);
    await tx.update(schema.ledgerWallets).set({ lowBalanceThresholdMicros: thresholdMicros })
      .where(sql`${schema.ledgerWallets.walletAccountId} = ${walletAccountId(key.tenantId, key.customerId, key.currency)}`);
  });
}

export interface UsageDebit extends WalletKey {
  amountMicros: bigint;
}

const USAGE_OUTCOMES_ACCEPTED: ReadonlySet<TransferResult> = new Set(['ok', 'exists']);
// A settlement finds nothing to move when the wallet is empty or nothing is owed: fine, not a fault.
const SETTLEMENT_OUTCOMES_ACCEPTED: ReadonlySet<TransferResult> = new Set(['ok', 'exists', 'exceeds_credits', 'exceeds_debits']);

/**
 * Books rated usage inside the caller's transaction (the rater's checkpoint
 * transaction). `reference` names the Kafka offsets the usage came from and
 * makes every transfer id deterministic, so a replay posts nothing twice.
 */
export async function postUsageDebits(tx: Tx, debits: readonly UsageDebit[], reference: string): Promise<void> {
  const totals = new Map<string, UsageDebit>();
  for (const d of debits) {
    if (d.amountMicros <= 0n) continue;
    const key = `${d.tenantId}\u0000${d.customerId}\u0000${d.currency}`;
    const prior = totals.get(key);
    totals.set(key, prior ? { ...prior, amountMicros: prior.amountMicros + d.amountMicros } : { ...d });
  }
  if (totals.size === 0) return;
  const usage = [...totals.values()];
  await ensureWallets(tx, usage);
  // Unlocked look at which wallets hold anything: settling from an empty one would only log a failure.
  const walletIds = usage.flatMap((u) => [promoWalletAccountId(u.tenantId, u.customerId, u.currency), walletAccountId(u.tenantId, u.customerId, u.currency)]);
  const balances = await tx.select().from(schema.ledgerAccounts).where(sql`${schema.ledgerAccounts.id} = ANY(${sql.param(walletIds)}::uuid[])`);
  const funded = new Set(balances.filter((a) => availableMicros(a) > 0n).map((a) => a.id));

  const transfers: TransferInput[] = [];
  const settlements = new Set<string>();
  for (const u of usage) {
    const base = { tenantId: u.tenantId, ledger: u.currency, userData: `usage:${reference}` };
    const receivable = receivableAccountId(u.tenantId, u.customerId, u.currency);
    const name = `usage:${reference}:${u.customerId}:${u.currency}`;
    transfers.push({ ...base, id: idFromName(`${name}:charge`), debitAccountId: receivable, creditAccountId: revenueAccountId(u.tenantId, u.currency),
      amountMicros: u.amountMicros, code: TRANSFER_CODE.usage });
    const sources: [string, string][] = [
      ['settle-promotional', promoWalletAccountId(u.tenantId, u.customerId, u.currency)],
      ['settle-wallet', walletAccountId(u.tenantId, u.customerId, u.currency)],
    ];
    for (const [kind, source] of sources) {
      if (!funded.has(source)) continue;
      const id = idFromName(`${name}:${kind}`);
      settlements.add(id);
      transfers.push({ ...base, id, debitAccountId: source, creditAccountId: receivable, amountMicros: AMOUNT_MAX,
        code: TRANSFER_CODE.walletSettlement, flags: TRANSFER_FLAGS.balancingDebit | TRANSFER_FLAGS.balancingCredit });
    }
  }
  const results = await createTransfers(tx, transfers);
  const refused = results.map((r, i) => ({ r, t: transfers[i]! }))
    .filter(({ r, t }) => !(settlements.has(t.id) ? SETTLEMENT_OUTCOMES_ACCEPTED : USAGE_OUTCOMES_ACCEPTED).has(r));
  if (refused.length > 0) {
    // A usage charge that cannot post is a bug, never something to skip: fail the checkpoint.
    throw new Error(`usage debits refused by the ledger: ${refused.map(({ r, t }) => `${t.id}=${r}`).join(', ')}`);
  }
}

export interface WalletBalance {
  currency: string;
  /** What the customer can spend now: paid plus promotional, less holds. */
  availableMicros: bigint;
  promotionalMicros: bigint;
  /** Held by pending transfers (both wallet accounts). */
  heldMicros: bigint;
  /** The paid wallet account's posted totals. */
  creditsPostedMicros: bigint;
  debitsPostedMicros: bigint;
  /** What the customer owes beyond the wallet. */
  receivableMicros: bigint;
  lowBalanceThresholdMicros: bigint;
}

export async function walletBalance(db: Database | Tx, tenantId: string, customerId: string, currency: string): Promise<WalletBalance> {
  const ids = [walletAccountId(tenantId, customerId, currency), promoWalletAccountId(tenantId, customerId, currency),
    receivableAccountId(tenantId, customerId, currency)];
  const rows = await db.select().from(schema.ledgerAccounts).where(sql`${schema.ledgerAccounts.id} = ANY(${sql.param(ids)}::uuid[])
    AND ${schema.ledgerAccounts.tenantId} = ${tenantId}`);
  const wallet = rows.find((r) => r.code === ACCOUNT_CODE.wallet);
  const promo = rows.find((r) => r.code === ACCOUNT_CODE.walletPromotional);
  const receivable = rows.find((r) => r.code === ACCOUNT_CODE.receivable);
  const [settings] = await db.select().from(schema.ledgerWallets).where(sql`${schema.ledgerWallets.walletAccountId} = ${ids[0]}`);
  const promotionalMicros = promo ? availableMicros(promo) : 0n;
  return {
    currency,
    availableMicros: (wallet ? availableMicros(wallet) : 0n) + promotionalMicros,
    promotionalMicros,
    heldMicros: (wallet?.debitsPendingMicros ?? 0n) + (promo?.debitsPendingMicros ?? 0n),
    creditsPostedMicros: wallet?.creditsPostedMicros ?? 0n,
    debitsPostedMicros: wallet?.debitsPostedMicros ?? 0n,
    receivableMicros: receivable ? receivable.debitsPostedMicros - receivable.creditsPostedMicros : 0n,
    lowBalanceThresholdMicros: settings?.lowBalanceThresholdMicros ?? 0n,
  };
}

export interface TransferView {
  id: string;
  amountMicros: bigint;
  debitAccountId: string;
  creditAccountId: string;
  code: number;
  flags: number;
  pendingId: string | null;
  userData: string;
  createdAt: Date;
}

/** The newest transfers touching the customer's wallet, promotional wallet or receivable. */
export async function walletTransfers(db: Database | Tx, tenantId: string, customerId: string, currency: string, limit = 100): Promise<TransferView[]> {
  const ids = [walletAccountId(tenantId, customerId, currency), promoWalletAccountId(tenantId, customerId, currency),
    receivableAccountId(tenantId, customerId, currency)];
  // One index range per account and side, each newest-first and bounded, then merged: the receivable may hold a long history.
  const ranges = ids.flatMap((id) => ['debit_account_id', 'credit_account_id'].map((column) => sql`(SELECT id FROM ledger_transfers
    WHERE ${sql.raw(column)} = ${id} AND tenant_id = ${tenantId} ORDER BY seq DESC LIMIT ${limit})`));
  const rows = await queryRows<{ id: string; amount_micros: bigint; debit_account_id: string; credit_account_id: string; code: number;
    flags: number; pending_id: string | null; user_data: string; created_ms: bigint }>(db, sql`
    SELECT t.id, t.amount_micros, t.debit_account_id, t.credit_account_id, t.code, t.flags, t.pending_id, t.user_data,
      ${sql.raw(epochMs('t.created_at'))} AS created_ms
    FROM ledger_transfers t WHERE t.id IN (${sql.join(ranges, sql` UNION `)}) ORDER BY t.seq DESC LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, amountMicros: r.amount_micros, debitAccountId: r.debit_account_id, creditAccountId: r.credit_account_id,
    code: r.code, flags: r.flags, pendingId: r.pending_id, userData: r.user_data, createdAt: new Date(Number(r.created_ms)) }));
}

export { ensureCustomerAccounts, ensureWallets, walletAccountId, promoWalletAccountId, receivableAccountId, revenueAccountId,
  clearingAccountId, promotionsAccountId, type WalletKey } from './wallet-accounts.ts';

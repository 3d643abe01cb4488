/**
 * `wallet.low_balance` and `wallet.depleted`, detected where the money moves:
 * at the end of every batch that lowered a wallet account's available balance
 * (whoever posted it: the rater, a voucher sale, the HTTP API), and written to
 * the ledger outbox in the same transaction. A wallet's balance is its paid
 * and promotional accounts together.
 *
 *   depleted:     available went from > 0 to ≤ 0
 *   low_balance:  available crossed below the wallet's threshold (> 0) and is still > 0
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { schema } from '../platform/postgres.ts';
import { TOPICS } from '../schemas/event.ts';
import { ACCOUNT_CODE } from './account-codes.ts';
import type { Account } from './engine.ts';
import { ledgerMetrics } from './metrics.ts';
import type { Tx } from './transfers.ts';
import { availableMicros } from './wallet-accounts.ts';

export type WalletEventType = 'wallet.low_balance' | 'wallet.depleted';

/** The `wallet.events` record value (JSON). Amounts are decimal strings of micro-units. */
export interface WalletEvent {
  /** Unique per event: consumers de-duplicate on it (the outbox publishes at least once). */
  id: string;
  type: WalletEventType;
  tenantId: string;
  customerId: string;
  currency: string;
  walletAccountId: string;
  availableMicros: string;
  previousAvailableMicros: string;
  lowBalanceThresholdMicros: string;
  timeMs: number;
}

const WALLET_CODES: ReadonlySet<number> = new Set([ACCOUNT_CODE.wallet, ACCOUNT_CODE.walletPromotional]);

interface WalletRow {
  wallet_account_id: string;
  promo_account_id: string;
  tenant_id: string;
  customer_id: string;
  currency: string;
  low_balance_threshold_micros: bigint;
  available_micros: bigint;
}

/** The event a wallet's move from `previous` to `available` calls for, if any. */
export function walletEventType(previous: bigint, available: bigint, thresholdMicros: bigint): WalletEventType | undefined {
  if (previous > 0n && available <= 0n) return 'wallet.depleted';
  if (thresholdMicros > 0n && previous >= thresholdMicros && available < thresholdMicros && available > 0n) return 'wallet.low_balance';
  return undefined;
}

/** Writes the events the batch calls for to the outbox; returns how many. Costs nothing when no wallet went down. */
export async function recordWalletEvents(tx: Tx, before: ReadonlyMap<string, Account>, after: ReadonlyMap<string, Account>,
  touched: ReadonlySet<string>, nowMs: number): Promise<number> {
  // How much each wallet account's available balance went down in this batch (negative: up).
  const drops = new Map<string, bigint>();
  let anyDrop = false;
  for (const id of touched) {
    const a = after.get(id)!;
    if (!WALLET_CODES.has(a.code)) continue;
    const drop = availableMicros(before.get(id)!) - availableMicros(a);
    drops.set(id, drop);
    if (drop > 0n) anyDrop = true;
  }
  if (!anyDrop) return 0;
  const ids = [...drops.keys()];
  // Read after this batch's UPDATE: the paid and promotional accounts as they now stand.
  const wallets = await tx.execute<WalletRow & Record<string, unknown>>(sql`
    SELECT w.wallet_account_id, w.promo_account_id, w.tenant_id, w.customer_id, w.currency, w.low_balance_threshold_micros,
      (m.credits_posted_micros - m.debits_posted_micros - m.debits_pending_micros)
        + (p.credits_posted_micros - p.debits_posted_micros - p.debits_pending_micros) AS available_micros
    FROM ledger_wallets w JOIN ledger_accounts m ON m.id = w.wallet_account_id JOIN ledger_accounts p ON p.id = w.promo_account_id
    WHERE w.wallet_account_id = ANY(${sql.param(ids)}::uuid[]) OR w.promo_account_id = ANY(${sql.param(ids)}::uuid[])`);
  const events: WalletEvent[] = [];
  for (const w of wallets.rows) {
    const available = w.available_micros;
    const previous = available + (drops.get(w.wallet_account_id) ?? 0n) + (drops.get(w.promo_account_id) ?? 0n);
    const type = walletEventType(previous, available, w.low_balance_threshold_micros);
    if (!type) continue;
    events.push({
      id: randomUUID(), type, tenantId: w.tenant_id, customerId: w.customer_id, currency: w.currency, walletAccountId: w.wallet_account_id,
      availableMicros: available.toString(), previousAvailableMicros: previous.toString(),
      lowBalanceThresholdMicros: w.low_balance_threshold_micros.toString(), timeMs: nowMs,
    });
  }
  if (events.length === 0) return 0;
  await tx.insert(schema.ledgerOutbox).values(events.map((e) => ({
    topic: TOPICS.walletEvents, messageKey: `${e.tenantId}:${e.customerId}`, payload: e,
  })));
  for (const e of events) ledgerMetrics.walletEvents.inc({ type: e.type });
  return events.length;
}

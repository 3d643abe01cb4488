/**
 * Prepaid wallets on real Postgres (and the Kafka broker for wallet events):
 * top-ups, usage debits from the rater (idempotent per reference), refunds,
 * promotional credit and its expiry, low-balance and depletion events through
 * the outbox.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import type { Database, Postgres } from '../platform/postgres.ts';
import { schema } from '../platform/postgres.ts';
import { TOPICS } from '../schemas/event.ts';
import { checkLedgerInvariants } from './invariants.ts';
import { publishOutbox, type OutboxProducer } from './outbox.ts';
import { expirePromotions } from './promotions.ts';
import { connectLedgerTestDatabase, ensureTestTenant } from './test-support.ts';
import type { WalletEvent } from './wallet-events.ts';
import {
  creditUsage, grantPromotionalCredit, postUsageDebits, refundWallet, setLowBalanceThreshold, topUpWallet, walletBalance, walletTransfers,
  type WalletKey,
} from './wallets.ts';
import { sql } from 'drizzle-orm';

const TENANT = 'itest-ledger-wallets';
let postgres: Postgres;
let db: Database;

beforeAll(async () => {
  postgres = await connectLedgerTestDatabase();
  db = postgres.db;
  await ensureTestTenant(db, TENANT);
});

afterAll(async () => {
  await postgres?.close();
});

// Payment references are unique per tenant (a top-up reference tops up once), so tests suffix them with the customer.
const newWallet = (): WalletKey => ({ tenantId: TENANT, customerId: randomUUID(), currency: 'USD' });

async function usage(key: WalletKey, amountMicros: bigint, reference: string): Promise<void> {
  await db.transaction((tx) => postUsageDebits(tx, [{ ...key, amountMicros }], reference));
}

async function balance(key: WalletKey): Promise<{ available: bigint; promotional: bigint; receivable: bigint }> {
  const b = await walletBalance(db, key.tenantId, key.customerId, key.currency);
  return { available: b.availableMicros, promotional: b.promotionalMicros, receivable: b.receivableMicros };
}

describe('wallets', () => {
  it('tops up once per reference', async () => {
    const key = newWallet();
    expect(await topUpWallet(db, { ...key, amountMicros: 1_000n, reference: `pay-1-${key.customerId}` })).toBe('ok');
    expect(await topUpWallet(db, { ...key, amountMicros: 1_000n, reference: `pay-1-${key.customerId}` })).toBe('exists');
    expect(await topUpWallet(db, { ...key, amountMicros: 2_000n, reference: `pay-1-${key.customerId}` })).toBe('exists_with_different_amount');
    expect(await balance(key)).toEqual({ available: 1_000n, promotional: 0n, receivable: 0n });
  });

  it('debits usage from the wallet first and books the rest on the receivable, once per checkpoint reference', async () => {
    const key = newWallet();
    await topUpWallet(db, { ...key, amountMicros: 100n, reference: `pay-${key.customerId}` });
    await usage(key, 250n, 'usage.events@e1:0:0-9');
    expect(await balance(key)).toEqual({ available: 0n, promotional: 0n, receivable: 150n });
    // A replay of the same Kafka offsets changes nothing.
    await usage(key, 250n, 'usage.events@e1:0:0-9');
    expect(await balance(key)).toEqual({ available: 0n, promotional: 0n, receivable: 150n });
    // Credit added later settles what is owed at the next usage.
    await topUpWallet(db, { ...key, amountMicros: 500n, reference: `pay-2-${key.customerId}` });
    await usage(key, 10n, 'usage.events@e1:0:10-19');
    expect(await balance(key)).toEqual({ available: 340n, promotional: 0n, receivable: 0n });
    const transfers = await walletTransfers(db, key.tenantId, key.customerId, key.currency, 20);
    expect(transfers.filter((t) => t.userData === 'usage:usage.events@e1:0:0-9').map((t) => t.amountMicros).sort()).toEqual([100n, 250n]);
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('refunds prepaid money up to the balance, once per reference', async () => {
    const key = newWallet();
    await topUpWallet(db, { ...key, amountMicros: 100n, reference: `pay-${key.customerId}` });
    expect(await refundWallet(db, { ...key, amountMicros: 150n, reference: `refund-too-much-${key.customerId}` })).toBe('exceeds_credits');
    expect(await refundWallet(db, { ...key, amountMicros: 60n, reference: `refund-1-${key.customerId}` })).toBe('ok');
    expect(await refundWallet(db, { ...key, amountMicros: 60n, reference: `refund-1-${key.customerId}` })).toBe('exists');
    expect(await creditUsage(db, { ...key, amountMicros: 5n, reference: `goodwill-1-${key.customerId}` })).toBe('ok');
    expect((await balance(key)).available).toBe(45n);
  });
});

describe('promotional credit', () => {
  it('is spent before paid credit and what is left moves back at expiry, once', async () => {
    const key = newWallet();
    const nowMs = Date.now();
    await topUpWallet(db, { ...key, amountMicros: 1_000n, reference: `pay-${key.customerId}` });
    expect(await grantPromotionalCredit(db, { ...key, amountMicros: 50n, reference: `welcome-${key.customerId}`, expiresAtMs: nowMs + 3_600_000 })).toBe('ok');
    expect(await grantPromotionalCredit(db, { ...key, amountMicros: 50n, reference: `welcome-${key.customerId}`, expiresAtMs: nowMs + 7_200_000 }))
      .toBe('exists_with_different_user_data');
    await usage(key, 30n, 'usage.events@e2:0:0-0');
    expect(await balance(key)).toEqual({ available: 1_020n, promotional: 20n, receivable: 0n });
    expect(await expirePromotions(db, nowMs + 3_599_999)).toEqual([]);
    const expired = await expirePromotions(db, nowMs + 3_600_000);
    expect(expired.filter((e) => e.returnedMicros === 20n)).toHaveLength(1);
    expect(await balance(key)).toEqual({ available: 1_000n, promotional: 0n, receivable: 0n });
    expect((await expirePromotions(db, nowMs + 3_700_000)).length).toBe(0);
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('attributes what is left to the grants that expire last', async () => {
    const key = newWallet();
    const nowMs = Date.now() + 10 * 86_400_000; // clear of the other tests' grants
    await grantPromotionalCredit(db, { ...key, amountMicros: 100n, reference: `early-${key.customerId}`, expiresAtMs: nowMs + 1_000 });
    await grantPromotionalCredit(db, { ...key, amountMicros: 100n, reference: `late-${key.customerId}`, expiresAtMs: nowMs + 2_000 });
    await usage(key, 50n, 'usage.events@e3:0:0-0');
    const early = await expirePromotions(db, nowMs + 1_000);
    expect(early.map((e) => e.returnedMicros)).toContain(50n);
    expect((await balance(key)).promotional).toBe(100n);
    const late = await expirePromotions(db, nowMs + 2_000);
    expect(late.map((e) => e.returnedMicros)).toContain(100n);
    expect((await balance(key)).promotional).toBe(0n);
  });
});

describe('wallet events', () => {
  async function outboxEvents(key: WalletKey): Promise<WalletEvent[]> {
    const rows = await db.select().from(schema.ledgerOutbox).where(sql`${schema.ledgerOutbox.messageKey} = ${`${key.tenantId}:${key.customerId}`}`);
    return rows.map((r) => r.payload as WalletEvent);
  }

  it('writes low_balance when the wallet crosses its threshold and depleted when it reaches zero, with the money movement', async () => {
    const key = newWallet();
    await topUpWallet(db, { ...key, amountMicros: 1_500n, reference: `pay-${key.customerId}` });
    await setLowBalanceThreshold(db, key, 1_000n);
    await usage(key, 400n, 'usage.events@e4:0:0-0');
    expect(await outboxEvents(key)).toEqual([]);
    await usage(key, 200n, 'usage.events@e4:0:1-1');
    expect((await outboxEvents(key)).map((e) => [e.type, e.availableMicros])).toEqual([['wallet.low_balance', '900']]);
    await usage(key, 5_000n, 'usage.events@e4:0:2-2');
    expect((await outboxEvents(key)).map((e) => [e.type, e.availableMicros, e.previousAvailableMicros]))
      .toEqual([['wallet.low_balance', '900', '1100'], ['wallet.depleted', '0', '900']]);
    // A rolled-back transaction leaves no event behind.
    await db.transaction(async (tx) => {
      await postUsageDebits(tx, [{ ...key, amountMicros: 1n }], 'usage.events@e4:0:3-3');
      tx.rollback();
    }).catch(() => undefined);
    expect(await outboxEvents(key)).toHaveLength(2);
  });

  it('publishes the outbox to Kafka topic wallet.events, then empties it', async () => {
    const key = newWallet();
    await topUpWallet(db, { ...key, amountMicros: 100n, reference: `pay-${key.customerId}` });
    await usage(key, 100n, 'usage.events@e5:0:0-0');
    const [depleted] = await outboxEvents(key);
    expect(depleted?.type).toBe('wallet.depleted');

    const kafka = connectKafka(inject('infra').kafkaBrokers, 'itest-ledger-wallets', createLogger('silent', 'test'));
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `itest-ledger-wallets-${randomUUID()}`, sessionTimeout: 6000, rebalanceTimeout: 3000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await producer.connect();
    await consumer.connect();
    try {
      const seen: { key: string; event: WalletEvent }[] = [];
      await consumer.subscribe({ topic: TOPICS.walletEvents, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => {
        seen.push({ key: message.key!.toString(), event: JSON.parse(message.value!.toString()) as WalletEvent });
      } });
      let published = 0;
      while ((await publishOutbox(db, producer as OutboxProducer)) > 0) published++;
      expect(published).toBeGreaterThan(0);
      expect(await outboxEvents(key)).toEqual([]);
      const deadline = Date.now() + 30_000;
      while (!seen.some((s) => s.event.id === depleted!.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen.find((s) => s.event.id === depleted!.id)).toEqual({ key: `${TENANT}:${key.customerId}`, event: depleted });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});

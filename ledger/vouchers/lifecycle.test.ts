/**
 * The voucher lifecycle against real Postgres: every transition with the
 * ledger movement it books and its audit row, and every refused one with a
 * coded error and nothing moved (ledger, voucher row, audit trail).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type Database, type Postgres } from '../../platform/postgres.ts';
import { checkLedgerInvariants, walletAccountId } from '../index.ts';
import {
  voucherLiabilityAccountId, voucherRevenueAccountId, voucherSalesClearingAccountId, voucherTransferId,
} from './accounts.ts';
import { activateVoucher, disableVoucher, refundVoucher, resendVoucherCode, sellVoucher, transferVoucher } from './actions.ts';
import { DEFAULT_CODE_ALPHABET, DEFAULT_CODE_FORMAT } from './codes.ts';
import type { VoucherErrorCode, VoucherResult } from './errors.ts';
import { expireDueVouchers } from './expiry.ts';
import { generateVoucherBatch } from './generate.ts';
import { parseBatchRequest } from './inputs.ts';
import { deliverVoucherOutbox, OUTBOX_ATTEMPTS_MAX, type OutboundMessage } from './outbox.ts';
import { archiveProfile, updateProfile } from './profiles.ts';
import { findVoucherByCode, getVoucher, listVouchers, voucherHistory } from './queries.ts';
import { consumeVoucherQuota } from './quota.ts';
import type { VoucherStatus } from './state-machine.ts';
import type { VoucherContext } from './store.ts';
import { accountBalance, connectTestDatabase, ledgerSnapshot, seedProfile, seedTenant, topUp, type TestCustomer } from './test-support.ts';

const TENANT = 'itest-vouchers-lifecycle';
const OTHER_TENANT = 'itest-vouchers-lifecycle-other';
const PRICE = 5_000_000_000n; // 5,000 UGX
const GIB = 1024n ** 3n;
const T0 = new Date('2026-11-23T10:00:00Z');
const ctx = (now = T0): VoucherContext => ({ tenantId: TENANT, actor: 'test', now });

let postgres: Postgres;
let db: Database;
let alice: TestCustomer;
let bob: TestCustomer;
let dollar: TestCustomer;

function value<T>(result: VoucherResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function generate(count: number, profile = '1GB-DAILY', extra: Record<string, unknown> = {}): Promise<string[]> {
  const request = value(parseBatchRequest({ profile, count, ...extra }));
  const { batch } = value(await generateVoucherBatch(db, ctx(), request));
  const rows = await db.select({ id: schema.vouchers.id }).from(schema.vouchers).where(eq(schema.vouchers.batchId, batch.id)).orderBy(schema.vouchers.serial);
  return rows.map((r) => r.id);
}

async function voucherRow(id: string): Promise<typeof schema.vouchers.$inferSelect> {
  const [row] = await db.select().from(schema.vouchers).where(eq(schema.vouchers.id, id));
  return row!;
}

async function auditCount(id: string): Promise<number> {
  return (await db.select().from(schema.voucherEvents).where(eq(schema.voucherEvents.voucherId, id))).length;
}

/** A voucher brought to the given state through the service itself. */
async function voucherIn(state: 'unsold' | 'sold' | VoucherStatus | 'refunded', profile = '1GB-DAILY'): Promise<string> {
  const [id] = await generate(1, profile);
  if (state === 'unsold') return id!;
  if (state === 'disabled') {
    value(await disableVoucher(db, ctx(), { voucherId: id! }));
    return id!;
  }
  value(await sellVoucher(db, ctx(), { voucherId: id!, customerId: alice.id, payment: 'external' }));
  if (state === 'sold' || state === 'unused') return id!;
  if (state === 'refunded') {
    value(await refundVoucher(db, ctx(), { voucherId: id! }));
    return id!;
  }
  value(await activateVoucher(db, ctx(), { voucherId: id! }));
  if (state === 'used') value(await consumeVoucherQuota(db, ctx(), { voucherId: id!, sessionId: 'r1:s1', sequence: 1n, bytesIn: GIB, bytesOut: 0n, seconds: 60n }));
  if (state === 'expired') expect((await expireDueVouchers(db, new Date(T0.getTime() + 86_400_000))).expiredCount).toBeGreaterThanOrEqual(1);
  return id!;
}

async function expectRefusedAndNothingMoved(voucherId: string, act: () => Promise<VoucherResult<unknown>>, code: VoucherErrorCode): Promise<void> {
  const ledgerBefore = await ledgerSnapshot(db, TENANT);
  const rowBefore = await voucherRow(voucherId);
  const auditBefore = await auditCount(voucherId);
  const outboxBefore = await db.$count(schema.voucherOutbox, eq(schema.voucherOutbox.voucherId, voucherId));
  const result = await act();
  expect(result).toMatchObject({ ok: false, error: { code } });
  expect(await ledgerSnapshot(db, TENANT)).toEqual(ledgerBefore);
  expect(await voucherRow(voucherId)).toEqual(rowBefore);
  expect(await auditCount(voucherId)).toBe(auditBefore);
  expect(await db.$count(schema.voucherOutbox, eq(schema.voucherOutbox.voucherId, voucherId))).toBe(outboxBefore);
}

beforeAll(async () => {
  postgres = await connectTestDatabase();
  db = postgres.db;
  const customers = await seedTenant(db, TENANT, [
    { subject: 'alice', currency: 'UGX' }, { subject: 'bob', currency: 'UGX' }, { subject: 'dollar', currency: 'USD' },
  ]);
  [alice, bob, dollar] = [customers.alice!, customers.bob!, customers.dollar!];
  await seedTenant(db, OTHER_TENANT, []);
  await topUp(db, TENANT, alice, 3n * PRICE, 'alice-initial');
  await seedProfile(db, TENANT, { name: '1GB-DAILY', currency: 'UGX', priceMicros: PRICE, dataQuotaBytes: GIB, timeQuotaSeconds: null,
    validitySeconds: 86_400n, rateLimit: '2M/2M', sharedUsers: 1 });
  await seedProfile(db, TENANT, { name: '1H-FREE', currency: 'UGX', priceMicros: 0n, dataQuotaBytes: null, timeQuotaSeconds: 3_600n,
    validitySeconds: 86_400n, rateLimit: null, sharedUsers: 2 });
});

afterAll(async () => {
  if (!db) return;
  // The ledger and voucher books of this suite must balance whatever ran.
  expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  await postgres.close();
});

describe('batch generation', () => {
  it('generates 10,000 vouchers in one call and one transaction, with distinct codes from the alphabet only', async () => {
    const request = value(parseBatchRequest({ profile: '1GB-DAILY', count: 10_000, prefix: 'TEN' }));
    const progress: number[] = [];
    const { batch, created } = value(await generateVoucherBatch(db, ctx(), request, { onProgress: (written) => progress.push(written) }));
    expect(created).toBe(true);
    expect(progress.at(-1)).toBe(10_000);
    const rows = await db.select({ code: schema.vouchers.code, serial: schema.vouchers.serial, status: schema.vouchers.status })
      .from(schema.vouchers).where(eq(schema.vouchers.batchId, batch.id));
    expect(rows).toHaveLength(10_000);
    expect(new Set(rows.map((r) => r.code)).size).toBe(10_000);
    expect(new Set(rows.map((r) => r.serial)).size).toBe(10_000);
    const shape = new RegExp(`^TEN[${DEFAULT_CODE_ALPHABET}]{10}$`);
    expect(rows.every((r) => shape.test(r.code) && r.status === 'unused')).toBe(true);
  });

  it('answers a retried call with the same requestId with the first batch, creating nothing, and refuses the id for other parameters', async () => {
    const request = value(parseBatchRequest({ profile: '1GB-DAILY', count: 3, requestId: 'retry-1' }));
    const first = value(await generateVoucherBatch(db, ctx(), request));
    const again = value(await generateVoucherBatch(db, ctx(), request));
    expect(again).toEqual({ batch: first.batch, created: false });
    expect(await db.$count(schema.vouchers, eq(schema.vouchers.batchId, first.batch.id))).toBe(3);
    const other = value(parseBatchRequest({ profile: '1GB-DAILY', count: 4, requestId: 'retry-1' }));
    expect(await generateVoucherBatch(db, ctx(), other)).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_BATCH_REQUEST_CONFLICT' } });
  });

  it('refuses an unknown or archived profile and writes no batch', async () => {
    const batchesBefore = await db.$count(schema.voucherBatches, eq(schema.voucherBatches.tenantId, TENANT));
    await seedProfile(db, TENANT, { name: 'OLD', currency: 'UGX', priceMicros: 1n, dataQuotaBytes: null, timeQuotaSeconds: null, validitySeconds: 60n, rateLimit: null, sharedUsers: 1 });
    value(await archiveProfile(db, TENANT, 'OLD'));
    for (const profile of ['NOPE', 'OLD']) {
      const request = value(parseBatchRequest({ profile, count: 1 }));
      expect(await generateVoucherBatch(db, ctx(), request)).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_PROFILE_NOT_FOUND' } });
    }
    expect(await db.$count(schema.voucherBatches, eq(schema.voucherBatches.tenantId, TENANT))).toBe(batchesBefore);
  });

  it('copies the profile terms onto each voucher, so a later profile edit leaves generated vouchers alone', async () => {
    await seedProfile(db, TENANT, { name: 'EDITED', currency: 'UGX', priceMicros: 100n, dataQuotaBytes: GIB, timeQuotaSeconds: null, validitySeconds: 60n, rateLimit: '1M/1M', sharedUsers: 1 });
    const [before] = await generate(1, 'EDITED');
    value(await updateProfile(db, TENANT, 'EDITED', { priceMicros: 999n, rateLimit: '4M/4M' }));
    const [after] = await generate(1, 'EDITED');
    expect(await voucherRow(before!)).toMatchObject({ priceMicros: 100n, rateLimit: '1M/1M' });
    expect(await voucherRow(after!)).toMatchObject({ priceMicros: 999n, rateLimit: '4M/4M' });
  });

  it('replaces a code that clashes with one already stored, keeping every serial', async () => {
    // A random source that starts over on each call: the second batch first draws the first batch's code.
    const replay = (): ((size: number) => Buffer) => {
      let state = 0x1234_5678;
      return (size) => Buffer.from(Array.from({ length: size }, () => {
        state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
        return state & 0xff;
      }));
    };
    const one = value(parseBatchRequest({ profile: '1GB-DAILY', count: 1, prefix: 'CLASH' }));
    const first = value(await generateVoucherBatch(db, ctx(), one, { randomBytes: replay() }));
    const two = value(parseBatchRequest({ profile: '1GB-DAILY', count: 2, prefix: 'CLASH' }));
    const second = value(await generateVoucherBatch(db, ctx(), two, { randomBytes: replay() }));
    const codes = async (batchId: string) => (await db.select().from(schema.vouchers).where(eq(schema.vouchers.batchId, batchId))).map((r) => [r.serial, r.code] as const);
    const [firstCode] = await codes(first.batch.id);
    const secondCodes = await codes(second.batch.id);
    expect(secondCodes.map(([serial]) => serial).sort()).toEqual([1, 2]);
    expect(secondCodes.map(([, code]) => code)).not.toContain(firstCode![1]);
  });

  it('refuses with TG_VOUCHER_CODE_SPACE_EXHAUSTED when replacements keep clashing, and keeps no part of the batch', async () => {
    const constant = (size: number): Buffer => Buffer.alloc(size, 42);
    const one = value(parseBatchRequest({ profile: '1GB-DAILY', count: 1, prefix: 'SAME' }));
    value(await generateVoucherBatch(db, ctx(), one, { randomBytes: constant }));
    const batchesBefore = await db.$count(schema.voucherBatches, eq(schema.voucherBatches.tenantId, TENANT));
    expect(await generateVoucherBatch(db, ctx(), one, { randomBytes: constant }))
      .toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_CODE_SPACE_EXHAUSTED' } });
    expect(await db.$count(schema.voucherBatches, eq(schema.voucherBatches.tenantId, TENANT))).toBe(batchesBefore);
  });
});

describe('sell', () => {
  it('books the price from the sales clearing account into the voucher liability and records the buyer', async () => {
    const id = await voucherIn('unsold');
    const liabilityBefore = await accountBalance(db, voucherLiabilityAccountId(TENANT, 'UGX'));
    const outcome = value(await sellVoucher(db, ctx(), { voucherId: id, customerId: alice.id, payment: 'external', reference: 'receipt-17' }));
    expect(outcome).toMatchObject({ changed: true, transferId: voucherTransferId(id, 'sale'), voucher: { status: 'unused', customerId: alice.id } });
    const liability = await accountBalance(db, voucherLiabilityAccountId(TENANT, 'UGX'));
    expect(liability.credits - liabilityBefore.credits).toBe(PRICE);
    const [transfer] = await db.select().from(schema.ledgerTransfers).where(eq(schema.ledgerTransfers.id, voucherTransferId(id, 'sale')));
    expect(transfer).toMatchObject({ debitAccountId: voucherSalesClearingAccountId(TENANT, 'UGX'), creditAccountId: voucherLiabilityAccountId(TENANT, 'UGX'), amountMicros: PRICE });
    const history = value(await voucherHistory(db, TENANT, id));
    expect(history).toEqual([expect.objectContaining({ action: 'sell', fromStatus: 'unused', toStatus: 'unused', actor: 'test',
      detail: expect.objectContaining({ customerId: alice.id, payment: 'external', reference: 'receipt-17', amountMicros: PRICE.toString() }) })]);
  });

  it("pays from the buyer's prepaid wallet when asked", async () => {
    const id = await voucherIn('unsold');
    const wallet = walletAccountId(TENANT, alice.id, 'UGX');
    const before = await accountBalance(db, wallet);
    value(await sellVoucher(db, ctx(), { voucherId: id, customerId: alice.id, payment: 'wallet' }));
    expect((await accountBalance(db, wallet)).debits - before.debits).toBe(PRICE);
    expect((await voucherRow(id)).paidFromAccountId).toBe(wallet);
  });

  it('succeeds without booking twice when retried for the same buyer', async () => {
    const id = await voucherIn('unsold');
    value(await sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }));
    const before = await ledgerSnapshot(db, TENANT);
    const retry = value(await sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }));
    expect(retry.changed).toBe(false);
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
    expect(await auditCount(id)).toBe(1);
  });

  it('refuses a wallet sale beyond the balance with TG_VOUCHER_INSUFFICIENT_FUNDS and moves nothing', async () => {
    const id = await voucherIn('unsold');
    await expectRefusedAndNothingMoved(id, () => sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'wallet' }), 'TG_VOUCHER_INSUFFICIENT_FUNDS');
  });

  it("refuses a wallet sale in another currency than the buyer's wallet", async () => {
    const id = await voucherIn('unsold');
    await expectRefusedAndNothingMoved(id, () => sellVoucher(db, ctx(), { voucherId: id, customerId: dollar.id, payment: 'wallet' }), 'TG_VOUCHER_CURRENCY_MISMATCH');
  });

  it('refuses a second buyer, an unknown customer and a customer of another tenant', async () => {
    const id = await voucherIn('sold');
    await expectRefusedAndNothingMoved(id, () => sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }), 'TG_VOUCHER_ALREADY_SOLD');
    const unsold = await voucherIn('unsold');
    await expectRefusedAndNothingMoved(unsold, () => sellVoucher(db, ctx(), { voucherId: unsold, customerId: '00000000-0000-0000-0000-000000000000', payment: 'external' }),
      'TG_VOUCHER_CUSTOMER_NOT_FOUND');
    await expectRefusedAndNothingMoved(unsold, () => sellVoucher(db, { ...ctx(), tenantId: OTHER_TENANT }, { voucherId: unsold, customerId: alice.id, payment: 'external' }),
      'TG_VOUCHER_NOT_FOUND');
  });

  it('sells exactly once when two sales to different buyers race', async () => {
    const id = await voucherIn('unsold');
    const results = await Promise.all([alice, bob].map((c) => sellVoucher(db, ctx(), { voucherId: id, customerId: c.id, payment: 'external' })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'TG_VOUCHER_ALREADY_SOLD' }) })]);
    expect(await db.$count(schema.ledgerTransfers, eq(schema.ledgerTransfers.id, voucherTransferId(id, 'sale')))).toBe(1);
  });

  it('books nothing for a free voucher but still records the buyer', async () => {
    const id = await voucherIn('unsold', '1H-FREE');
    const before = await ledgerSnapshot(db, TENANT);
    expect(value(await sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }))).toMatchObject({ changed: true, transferId: null });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
  });
});

describe('activate (first login)', () => {
  it('starts the validity, recognises the revenue and answers the session limits', async () => {
    const id = await voucherIn('sold');
    const revenueBefore = await accountBalance(db, voucherRevenueAccountId(TENANT, 'UGX'));
    const outcome = value(await activateVoucher(db, ctx(), { voucherId: id }));
    expect(outcome.voucher).toMatchObject({ status: 'active', activatedAt: T0, expiresAt: new Date(T0.getTime() + 86_400_000) });
    expect(outcome.session).toMatchObject({ sessionTimeoutSeconds: 86_400, dataRemainingBytes: GIB, totalLimit: 1_073_741_824, totalLimitGigawords: 0, rateLimit: '2M/2M' });
    expect((await accountBalance(db, voucherRevenueAccountId(TENANT, 'UGX'))).credits - revenueBefore.credits).toBe(PRICE);
    expect(value(await voucherHistory(db, TENANT, id)).map((e) => `${e.action}:${e.fromStatus}>${e.toStatus}`)).toEqual(['sell:unused>unused', 'activate:unused>active']);
  });

  it('finds the voucher by the code as typed (lower case, dashes, spaces)', async () => {
    const id = await voucherIn('sold');
    const { code } = await voucherRow(id);
    const typed = `${code.slice(0, 5).toLowerCase()}-${code.slice(5)} `;
    expect(value(await activateVoucher(db, ctx(), { code: typed })).voucher.id).toBe(id);
  });

  it('answers a later login within validity unchanged, booking nothing', async () => {
    const id = await voucherIn('active');
    const before = await ledgerSnapshot(db, TENANT);
    const later = new Date(T0.getTime() + 3_600_000);
    const outcome = value(await activateVoucher(db, ctx(later), { voucherId: id }));
    expect(outcome).toMatchObject({ changed: false, session: { sessionTimeoutSeconds: 86_400 - 3_600 } });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
  });

  it('refuses an unsold voucher, an unknown code, a login after the validity, and a voucher of another tenant', async () => {
    const unsold = await voucherIn('unsold');
    await expectRefusedAndNothingMoved(unsold, () => activateVoucher(db, ctx(), { voucherId: unsold }), 'TG_VOUCHER_NOT_SOLD');
    expect(await activateVoucher(db, ctx(), { code: 'ZZZZZZZZZZ' })).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_NOT_FOUND' } });
    const active = await voucherIn('active');
    await expectRefusedAndNothingMoved(active, () => activateVoucher(db, ctx(new Date(T0.getTime() + 86_400_000)), { voucherId: active }), 'TG_VOUCHER_EXPIRED');
    const { code } = await voucherRow(active);
    expect(await activateVoucher(db, { ...ctx(), tenantId: OTHER_TENANT }, { code })).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_NOT_FOUND' } });
  });

  it('activates once when two first logins race', async () => {
    const id = await voucherIn('sold');
    const results = (await Promise.all([1, 2].map(() => activateVoucher(db, ctx(), { voucherId: id })))).map(value);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect(await db.$count(schema.ledgerTransfers, eq(schema.ledgerTransfers.id, voucherTransferId(id, 'recognize')))).toBe(1);
  });
});

describe('consume quota', () => {
  it('adds each report once, recognises a repeated report and refuses the same key with other figures', async () => {
    const id = await voucherIn('active');
    const report = { voucherId: id, sessionId: 'router-1:81a0', sequence: 1n, bytesIn: 1000n, bytesOut: 500n, seconds: 60n };
    expect(value(await consumeVoucherQuota(db, ctx(), report))).toMatchObject({ outcome: 'recorded', cutOff: false, voucher: { dataUsedBytes: 1500n, timeUsedSeconds: 60n } });
    expect(value(await consumeVoucherQuota(db, ctx(), report))).toMatchObject({ outcome: 'duplicate', voucher: { dataUsedBytes: 1500n } });
    expect(await consumeVoucherQuota(db, ctx(), { ...report, bytesIn: 1n })).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_USAGE_REPORT_CONFLICT' } });
    expect(value(await consumeVoucherQuota(db, ctx(), { ...report, sequence: 2n }))).toMatchObject({ voucher: { dataUsedBytes: 3000n, timeUsedSeconds: 120n } });
    // Usage within the quota is not a transition: the audit trail holds sell and activate only.
    expect(await auditCount(id)).toBe(2);
  });

  it('moves the voucher to used with the report that uses up the data quota and tells the gateway to cut off', async () => {
    const id = await voucherIn('active');
    value(await consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 's', sequence: 1n, bytesIn: GIB - 10n, bytesOut: 0n, seconds: 1n }));
    const last = value(await consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 's', sequence: 2n, bytesIn: 6n, bytesOut: 6n, seconds: 1n }));
    expect(last).toMatchObject({ outcome: 'recorded', cutOff: true, voucher: { status: 'used', dataUsedBytes: GIB + 2n }, session: { dataRemainingBytes: 0n } });
    expect(value(await voucherHistory(db, TENANT, id)).at(-1)).toMatchObject({ action: 'consume', fromStatus: 'active', toStatus: 'used' });
  });

  it('moves a time-limited voucher to used when its seconds run out', async () => {
    const id = await voucherIn('active', '1H-FREE');
    const last = value(await consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 's', sequence: 1n, bytesIn: 0n, bytesOut: 0n, seconds: 3_600n }));
    expect(last.voucher.status).toBe('used');
  });

  it('records late accounting for a used voucher without changing it', async () => {
    const id = await voucherIn('used');
    const late = value(await consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 'r1:s1', sequence: 2n, bytesIn: 100n, bytesOut: 0n, seconds: 1n }));
    expect(late).toMatchObject({ outcome: 'recorded', cutOff: true, voucher: { status: 'used', dataUsedBytes: GIB + 100n } });
  });

  it('refuses usage on a voucher never activated and stores no report', async () => {
    const id = await voucherIn('sold');
    await expectRefusedAndNothingMoved(id, () => consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 's', sequence: 1n, bytesIn: 1n, bytesOut: 1n, seconds: 1n }),
      'TG_VOUCHER_NOT_ACTIVE');
    expect(await db.$count(schema.voucherUsageReports, eq(schema.voucherUsageReports.voucherId, id))).toBe(0);
  });

  it('refuses negative figures with the field named', async () => {
    const id = await voucherIn('active');
    expect(await consumeVoucherQuota(db, ctx(), { voucherId: id, sessionId: 's', sequence: 1n, bytesIn: -1n, bytesOut: 0n, seconds: 0n }))
      .toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_INPUT_INVALID', field: 'bytesIn' } });
  });
});

describe('expiry sweep', () => {
  it('expires active vouchers whose validity has passed, only those, audited, and a second sweep finds nothing', async () => {
    const due = await voucherIn('active');
    const laterStart = new Date(T0.getTime() + 3_600_000);
    const [notDue] = await generate(1);
    value(await sellVoucher(db, ctx(), { voucherId: notDue!, customerId: alice.id, payment: 'external' }));
    value(await activateVoucher(db, ctx(laterStart), { voucherId: notDue! }));
    const unused = await voucherIn('sold');
    const sweepAt = new Date(T0.getTime() + 86_400_000);
    const seen: string[] = [];
    await expireDueVouchers(db, sweepAt, { onExpired: (batch) => { seen.push(...batch.map((v) => v.voucherId)); } });
    expect(seen).toContain(due);
    expect((await voucherRow(due)).status).toBe('expired');
    expect((await voucherRow(notDue!)).status).toBe('active');
    expect((await voucherRow(unused)).status).toBe('unused');
    expect(value(await voucherHistory(db, TENANT, due)).at(-1)).toMatchObject({ action: 'expire', fromStatus: 'active', toStatus: 'expired', actor: 'expiry-sweep' });
    expect((await expireDueVouchers(db, sweepAt)).expiredCount).toBe(0);
  });

  it('works through a backlog larger than one batch', async () => {
    const ids = await generate(7, '1H-FREE');
    for (const id of ids) {
      value(await sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }));
      value(await activateVoucher(db, ctx(), { voucherId: id }));
    }
    await expireDueVouchers(db, new Date(T0.getTime() + 86_400_000), { batchSize: 3 });
    for (const id of ids) expect((await voucherRow(id)).status).toBe('expired');
  });
});

describe('disable', () => {
  it('withdraws an unsold voucher with no money moved', async () => {
    const id = await voucherIn('unsold');
    const before = await ledgerSnapshot(db, TENANT);
    expect(value(await disableVoucher(db, ctx(), { voucherId: id, reason: 'misprint' }))).toMatchObject({ changed: true, transferId: null, voucher: { status: 'disabled' } });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
    expect(value(await voucherHistory(db, TENANT, id))).toEqual([expect.objectContaining({ action: 'disable', detail: { reason: 'misprint' } })]);
  });

  it('turns the liability of a sold, unused voucher into revenue (forfeit)', async () => {
    const id = await voucherIn('sold');
    const outcome = value(await disableVoucher(db, ctx(), { voucherId: id }));
    expect(outcome.transferId).toBe(voucherTransferId(id, 'forfeit'));
    const [transfer] = await db.select().from(schema.ledgerTransfers).where(eq(schema.ledgerTransfers.id, outcome.transferId!));
    expect(transfer).toMatchObject({ debitAccountId: voucherLiabilityAccountId(TENANT, 'UGX'), creditAccountId: voucherRevenueAccountId(TENANT, 'UGX'), amountMicros: PRICE });
  });

  it('disables an active voucher without moving money (earned at activation), and a retry changes nothing', async () => {
    const id = await voucherIn('active');
    const before = await ledgerSnapshot(db, TENANT);
    expect(value(await disableVoucher(db, ctx(), { voucherId: id }))).toMatchObject({ changed: true, voucher: { status: 'disabled' } });
    expect(value(await disableVoucher(db, ctx(), { voucherId: id }))).toMatchObject({ changed: false });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
    expect(await auditCount(id)).toBe(3);
  });
});

describe('transfer', () => {
  it('hands a sold voucher to another customer without moving money, audited with both customers', async () => {
    const id = await voucherIn('sold');
    const before = await ledgerSnapshot(db, TENANT);
    expect(value(await transferVoucher(db, ctx(), { voucherId: id, customerId: bob.id, reason: 'gift' }))).toMatchObject({ changed: true, voucher: { customerId: bob.id, status: 'unused' } });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
    expect(value(await voucherHistory(db, TENANT, id)).at(-1)).toMatchObject({ action: 'transfer', detail: { fromCustomerId: alice.id, toCustomerId: bob.id, reason: 'gift' } });
  });

  it('transfers an active voucher too', async () => {
    const id = await voucherIn('active');
    expect(value(await transferVoucher(db, ctx(), { voucherId: id, customerId: bob.id }))).toMatchObject({ voucher: { status: 'active', customerId: bob.id } });
  });

  it('refuses a transfer to the holder, of an unsold voucher, and to an unknown customer', async () => {
    const id = await voucherIn('sold');
    await expectRefusedAndNothingMoved(id, () => transferVoucher(db, ctx(), { voucherId: id, customerId: alice.id }), 'TG_VOUCHER_TRANSFER_SAME_CUSTOMER');
    await expectRefusedAndNothingMoved(id, () => transferVoucher(db, ctx(), { voucherId: id, customerId: 'not-a-uuid' }), 'TG_VOUCHER_CUSTOMER_NOT_FOUND');
    const unsold = await voucherIn('unsold');
    await expectRefusedAndNothingMoved(unsold, () => transferVoucher(db, ctx(), { voucherId: unsold, customerId: bob.id }), 'TG_VOUCHER_NOT_SOLD');
  });
});

describe('refund', () => {
  it('reverses the sale to the sales clearing account and withdraws the voucher; a retry pays nothing twice', async () => {
    const id = await voucherIn('sold');
    const clearingBefore = await accountBalance(db, voucherSalesClearingAccountId(TENANT, 'UGX'));
    const outcome = value(await refundVoucher(db, ctx(), { voucherId: id, reason: 'customer changed mind' }));
    expect(outcome).toMatchObject({ changed: true, transferId: voucherTransferId(id, 'refund'), voucher: { status: 'disabled', refundedAt: T0 } });
    expect((await accountBalance(db, voucherSalesClearingAccountId(TENANT, 'UGX'))).credits - clearingBefore.credits).toBe(PRICE);
    const before = await ledgerSnapshot(db, TENANT);
    expect(value(await refundVoucher(db, ctx(), { voucherId: id }))).toMatchObject({ changed: false });
    expect(await ledgerSnapshot(db, TENANT)).toEqual(before);
  });

  it("pays a wallet sale back into the payer's wallet, even after a transfer to someone else", async () => {
    const [id] = await generate(1);
    const wallet = walletAccountId(TENANT, alice.id, 'UGX');
    const start = await accountBalance(db, wallet);
    value(await sellVoucher(db, ctx(), { voucherId: id!, customerId: alice.id, payment: 'wallet' }));
    value(await transferVoucher(db, ctx(), { voucherId: id!, customerId: bob.id }));
    value(await refundVoucher(db, ctx(), { voucherId: id! }));
    const end = await accountBalance(db, wallet);
    expect(end.credits - end.debits).toBe(start.credits - start.debits);
  });

  const refusals: { state: 'unsold' | 'active' | 'used' | 'expired' | 'disabled'; code: VoucherErrorCode }[] = [
    { state: 'used', code: 'TG_VOUCHER_REFUND_NOT_UNUSED' },
    { state: 'active', code: 'TG_VOUCHER_REFUND_NOT_UNUSED' },
    { state: 'expired', code: 'TG_VOUCHER_REFUND_NOT_UNUSED' },
    { state: 'disabled', code: 'TG_VOUCHER_REFUND_NOT_UNUSED' },
    { state: 'unsold', code: 'TG_VOUCHER_NOT_SOLD' },
  ];
  for (const { state, code } of refusals) {
    it(`refuses to refund a${state === 'active' || state === 'used' || state === 'expired' || state === 'unsold' ? 'n' : ''} ${state} voucher with ${code}; nothing moves in the ledger`, async () => {
      const id = await voucherIn(state);
      await expectRefusedAndNothingMoved(id, () => refundVoucher(db, ctx(), { voucherId: id }), code);
    });
  }
});

describe('resend', () => {
  it('queues the code for delivery, audits a masked recipient, and a retried request queues one message', async () => {
    const id = await voucherIn('sold');
    const input = { voucherId: id, recipient: { channel: 'sms' as const, to: '+256700123456' }, requestId: 'resend-1' };
    expect(value(await resendVoucherCode(db, ctx(), input))).toMatchObject({ changed: true, voucher: { status: 'unused' } });
    expect(value(await resendVoucherCode(db, ctx(), input))).toMatchObject({ changed: false });
    const queued = await db.select().from(schema.voucherOutbox).where(eq(schema.voucherOutbox.voucherId, id));
    expect(queued).toEqual([expect.objectContaining({ channel: 'sms', recipient: '+256700123456', status: 'pending' })]);
    const history = value(await voucherHistory(db, TENANT, id));
    expect(history.at(-1)).toMatchObject({ action: 'resend', detail: { channel: 'sms', to: '+256…56' } });
    expect(JSON.stringify(history)).not.toContain((await voucherRow(id)).code);
  });

  it('refuses to send the code of an unsold, used or disabled voucher', async () => {
    const recipient = { channel: 'email' as const, to: 'jane@example.com' };
    for (const [state, code] of [['unsold', 'TG_VOUCHER_NOT_SOLD'], ['used', 'TG_VOUCHER_ALREADY_USED'], ['disabled', 'TG_VOUCHER_DISABLED']] as const) {
      const id = await voucherIn(state);
      await expectRefusedAndNothingMoved(id, () => resendVoucherCode(db, ctx(), { voucherId: id, recipient }), code);
    }
  });

  it('delivers queued messages with the code through the transport, cancels those of withdrawn vouchers, retries failures and gives up after the limit', async () => {
    // Sweep older messages of this suite first, so the counts below are this test's.
    await deliverVoucherOutbox(db, { name: 'drain', send: async () => {} }, { now: new Date(T0.getTime() + 1000), batchSize: 1000 });
    const sendable = await voucherIn('sold');
    const withdrawn = await voucherIn('sold');
    for (const voucherId of [sendable, withdrawn]) value(await resendVoucherCode(db, ctx(), { voucherId, recipient: { channel: 'sms', to: '+256700000001' } }));
    value(await disableVoucher(db, ctx(), { voucherId: withdrawn }));
    const sent: OutboundMessage[] = [];
    const report = await deliverVoucherOutbox(db, { name: 'capture', send: async (m) => { sent.push(m); } }, { now: new Date(T0.getTime() + 2000) });
    expect(report).toEqual({ sent: 1, cancelled: 1, retried: 0, dead: 0 });
    expect(sent[0]).toMatchObject({ voucherId: sendable, to: '+256700000001' });
    expect(sent[0]!.text).toContain((await voucherRow(sendable)).code);

    const flaky = await voucherIn('sold');
    value(await resendVoucherCode(db, ctx(), { voucherId: flaky, recipient: { channel: 'sms', to: '+256700000002' } }));
    const failing = { name: 'down', send: async () => { throw new Error('provider down'); } };
    let now = new Date(T0.getTime() + 3000);
    const outcomes: string[] = [];
    for (let attempt = 1; attempt <= OUTBOX_ATTEMPTS_MAX; attempt++) {
      const r = await deliverVoucherOutbox(db, failing, { now });
      outcomes.push(r.dead ? 'dead' : r.retried ? 'retried' : 'idle');
      const [row] = await db.select().from(schema.voucherOutbox).where(eq(schema.voucherOutbox.voucherId, flaky));
      now = new Date(row!.nextAttemptAt.getTime());
    }
    expect(outcomes).toEqual([...Array(OUTBOX_ATTEMPTS_MAX - 1).fill('retried'), 'dead']);
    const [dead] = await db.select().from(schema.voucherOutbox).where(eq(schema.voucherOutbox.voucherId, flaky));
    expect(dead).toMatchObject({ status: 'dead', attempts: OUTBOX_ATTEMPTS_MAX, lastError: 'provider down' });
  });
});

describe('terminal statuses refuse every action that would change them, and nothing moves', () => {
  const cases: { state: 'used' | 'expired' | 'disabled'; code: VoucherErrorCode }[] = [
    { state: 'used', code: 'TG_VOUCHER_ALREADY_USED' },
    { state: 'expired', code: 'TG_VOUCHER_EXPIRED' },
    { state: 'disabled', code: 'TG_VOUCHER_DISABLED' },
  ];
  for (const { state, code } of cases) {
    it(`${state}: sell, activate, transfer and resend answer ${code}`, async () => {
      const id = await voucherIn(state);
      await expectRefusedAndNothingMoved(id, () => sellVoucher(db, ctx(), { voucherId: id, customerId: bob.id, payment: 'external' }), code);
      await expectRefusedAndNothingMoved(id, () => activateVoucher(db, ctx(), { voucherId: id }), code);
      await expectRefusedAndNothingMoved(id, () => transferVoucher(db, ctx(), { voucherId: id, customerId: bob.id }), code);
      await expectRefusedAndNothingMoved(id, () => resendVoucherCode(db, ctx(), { voucherId: id, recipient: { channel: 'sms', to: '+256700000003' } }), code);
    });
  }

  it('used and expired vouchers cannot be disabled; a disabled one cannot expire', async () => {
    const used = await voucherIn('used');
    await expectRefusedAndNothingMoved(used, () => disableVoucher(db, ctx(), { voucherId: used }), 'TG_VOUCHER_ALREADY_USED');
    const expired = await voucherIn('expired');
    await expectRefusedAndNothingMoved(expired, () => disableVoucher(db, ctx(), { voucherId: expired }), 'TG_VOUCHER_EXPIRED');
  });
});

describe('the books', () => {
  it('keep the voucher liability equal to the prices of sold vouchers not yet activated, refunded or disabled', async () => {
    const rows = await db.execute<{ total: string }>(sql`
      SELECT COALESCE(sum(price_micros), 0)::text AS total FROM vouchers
      WHERE tenant_id = ${TENANT} AND status = 'unused' AND sold_at IS NOT NULL`);
    const liability = await accountBalance(db, voucherLiabilityAccountId(TENANT, 'UGX'));
    expect(liability.credits - liability.debits).toBe(BigInt(rows.rows[0]!.total));
    expect(await checkLedgerInvariants(db, TENANT)).toEqual({ ok: true, violations: [] });
  });

  it('list pages by status in insertion order, hide codes, and a voucher is found by its code in its tenant only', async () => {
    const page1 = value(await listVouchers(db, TENANT, { status: 'disabled' }, { limit: 2 }));
    expect(page1.vouchers).toHaveLength(2);
    expect(page1.vouchers.every((v) => v.status === 'disabled' && v.code === undefined && v.codeHint.startsWith('…'))).toBe(true);
    const page2 = value(await listVouchers(db, TENANT, { status: 'disabled' }, { limit: 2, cursor: page1.nextCursor }));
    expect(page2.vouchers[0]!.id).not.toBe(page1.vouchers[1]!.id);
    const id = page1.vouchers[0]!.id;
    const withCode = value(await getVoucher(db, TENANT, id));
    expect(value(await findVoucherByCode(db, TENANT, withCode.code!.toLowerCase())).id).toBe(id);
    expect(await findVoucherByCode(db, OTHER_TENANT, withCode.code!)).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_NOT_FOUND' } });
    expect(await getVoucher(db, OTHER_TENANT, id)).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_NOT_FOUND' } });
    const [withOtherStatus] = await db.select().from(schema.vouchers).where(and(eq(schema.vouchers.tenantId, TENANT), eq(schema.vouchers.status, 'unused'))).limit(1);
    expect(withOtherStatus).toBeDefined();
  });

  it('uses the default code format when none is asked for', async () => {
    const [id] = await generate(1);
    expect((await voucherRow(id!)).code).toMatch(new RegExp(`^[${DEFAULT_CODE_FORMAT.alphabet}]{${DEFAULT_CODE_FORMAT.length}}$`));
  });
});

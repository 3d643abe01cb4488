/**
 * The ledger and wallet HTTP API on a real uWS server and Postgres: batches
 * with per-item result codes, lookups, history pages, balances at a time,
 * tenant isolation, coded 4xx errors, and the wallet routes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/log.ts';
import { schema, type Postgres } from '../platform/postgres.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { createApp, listen } from '../platform/uws.ts';
import { registerWalletRoutes } from './http-routes.ts';
import { registerLedgerRoutes } from './ledger-routes.ts';
import { connectLedgerTestDatabase, ensureTestTenant } from './test-support.ts';

const TENANT_A = 'itest-ledger-http-a';
const TENANT_B = 'itest-ledger-http-b';
let postgres: Postgres;
let server: { port: number; close: () => void };
let base: string;

// Tests authenticate as a tenant by naming it: `Authorization: Tenant <id>`.
const resolveTenant: TenantResolver = async (authorization) => {
  const match = /^Tenant (\S+)$/.exec(authorization);
  return match ? { ok: true, tenantId: match[1]! } : { ok: false, status: 401, error: { code: 'TG_UNAUTHORIZED', message: 'who are you?' } };
};

beforeAll(async () => {
  postgres = await connectLedgerTestDatabase();
  await ensureTestTenant(postgres.db, TENANT_A);
  await ensureTestTenant(postgres.db, TENANT_B);
  await postgres.db.insert(schema.customers).values({ tenantId: TENANT_A, subject: 'cust_http', name: 'HTTP customer', currency: 'USD', billingMode: 'prepaid' })
    .onConflictDoNothing();
  const app = createApp();
  const log = createLogger('silent', 'test');
  registerLedgerRoutes(app, { db: postgres.db, resolveTenant, log });
  registerWalletRoutes(app, { db: postgres.db, resolveTenant, log });
  server = await listen(app, '127.0.0.1', 0);
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  server?.close();
  await postgres?.close();
});

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, body?: unknown, tenant: string | null = TENANT_A): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tenant) headers.authorization = `Tenant ${tenant}`;
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function accounts(...specs: Record<string, unknown>[]): Promise<string[]> {
  const list = specs.map((s) => ({ id: randomUUID(), ledger: 'USD', code: 1010, ...s }));
  const { status, json } = await call('POST', '/v1/ledger/accounts', { accounts: list });
  expect(status).toBe(200);
  expect(json.results.map((r: { result: string }) => r.result)).toEqual(list.map(() => 'ok'));
  return list.map((a) => a.id);
}

describe('ledger API', () => {
  it('creates accounts and transfers in batches, answering a result code per item', async () => {
    const [bank, wallet, shop] = await accounts({}, { flags: ['debits_must_not_exceed_credits'], userData: 'w' }, {});
    const hold = randomUUID();
    const transfers = [
      { id: randomUUID(), debitAccountId: bank, creditAccountId: wallet, amountMicros: '1000', ledger: 'USD', code: 1 },
      { id: hold, debitAccountId: wallet, creditAccountId: shop, amountMicros: 600, ledger: 'USD', code: 2, flags: ['pending'], timeoutSeconds: 60 },
      { id: randomUUID(), debitAccountId: wallet, creditAccountId: shop, amountMicros: '500', ledger: 'USD', code: 2 },
      { id: randomUUID(), pendingId: hold, amountMicros: '0', flags: ['post_pending_transfer'] },
    ];
    const { status, json } = await call('POST', '/v1/ledger/transfers', { transfers });
    expect(status).toBe(200);
    expect(json.results).toEqual([
      { id: transfers[0]!.id, result: 'ok' }, { id: hold, result: 'ok' }, { id: transfers[2]!.id, result: 'exceeds_credits' },
      { id: transfers[3]!.id, result: 'ok' }]);
    const account = await call('GET', `/v1/ledger/accounts/${wallet}`);
    expect(account).toEqual({ status: 200, json: expect.objectContaining({ id: wallet, flags: ['debits_must_not_exceed_credits'], userData: 'w',
      debitsPostedMicros: '600', creditsPostedMicros: '1000', debitsPendingMicros: '0' }) });
    const pending = await call('GET', `/v1/ledger/transfers/${hold.toUpperCase()}`);
    expect(pending.json).toMatchObject({ id: hold, flags: ['pending'], status: 'posted', resolvedBy: transfers[3]!.id, amountMicros: '600' });
    const retry = await call('POST', '/v1/ledger/transfers', transfers);
    expect(retry.json.results.map((r: { result: string }) => r.result)).toEqual(['exists', 'exists', 'exceeds_credits', 'exists']);
  });

  it('pages an account\'s history and answers balances at a past time', async () => {
    const [a, b] = await accounts({}, {});
    const transfers = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), debitAccountId: a, creditAccountId: b, amountMicros: String(i + 1), ledger: 'USD', code: 1 }));
    await call('POST', '/v1/ledger/transfers', { transfers });
    const first = await call('GET', `/v1/ledger/accounts/${b}/transfers?limit=3`);
    expect(first.json.transfers.map((t: { id: string }) => t.id)).toEqual(transfers.slice(0, 3).map((t) => t.id));
    const second = await call('GET', `/v1/ledger/accounts/${b}/transfers?limit=3&after=${first.json.nextCursor}`);
    expect(second.json).toMatchObject({ nextCursor: null });
    expect(second.json.transfers.map((t: { id: string }) => t.id)).toEqual(transfers.slice(3).map((t) => t.id));
    const newest = await call('GET', `/v1/ledger/accounts/${b}/transfers?limit=1&order=desc`);
    expect(newest.json.transfers[0].id).toBe(transfers[4]!.id);
    const now = await call('GET', `/v1/ledger/accounts/${b}/balances`);
    expect(now.json).toMatchObject({ creditsPostedMicros: '15' });
    const before = await call('GET', `/v1/ledger/accounts/${b}/balances?at=2000-01-01T00:00:00Z`);
    expect(before.json).toMatchObject({ creditsPostedMicros: '0', at: '2000-01-01T00:00:00.000Z' });
  });

  it('keeps tenants apart: another tenant\'s accounts and transfers do not exist', async () => {
    const [a, b] = await accounts({}, {});
    expect((await call('GET', `/v1/ledger/accounts/${a}`, undefined, TENANT_B)).status).toBe(404);
    const { json } = await call('POST', '/v1/ledger/transfers', [{ id: randomUUID(), debitAccountId: a, creditAccountId: b, amountMicros: '1', ledger: 'USD', code: 1 }], TENANT_B);
    expect(json.results[0].result).toBe('debit_account_not_found');
    expect((await call('GET', `/v1/ledger/accounts/${a}`, undefined, null)).status).toBe(401);
  });

  describe('answers bad requests with a coded 4xx naming the field', () => {
    const id = randomUUID();
    const good = { id, debitAccountId: randomUUID(), creditAccountId: randomUUID(), amountMicros: '1', ledger: 'USD', code: 1 };
    const cases: { name: string; path?: string; body: unknown; status: number; code: string; field?: string }[] = [
      { name: 'malformed JSON', body: '{"transfers": [', status: 400, code: 'TG_BODY_MALFORMED' },
      { name: 'no transfers key', body: { nope: [] }, status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers' },
      { name: 'an empty batch', body: { transfers: [] }, status: 400, code: 'TG_LEDGER_BATCH_EMPTY', field: 'transfers' },
      { name: 'an id that is not a UUID', body: [good, { ...good, id: 'abc' }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[1].id' },
      { name: 'an amount as a float', body: [{ ...good, amountMicros: 1.5 }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[0].amountMicros' },
      { name: 'a negative amount', body: [{ ...good, amountMicros: '-5' }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[0].amountMicros' },
      { name: 'an amount beyond 64 bits', body: [{ ...good, amountMicros: '9223372036854775808' }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[0].amountMicros' },
      { name: 'an unknown flag', body: [{ ...good, flags: ['pending', 'urgent'] }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[0].flags[1]' },
      { name: 'a code beyond 32767', body: [{ ...good, code: 40_000 }], status: 400, code: 'TG_LEDGER_FIELD_INVALID', field: 'transfers[0].code' },
      { name: 'an account code reserved for Tollgate', path: '/v1/ledger/accounts', body: { accounts: [{ id, ledger: 'USD', code: 1 }] }, status: 400,
        code: 'TG_LEDGER_FIELD_INVALID', field: 'accounts[0].code' },
      { name: 'more than 8190 transfers', body: Array.from({ length: 8191 }, () => good), status: 400, code: 'TG_LEDGER_BATCH_TOO_LONG' },
    ];
    it.each(cases)('$name → $status $code', async ({ path, body, status, code, field }) => {
      const { status: got, json } = await call('POST', path ?? '/v1/ledger/transfers', body);
      expect(got).toBe(status);
      expect(json.error.code).toBe(code);
      if (field) expect(json.error.field).toBe(field);
    });

    it('a body beyond 4 MiB → 413 TG_BODY_TOO_LARGE', async () => {
      const { status, json } = await call('POST', '/v1/ledger/transfers', `[${'"x",'.repeat(1_100_000)}"x"]`);
      expect([status, json.error.code]).toEqual([413, 'TG_BODY_TOO_LARGE']);
    });

    it('an unknown account → 404 TG_NOT_FOUND', async () => {
      expect((await call('GET', `/v1/ledger/accounts/${randomUUID()}`)).json.error.code).toBe('TG_NOT_FOUND');
      expect((await call('GET', '/v1/ledger/transfers/not-a-uuid')).status).toBe(404);
    });
  });
});

describe('wallet API', () => {
  it('tops up, refunds within the balance, grants expiring promotional credit and sets the low-balance threshold', async () => {
    const reference = `http-${randomUUID()}`;
    expect((await call('POST', '/v1/wallets/cust_http/top-ups', { amountMicros: '5000', reference })).status).toBe(201);
    expect((await call('POST', '/v1/wallets/cust_http/top-ups', { amountMicros: '5000', reference })).json.result).toBe('exists');
    const refused = await call('POST', '/v1/wallets/cust_http/refunds', { amountMicros: '999999999', reference: `${reference}-refund` });
    expect([refused.status, refused.json.error.code, refused.json.result]).toEqual([409, 'TG_LEDGER_REFUSED', 'exceeds_credits']);
    expect((await call('POST', '/v1/wallets/cust_http/refunds', { amountMicros: '1000', reference: `${reference}-refund-2` })).status).toBe(201);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call('POST', '/v1/wallets/cust_http/promotions', { amountMicros: '300', reference: `${reference}-promo`, expiresAt })).status).toBe(201);
    const past = await call('POST', '/v1/wallets/cust_http/promotions', { amountMicros: '300', reference: `${reference}-old`, expiresAt: '2001-01-01T00:00:00Z' });
    expect([past.status, past.json.error.field]).toEqual([400, 'expiresAt']);
    expect((await call('PUT', '/v1/wallets/cust_http/low-balance-threshold', { thresholdMicros: '2000' })).status).toBe(200);
    const wallet = await call('GET', '/v1/wallets/cust_http');
    expect(wallet.json).toMatchObject({ promotionalMicros: '300', lowBalanceThresholdMicros: '2000' });
    expect(BigInt(wallet.json.availableMicros)).toBeGreaterThanOrEqual(4300n);
    expect((await call('GET', '/v1/wallets/nobody')).status).toBe(404);
    const bad = await call('POST', '/v1/wallets/cust_http/top-ups', { amountMicros: '0', reference });
    expect([bad.status, bad.json.error.field]).toEqual([400, 'amountMicros']);
  });
});

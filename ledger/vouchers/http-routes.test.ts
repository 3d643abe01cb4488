/**
 * The voucher HTTP API on a real uWebSockets.js listener and real Postgres:
 * profiles CRUD, generation, paginated listing, CSV export, the lifecycle
 * actions, and coded errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/log.ts';
import type { Postgres } from '../../platform/postgres.ts';
import type { TenantResolver } from '../../platform/tenant.ts';
import { createApp, listen } from '../../platform/uws.ts';
import * as ledger from '../index.ts';
import { registerVoucherRoutes } from './http-routes.ts';
import { connectTestDatabase, seedTenant } from './test-support.ts';

const TENANT = 'itest-vouchers-http';
let postgres: Postgres;
let close: () => void;
let base: string;

const resolveTenant: TenantResolver = async (authorization) => (authorization === 'Bearer revoked'
  ? { ok: false, status: 401, error: { code: 'TG_UNAUTHORIZED', message: 'the API key is revoked' } }
  : { ok: true, tenantId: TENANT });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const PROFILE = { name: '1GB-DAILY', currency: 'UGX', priceMicros: '5000000000', dataQuotaBytes: '1073741824', validitySeconds: 86400, rateLimit: '2M/2M' };

beforeAll(async () => {
  postgres = await connectTestDatabase();
  await seedTenant(postgres.db, TENANT, [{ subject: 'http-alice', currency: 'UGX' }, { subject: 'http-bob', currency: 'UGX' }]);
  const app = createApp();
  registerVoucherRoutes(app, { db: postgres.db, resolveTenant, log: createLogger('silent', 'test') });
  const listener = await listen(app, '127.0.0.1', 0);
  close = listener.close;
  base = `http://127.0.0.1:${listener.port}`;
});

afterAll(async () => {
  close?.();
  await postgres?.close();
});

describe('voucher profiles over HTTP', () => {
  it('creates, reads, changes, lists and archives a profile, with money and quotas as decimal strings', async () => {
    const created = await call('POST', '/v1/voucher-profiles', PROFILE);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: '1GB-DAILY', priceMicros: '5000000000', dataQuotaBytes: '1073741824', timeQuotaSeconds: null,
      validitySeconds: '86400', rateLimit: '2M/2M', sharedUsers: 1 });
    expect((await call('POST', '/v1/voucher-profiles', PROFILE)).json.error.code).toBe('TG_VOUCHER_PROFILE_EXISTS');
    expect((await call('PATCH', '/v1/voucher-profiles/1GB-DAILY', { sharedUsers: 2 })).json).toMatchObject({ sharedUsers: 2 });
    expect((await call('GET', '/v1/voucher-profiles/1GB-DAILY')).json.sharedUsers).toBe(2);
    await call('POST', '/v1/voucher-profiles', { ...PROFILE, name: 'RETIRED' });
    expect((await call('DELETE', '/v1/voucher-profiles/RETIRED')).status).toBe(200);
    expect((await call('GET', '/v1/voucher-profiles/RETIRED')).json.error.code).toBe('TG_VOUCHER_PROFILE_NOT_FOUND');
    expect((await call('GET', '/v1/voucher-profiles')).json.profiles.map((p: Json) => p.name)).toEqual(['1GB-DAILY']);
    expect((await call('GET', '/v1/voucher-profiles?archived=true')).json.profiles.map((p: Json) => p.name)).toEqual(['1GB-DAILY', 'RETIRED']);
  });

  it('refuses an invalid profile with a coded 400 naming the field', async () => {
    const response = await call('POST', '/v1/voucher-profiles', { ...PROFILE, name: 'BAD', rateLimit: '2 Mbit' });
    expect(response).toEqual({ status: 400, json: { error: { code: 'TG_VOUCHER_INPUT_INVALID', message: expect.any(String), field: 'rateLimit' } } });
  });
});

describe('vouchers over HTTP', () => {
  let batchId: string;

  it('generates a batch, and a retried request with the same requestId answers the same batch with 200', async () => {
    const first = await call('POST', '/v1/voucher-batches', { profile: '1GB-DAILY', count: 25, prefix: 'web', requestId: 'http-batch-1' });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ created: true, batch: { count: 25, prefix: 'WEB', profileName: '1GB-DAILY' } });
    batchId = first.json.batch.id;
    const again = await call('POST', '/v1/voucher-batches', { profile: '1GB-DAILY', count: 25, prefix: 'web', requestId: 'http-batch-1' });
    expect(again).toMatchObject({ status: 200, json: { created: false, batch: { id: batchId } } });
    expect((await call('GET', `/v1/voucher-batches/${batchId}`)).json).toMatchObject({ id: batchId, count: 25 });
  });

  it('lists vouchers page by page without their codes until every one is seen once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: Json } = await call('GET', `/v1/vouchers?batch=${batchId}&status=unused&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const v of page.json.vouchers) {
        expect(v.code).toBeUndefined();
        expect(v.codeHint).toMatch(/^…[A-Z2-9]{4}$/);
        seen.push(v.id);
      }
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('exports the batch as printable CSV with the codes that GET returns', async () => {
    const response = await fetch(`${base}/v1/voucher-batches/${batchId}/vouchers.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="vouchers-1GB-DAILY-/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(26);
    expect(lines[0]).toMatch(/^serial,code,profile,price,currency,data,/);
    const [serial, code, profile, price, currency, data, , validity, rateLimit, , status, , , voucherId] = lines[1]!.split(',');
    expect({ serial, profile, price, currency, data, validity, rateLimit, status }).toEqual(
      { serial: '1', profile: '1GB-DAILY', price: '5000', currency: 'UGX', data: '1 GB', validity: '1 day', rateLimit: '2M/2M', status: 'unused' });
    expect((await call('GET', `/v1/vouchers/${voucherId}`)).json.code).toBe(code);
    const byStatus = await fetch(`${base}/v1/vouchers.csv?batch=${batchId}&status=unused`);
    expect((await byStatus.text()).trimEnd().split('\r\n')).toHaveLength(26);
  });

  it('sells, redeems, transfers, resends and disables a voucher, each answered with the voucher and audited in order', async () => {
    const { json: page } = await call('GET', `/v1/vouchers?batch=${batchId}&limit=1`);
    const id = page.vouchers[0].id;
    const { json: full } = await call('GET', `/v1/vouchers/${id}`);
    const sold = await call('POST', `/v1/vouchers/${id}/sell`, { subject: 'http-alice', payment: 'external', reference: 'till-4' });
    expect(sold).toMatchObject({ status: 200, json: { changed: true, voucher: { status: 'unused', priceMicros: '5000000000' } } });
    const redeemed = await call('POST', '/v1/vouchers/redeem', { code: full.code.toLowerCase() });
    expect(redeemed).toMatchObject({ status: 200, json: { changed: true, voucher: { id, status: 'active' }, session: { rateLimit: '2M/2M', sessionTimeoutSeconds: 86400 } } });
    expect((await call('POST', `/v1/vouchers/${id}/transfer`, { subject: 'http-bob' })).json.changed).toBe(true);
    expect((await call('POST', `/v1/vouchers/${id}/resend`, { channel: 'email', to: 'bob@example.com', requestId: 'r1' })).status).toBe(200);
    expect((await call('POST', `/v1/vouchers/${id}/disable`, { reason: 'lost phone' })).json.voucher.status).toBe('disabled');
    const { json: audit } = await call('GET', `/v1/vouchers/${id}/events`);
    expect(audit.events.map((e: Json) => `${e.action}:${e.toStatus}`)).toEqual(['sell:unused', 'activate:active', 'transfer:active', 'resend:active', 'disable:disabled']);
    expect(JSON.stringify(audit)).not.toContain(full.code);
  });

  it('refuses the refund of a used-up or active voucher with 409 TG_VOUCHER_REFUND_NOT_UNUSED', async () => {
    const { json: page } = await call('GET', `/v1/vouchers?batch=${batchId}&status=unused&limit=1`);
    const id = page.vouchers[0].id;
    await call('POST', `/v1/vouchers/${id}/sell`, { subject: 'http-alice' });
    await call('POST', `/v1/vouchers/${id}/activate`);
    const refused = await call('POST', `/v1/vouchers/${id}/refund`, {});
    expect(refused).toEqual({ status: 409, json: { error: { code: 'TG_VOUCHER_REFUND_NOT_UNUSED', message: expect.any(String) } } });
  });

  it('finds a voucher by code in the list without showing the code', async () => {
    const { json: page } = await call('GET', `/v1/vouchers?batch=${batchId}&limit=1`);
    const { json: full } = await call('GET', `/v1/vouchers/${page.vouchers[0].id}`);
    const found = await call('GET', `/v1/vouchers?code=${encodeURIComponent(full.code)}`);
    expect(found.json.vouchers).toEqual([expect.objectContaining({ id: full.id, codeHint: full.codeHint })]);
    expect(found.json.vouchers[0].code).toBeUndefined();
  });

  describe('coded errors', () => {
    const cases: { name: string; method: string; path: string; body?: unknown; headers?: Record<string, string>; status: number; code: string; field?: string }[] = [
      { name: 'an unknown voucher', method: 'GET', path: '/v1/vouchers/00000000-0000-0000-0000-000000000000', status: 404, code: 'TG_VOUCHER_NOT_FOUND' },
      { name: 'a malformed voucher id', method: 'POST', path: '/v1/vouchers/not-a-uuid/disable', body: {}, status: 404, code: 'TG_VOUCHER_NOT_FOUND' },
      { name: 'a body that is not JSON', method: 'POST', path: '/v1/voucher-batches', body: '{"profile":', status: 400, code: 'TG_BODY_MALFORMED' },
      { name: 'an unknown status filter', method: 'GET', path: '/v1/vouchers?status=sold', status: 400, code: 'TG_VOUCHER_INPUT_INVALID', field: 'status' },
      { name: 'a page size beyond the limit', method: 'GET', path: '/v1/vouchers?limit=501', status: 400, code: 'TG_VOUCHER_INPUT_INVALID', field: 'limit' },
      { name: 'a batch beyond the per-call limit', method: 'POST', path: '/v1/voucher-batches', body: { profile: '1GB-DAILY', count: 50_001 }, status: 400, code: 'TG_VOUCHER_BATCH_TOO_LARGE', field: 'count' },
      { name: 'a sale to an unknown subject', method: 'POST', path: '/v1/vouchers/00000000-0000-0000-0000-000000000000/sell', body: { subject: 'nobody' }, status: 404, code: 'TG_VOUCHER_CUSTOMER_NOT_FOUND', field: 'subject' },
      { name: 'a resend to a local number', method: 'POST', path: '/v1/vouchers/00000000-0000-0000-0000-000000000000/resend', body: { channel: 'sms', to: '0700' }, status: 400, code: 'TG_VOUCHER_INPUT_INVALID', field: 'to' },
      { name: 'a revoked API key', method: 'GET', path: '/v1/vouchers', headers: { authorization: 'Bearer revoked' }, status: 401, code: 'TG_UNAUTHORIZED' },
      { name: 'a body over 16 KiB', method: 'POST', path: '/v1/voucher-profiles', body: { name: 'x'.repeat(20_000) }, status: 413, code: 'TG_BODY_TOO_LARGE' },
    ];
    it.each(cases)('$name → $status $code', async ({ method, path, body, headers, status, code, field }) => {
      const response = await call(method, path, body, headers);
      expect(response.status).toBe(status);
      expect(response.json.error.code).toBe(code);
      if (field !== undefined) expect(response.json.error.field).toBe(field);
    });
  });
});

it("is part of the ledger's public module", () => {
  expect(ledger.registerVoucherRoutes).toBe(registerVoucherRoutes);
  expect(typeof ledger.consumeVoucherQuota).toBe('function');
});

/**
 * The catalog HTTP API on a real node and Postgres: validation with coded
 * errors, plan-version immutability, subscriptions, discounts and coupons,
 * and tenant scoping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SingleNode } from '../../cli/single-node.ts';
import { startTestNode } from '../../test/node-fixture.ts';
import { planVersionDetail } from './plans.ts';
import { redeemCoupon } from './discounts.ts';
import { customerRowBySubject } from './customers.ts';
import { ensureTenant } from '../../cli/demo-data.ts';
import { createApiKey } from '../../ingest/index.ts';

const TENANT = `itest-catalog-${process.pid}`;
let node: SingleNode;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${node.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function ok(method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const result = await api(method, path, body);
  expect(result.status, JSON.stringify(result.json)).toBeLessThan(300);
  return result.json;
}

beforeAll(async () => {
  node = await startTestNode({ defaultTenant: TENANT, authMode: 'optional' }, { rater: false });
  await ok('POST', '/v1/meters', { slug: 'tokens', eventType: 'llm.call', aggregation: 'SUM', valueProperty: 'tokens', groupBy: ['model'], filters: { region: ['eu', 'us'] } });
  await ok('POST', '/v1/meters', { slug: 'peak', eventType: 'gauge', aggregation: 'MAX', valueProperty: 'v' });
  await ok('POST', '/v1/meters', { slug: 'low', eventType: 'gauge', aggregation: 'MIN', valueProperty: 'v' });
  await ok('POST', '/v1/customers', { subject: 'acme', name: 'Acme', currency: 'USD', billingMode: 'postpaid', customerType: 'business', jurisdiction: 'DE', taxId: 'DE123' });
  await ok('POST', '/v1/customers', { subject: 'bob', name: 'Bob', currency: 'USD' });
  await ok('POST', '/v1/customers', { subject: 'eve', name: 'Eve', currency: 'EUR' });
  await ok('POST', '/v1/plans', { slug: 'pro', name: 'Pro' });
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('meters and customers', () => {
  it('stores meters with group-by and filters, and customers with tax fields', async () => {
    expect(await ok('GET', '/v1/meters/tokens')).toMatchObject({ slug: 'tokens', groupBy: ['model'], filters: { region: ['eu', 'us'] } });
    expect(await ok('GET', '/v1/customers/acme')).toMatchObject({ customerType: 'business', jurisdiction: 'DE', taxExempt: false, taxId: 'DE123', billingMode: 'postpaid' });
    expect(await ok('PATCH', '/v1/customers/bob', { taxExempt: true, customerType: 'nonprofit' })).toMatchObject({ taxExempt: true, customerType: 'nonprofit' });
  });

  const bad: { name: string; path: string; body: unknown; status: number; code: string; field?: string }[] = [
    { name: 'a duplicate meter slug', path: '/v1/meters', body: { slug: 'tokens', eventType: 'x', aggregation: 'COUNT' }, status: 409, code: 'TG_CATALOG_DUPLICATE', field: 'slug' },
    { name: 'an unknown aggregation', path: '/v1/meters', body: { slug: 'm1', eventType: 'x', aggregation: 'MEDIAN', valueProperty: 'v' }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'aggregation' },
    { name: 'a SUM without value path', path: '/v1/meters', body: { slug: 'm2', eventType: 'x', aggregation: 'SUM' }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'valueProperty' },
    { name: 'a filter that is not a list', path: '/v1/meters', body: { slug: 'm3', eventType: 'x', aggregation: 'COUNT', filters: { region: 'eu' } }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'filters.region' },
    { name: 'a misspelt field', path: '/v1/meters', body: { slug: 'm4', eventType: 'x', aggregation: 'COUNT', valuProperty: 'v' }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'valuProperty' },
    { name: 'a lower-case currency', path: '/v1/customers', body: { subject: 'c1', name: 'C', currency: 'usd' }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'currency' },
    { name: 'a bad jurisdiction', path: '/v1/customers', body: { subject: 'c2', name: 'C', currency: 'USD', jurisdiction: 'Germany' }, status: 400, code: 'TG_CATALOG_FIELD_INVALID', field: 'jurisdiction' },
    { name: 'a duplicate subject', path: '/v1/customers', body: { subject: 'acme', name: 'C', currency: 'USD' }, status: 409, code: 'TG_CATALOG_DUPLICATE', field: 'subject' },
  ];
  it.each(bad)('refuses $name with $status $code', async ({ path, body, status, code, field }) => {
    const result = await api('POST', path, body);
    expect(result.status).toBe(status);
    expect(result.json.error).toEqual(field === undefined ? { code, message: expect.any(String) } : { code, message: expect.any(String), field });
  });

  it('answers malformed JSON with TG_BODY_MALFORMED', async () => {
    expect(await api('POST', '/v1/meters', '{"slug":')).toMatchObject({ status: 400, json: { error: { code: 'TG_BODY_MALFORMED' } } });
  });
});

describe('plan versions', () => {
  it('reports every price param error of a charge, under its path', async () => {
    const result = await api('POST', '/v1/plans/pro/versions', { currency: 'USD', charges: [
      { name: 'Tokens', meter: 'tokens', price: { model: 'graduated', params: { tiers: [{ upTo: '100', unitPriceMicros: '-1' }, { upTo: '50', unitPriceMicros: '1' }] } } }] });
    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ field: expect.stringMatching(/^charges\[0\]\.price\.params\.tiers/) });
    const codes = result.json.details.map((d: { code: string }) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['TG_PRICE_NEGATIVE', 'TG_PRICE_TIERS_NOT_ASCENDING']));
  });

  const refused: { name: string; charge: unknown; code: string; field: string }[] = [
    { name: 'an unknown model', charge: { name: 'x', meter: 'tokens', price: { model: 'tiered', params: {} } }, code: 'TG_PRICE_MODEL_UNKNOWN', field: 'charges[0].price.model' },
    { name: 'a MIN meter', charge: { name: 'x', meter: 'low', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } }, code: 'TG_METER_NOT_PRICEABLE', field: 'charges[0].meter' },
    { name: 'a percentage of a MAX meter', charge: { name: 'x', meter: 'peak', price: { model: 'percentage', params: { ratePercent: '1' } } }, code: 'TG_METER_NOT_PRICEABLE', field: 'charges[0].meter' },
    { name: 'an unknown meter', charge: { name: 'x', meter: 'nope', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } }, code: 'TG_CATALOG_REFERENCE_INVALID', field: 'charges[0].meter' },
    { name: 'a flat fee with a typo', charge: { name: 'fee', price: { model: 'flat_fee', params: { amountMicro: '1' } } }, code: 'TG_PRICE_FIELD_UNKNOWN', field: 'charges[0].price.params.amountMicro' },
  ];
  it.each(refused)('refuses a charge on $name', async ({ charge, code, field }) => {
    const result = await api('POST', '/v1/plans/pro/versions', { currency: 'USD', charges: [charge] });
    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ code, field });
  });

  it('edits a version until a subscription uses it, then refuses every edit; a new version is free to differ', async () => {
    const v1 = await ok('POST', '/v1/plans/pro/versions', { currency: 'USD', charges: [
      { name: 'Tokens', meter: 'tokens', price: { model: 'per_unit', params: { unitPriceMicros: '20' } } }] });
    expect(v1).toMatchObject({ version: 1, locked: false });
    const edited = await ok('POST', '/v1/plans/pro/versions/1/charges', { name: 'Fee', price: { model: 'flat_fee', params: { amountMicros: '1000000', prorate: true } } });
    expect(edited.charges).toHaveLength(2);
    expect((await api('POST', '/v1/plans/pro/versions/1/charges', { name: 'Again', meter: 'tokens', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } })).json.error.code)
      .toBe('TG_CATALOG_DUPLICATE');
    await ok('POST', '/v1/subscriptions', { subject: 'acme', plan: 'pro', version: 1, startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' });
    expect((await ok('GET', '/v1/plans/pro/versions/1')).locked).toBe(true);
    const feeId = edited.charges.find((c: { name: string }) => c.name === 'Fee').id;
    for (const attempt of [
      api('POST', '/v1/plans/pro/versions/1/charges', { name: 'Peak', meter: 'peak', price: { model: 'per_unit', params: { unitPriceMicros: '1' } } }),
      api('DELETE', `/v1/plans/pro/versions/1/charges/${feeId}`),
      api('POST', '/v1/plans/pro/versions/1/entitlements', { meter: 'tokens', limit: '100', enforcement: 'hard' }),
    ]) {
      expect(await attempt).toMatchObject({ status: 409, json: { error: { code: 'TG_PLAN_VERSION_LOCKED' } } });
    }
    expect((await ok('GET', '/v1/plans/pro/versions/1')).charges).toHaveLength(2);
    const v2 = await ok('POST', '/v1/plans/pro/versions', { currency: 'USD', charges: [
      { name: 'Tokens', meter: 'tokens', price: { model: 'graduated', params: { tiers: [{ upTo: '1000', unitPriceMicros: '20' }, { upTo: null, unitPriceMicros: '10' }] } } }],
      entitlements: [{ meter: 'tokens', limit: '1000000', enforcement: 'soft' }] });
    expect(v2).toMatchObject({ version: 2, locked: false, entitlements: [{ meter: 'tokens', limit: '1000000.000000000', enforcement: 'soft' }] });
  });

  it('refuses overlapping subscriptions and a plan in another currency', async () => {
    expect((await api('POST', '/v1/subscriptions', { subject: 'acme', plan: 'pro', version: 2, startsAt: '2026-11-15T00:00:00Z' })).json.error)
      .toMatchObject({ code: 'TG_SUBSCRIPTION_OVERLAP', field: 'startsAt' });
    await ok('POST', '/v1/subscriptions', { subject: 'acme', plan: 'pro', version: 2, startsAt: '2026-12-01T00:00:00Z' });
    expect((await ok('GET', '/v1/subscriptions?subject=acme')).subscriptions.map((x: { plan: string; version: number; endsAt: string | null }) => [x.plan, x.version, x.endsAt]))
      .toEqual([['pro', 1, '2026-12-01T00:00:00.000Z'], ['pro', 2, null]]);
    expect((await api('POST', '/v1/subscriptions', { subject: 'eve', plan: 'pro', version: 2, startsAt: '2026-12-01T00:00:00Z' })).json.error)
      .toMatchObject({ code: 'TG_CURRENCY_MISMATCH' });
    expect((await api('POST', '/v1/subscriptions', { subject: 'bob', plan: 'pro', version: 9, startsAt: '2026-12-01T00:00:00Z' })).json.error)
      .toMatchObject({ code: 'TG_CATALOG_REFERENCE_INVALID', field: 'version' });
    expect((await api('POST', '/v1/subscriptions', { subject: 'bob', plan: 'pro', version: 2, startsAt: '2026-12-01', endsAt: '2026-11-01T00:00:00Z' })).json.error)
      .toMatchObject({ code: 'TG_CATALOG_FIELD_INVALID', field: 'startsAt' });
  });

  it('keeps tenants apart: with another tenant\'s API key every object of this tenant is 404', async () => {
    expect(await planVersionDetail(node.postgres.db, 'other-tenant', 'pro', 1)).toMatchObject({ ok: false, status: 404, error: { code: 'TG_NOT_FOUND' } });
    expect((await api('GET', '/v1/plans/nope/versions/1')).status).toBe(404);
    const other = `${TENANT}-other`;
    await ensureTenant(node.postgres.db, other);
    const { key } = await createApiKey(node.postgres.db, other, 'itest');
    const asOther = async (method: string, path: string, body?: unknown): Promise<number> =>
      (await fetch(`${node.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).status;
    expect(await asOther('GET', '/v1/plans/pro')).toBe(404);
    expect(await asOther('GET', '/v1/plans/pro/versions/1')).toBe(404);
    expect(await asOther('GET', '/v1/customers/acme')).toBe(404);
    expect(await asOther('GET', '/v1/meters/tokens')).toBe(404);
    expect(await asOther('POST', '/v1/plans/pro/versions/1/charges', { name: 'x', price: { model: 'flat_fee', params: { amountMicros: '1', prorate: true } } })).toBe(404);
    expect(await asOther('POST', '/v1/subscriptions', { subject: 'acme', plan: 'pro', version: 1, startsAt: '2027-01-01T00:00:00Z' })).toBe(400);
    expect(await asOther('GET', '/v1/entitlements/acme/tokens')).toBe(404);
    // The same slug is free in the other tenant.
    expect(await asOther('POST', '/v1/plans', { slug: 'pro', name: 'Other pro' })).toBe(201);
  });
});

describe('discounts and coupons', () => {
  const badDiscounts: { name: string; body: unknown; field: string }[] = [
    { name: 'a percentage above 100 %', body: { name: 'd', kind: 'percentage', trigger: 'coupon', percentBasisPoints: 10_001 }, field: 'percentBasisPoints' },
    { name: 'a fixed discount without currency', body: { name: 'd', kind: 'fixed', trigger: 'coupon', amountMicros: '1000' }, field: 'currency' },
    { name: 'a fixed discount of zero', body: { name: 'd', kind: 'fixed', trigger: 'coupon', amountMicros: '0', currency: 'USD' }, field: 'amountMicros' },
    { name: 'a percentage with an amount', body: { name: 'd', kind: 'percentage', trigger: 'coupon', percentBasisPoints: 10, amountMicros: '5' }, field: 'amountMicros' },
    { name: 'an automatic discount without a condition', body: { name: 'd', kind: 'percentage', trigger: 'automatic', percentBasisPoints: 10 }, field: 'trigger' },
    { name: 'a threshold without currency', body: { name: 'd', kind: 'percentage', trigger: 'automatic', percentBasisPoints: 10, minSubtotalMicros: '100' }, field: 'currency' },
    { name: 'a money amount as a float', body: { name: 'd', kind: 'fixed', trigger: 'coupon', amountMicros: 1.5, currency: 'USD' }, field: 'amountMicros' },
  ];
  it.each(badDiscounts)('refuses $name', async ({ body, field }) => {
    expect(await api('POST', '/v1/discounts', body)).toMatchObject({ status: 400, json: { error: { code: 'TG_CATALOG_FIELD_INVALID', field } } });
  });

  it('stores customer-type and threshold discounts', async () => {
    expect(await ok('POST', '/v1/discounts', { name: 'Nonprofit', kind: 'percentage', trigger: 'automatic', percentBasisPoints: 1500, customerType: 'nonprofit' }))
      .toMatchObject({ kind: 'percentage', percentBasisPoints: 1500, customerType: 'nonprofit', amountMicros: null });
    expect(await ok('POST', '/v1/discounts', { name: 'Big spender', kind: 'fixed', trigger: 'automatic', amountMicros: '5000000', currency: 'USD', minSubtotalMicros: '100000000' }))
      .toMatchObject({ amountMicros: '5000000', minSubtotalMicros: '100000000', currency: 'USD' });
    expect((await ok('GET', '/v1/discounts')).discounts).toHaveLength(2);
  });

  it('redeems coupons within their limits: once, repeating, forever; expiry, exhaustion and repeats refused', async () => {
    const tenPercent = await ok('POST', '/v1/discounts', { name: '10 % off', kind: 'percentage', trigger: 'coupon', percentBasisPoints: 1000 });
    const fiveEuro = await ok('POST', '/v1/discounts', { name: '€5 off', kind: 'fixed', trigger: 'coupon', amountMicros: '5000000', currency: 'EUR' });
    const auto = (await ok('GET', '/v1/discounts')).discounts.find((d: { trigger: string }) => d.trigger === 'automatic');
    expect((await api('POST', '/v1/coupons', { code: 'AUTO', discountId: auto.id, duration: 'once' })).json.error).toMatchObject({ field: 'discountId' });
    expect((await api('POST', '/v1/coupons', { code: 'R', discountId: tenPercent.id, duration: 'repeating' })).json.error).toMatchObject({ field: 'code' });
    expect((await api('POST', '/v1/coupons', { code: 'REP', discountId: tenPercent.id, duration: 'repeating' })).json.error).toMatchObject({ field: 'durationPeriods' });
    expect((await api('POST', '/v1/coupons', { code: 'ONCE2', discountId: tenPercent.id, duration: 'once', durationPeriods: 2 })).json.error).toMatchObject({ field: 'durationPeriods' });
    await ok('POST', '/v1/coupons', { code: 'welcome', discountId: tenPercent.id, duration: 'once', maxRedemptions: 1 });
    await ok('POST', '/v1/coupons', { code: 'THREE', discountId: tenPercent.id, duration: 'repeating', durationPeriods: 3 });
    await ok('POST', '/v1/coupons', { code: 'LIFE', discountId: tenPercent.id, duration: 'forever', redeemBy: '2030-01-01T00:00:00Z' });
    await ok('POST', '/v1/coupons', { code: 'OLD', discountId: tenPercent.id, duration: 'forever', redeemBy: '2020-01-01T00:00:00Z' });
    await ok('POST', '/v1/coupons', { code: 'EURO5', discountId: fiveEuro.id, duration: 'once' });
    expect((await api('POST', '/v1/coupons', { code: 'WELCOME', discountId: tenPercent.id, duration: 'once' })).json.error).toMatchObject({ code: 'TG_CATALOG_DUPLICATE' });

    const at = new Date('2026-11-20T10:00:00Z');
    const db = node.postgres.db;
    expect(await redeemCoupon(db, TENANT, { code: 'Welcome', subject: 'acme' }, at)).toMatchObject({ ok: true, value: { firstPeriod: '2026-11', periodCount: 1 } });
    expect(await redeemCoupon(db, TENANT, { code: 'WELCOME', subject: 'bob' }, at)).toMatchObject({ ok: false, error: { code: 'TG_COUPON_EXHAUSTED' } });
    expect(await redeemCoupon(db, TENANT, { code: 'THREE', subject: 'acme' }, at)).toMatchObject({ ok: true, value: { periodCount: 3 } });
    expect(await redeemCoupon(db, TENANT, { code: 'THREE', subject: 'acme' }, at)).toMatchObject({ ok: false, error: { code: 'TG_COUPON_ALREADY_REDEEMED' } });
    expect(await redeemCoupon(db, TENANT, { code: 'LIFE', subject: 'acme' }, at)).toMatchObject({ ok: true, value: { periodCount: null } });
    expect(await redeemCoupon(db, TENANT, { code: 'OLD', subject: 'acme' }, at)).toMatchObject({ ok: false, error: { code: 'TG_COUPON_EXPIRED' } });
    expect(await redeemCoupon(db, TENANT, { code: 'EURO5', subject: 'acme' }, at)).toMatchObject({ ok: false, error: { code: 'TG_CURRENCY_MISMATCH' } });
    expect(await redeemCoupon(db, TENANT, { code: 'NOPE', subject: 'acme' }, at)).toMatchObject({ ok: false, error: { code: 'TG_COUPON_NOT_FOUND' } });
    // Over HTTP too, with the coupon counted and the customer's redemptions listed.
    expect((await api('POST', '/v1/coupons/redeem', { code: 'EURO5', subject: 'eve' })).status).toBe(201);
    expect(await ok('GET', '/v1/coupons/welcome')).toMatchObject({ redemptionCount: 1, maxRedemptions: 1 });
    const acme = await customerRowBySubject(db, TENANT, 'acme');
    expect(acme.ok).toBe(true);
    expect((await ok('GET', '/v1/customers/acme/redemptions')).redemptions).toHaveLength(3);
    expect((await api('DELETE', `/v1/discounts/${fiveEuro.id}`)).json).toMatchObject({ archived: true });
    expect(await redeemCoupon(db, TENANT, { code: 'EURO5', subject: 'eve' }, at)).toMatchObject({ ok: false, error: { code: 'TG_COUPON_NOT_FOUND' } });
  });
});

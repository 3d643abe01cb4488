/**
 * Catalog HTTP API, tenant-scoped through the Authorization header (another
 * tenant's objects answer 404), coded errors `{error: {code, message, field?}}`
 * (price documents list every problem in `details`), money as decimal strings
 * of micros:
 *
 *   POST /v1/meters · GET /v1/meters · GET /v1/meters/:slug
 *   POST /v1/customers · GET /v1/customers · GET|PATCH /v1/customers/:subject
 *   PUT  /v1/customers/:subject/entitlements           customer-level limit {meter, limit, enforcement}
 *   GET  /v1/customers/:subject/redemptions            coupons the customer redeemed
 *   POST /v1/plans · GET /v1/plans · GET /v1/plans/:slug
 *   POST /v1/plans/:slug/versions                      {currency, charges[], entitlements[]} → next version
 *   GET  /v1/plans/:slug/versions/:version
 *   POST /v1/plans/:slug/versions/:version/charges     (409 TG_PLAN_VERSION_LOCKED once subscribed)
 *   DELETE /v1/plans/:slug/versions/:version/charges/:id
 *   POST /v1/plans/:slug/versions/:version/entitlements
 *   POST /v1/discounts · GET /v1/discounts · GET|DELETE /v1/discounts/:id (DELETE archives)
 *   POST /v1/coupons · GET /v1/coupons · GET /v1/coupons/:code · POST /v1/coupons/redeem {code, subject}
 *   POST /v1/subscriptions {subject, plan, version, startsAt, endsAt?} · GET /v1/subscriptions[?subject=]
 *   PATCH /v1/subscriptions/:id {endsAt}
 *   GET  /v1/entitlements/:subject/:feature[?at=]      access + remaining for the period of `at` (default now)
 */
import { eq } from 'drizzle-orm';
import type { Logger } from '../../platform/log.ts';
import { schema, type Database } from '../../platform/postgres.ts';
import type { TenantResolver } from '../../platform/tenant.ts';
import { registerJsonRoutes, sendJsonReply, type JsonReply, type RouteRequest } from '../../platform/json-routes.ts';
import type { TemplatedApp } from '../../platform/uws.ts';
import { apiError } from '../../schemas/errors.ts';
import { createCustomer, customerRowBySubject, customerView, listCustomers, updateCustomer } from './customers.ts';
import {
  archiveDiscount, couponByCode, couponView, createCoupon, createDiscount, customerRedemptions, discountById, discountView,
  listCoupons, listDiscounts, redeemCoupon, redemptionView,
} from './discounts.ts';
import { checkEntitlement, entitlementView, setCustomerEntitlement } from './entitlements.ts';
import type { Outcome } from './fields.ts';
import { createMeter, listMeters, meterBySlug, meterView } from './meters.ts';
import {
  addCharge, addPlanEntitlement, createPlan, createPlanVersion, listPlans, planBySlug, planVersionDetail, planVersionView, planView, removeCharge,
} from './plans.ts';
import { createSubscription, endSubscription, listSubscriptions, subscriptionView } from './subscriptions.ts';

const BODY_BYTES_MAX = 64 * 1024;

export interface CatalogRouteDeps {
  db: Database;
  resolveTenant: TenantResolver;
  log: Logger;
}

type Request = RouteRequest;
type Reply = JsonReply;
type Handler = (db: Database, request: Request) => Promise<Reply>;

function reply<T>(outcome: Outcome<T>, view: (value: T) => unknown, status = 200): Reply {
  if (outcome.ok) return { status, body: view(outcome.value) };
  return { status: outcome.status, body: outcome.details ? { error: outcome.error, details: outcome.details } : { error: outcome.error } };
}

function versionNumber(text: string): number {
  // A non-number never matches a version: 404 rather than a type error.
  return /^\d{1,7}$/.test(text) ? Number(text) : -1;
}

const ROUTES: { method: 'get' | 'post' | 'patch' | 'put' | 'del'; pattern: string; params: number; handle: Handler }[] = [
  { method: 'post', pattern: '/v1/meters', params: 0, handle: async (db, r) => reply(await createMeter(db, r.tenantId, r.body), meterView, 201) },
  { method: 'get', pattern: '/v1/meters', params: 0, handle: async (db, r) => ({ status: 200, body: { meters: (await listMeters(db, r.tenantId)).map(meterView) } }) },
  { method: 'get', pattern: '/v1/meters/:slug', params: 1, handle: async (db, r) => reply(await meterBySlug(db, r.tenantId, r.params[0]!), meterView) },

  { method: 'post', pattern: '/v1/customers', params: 0, handle: async (db, r) => reply(await createCustomer(db, r.tenantId, r.body), customerView, 201) },
  { method: 'get', pattern: '/v1/customers', params: 0, handle: async (db, r) => ({ status: 200, body: { customers: (await listCustomers(db, r.tenantId)).map(customerView) } }) },
  { method: 'get', pattern: '/v1/customers/:subject', params: 1, handle: async (db, r) => reply(await customerRowBySubject(db, r.tenantId, r.params[0]!), customerView) },
  { method: 'patch', pattern: '/v1/customers/:subject', params: 1, handle: async (db, r) => reply(await updateCustomer(db, r.tenantId, r.params[0]!, r.body), customerView) },
  { method: 'put', pattern: '/v1/customers/:subject/entitlements', params: 1, handle: async (db, r) => {
    const outcome = await setCustomerEntitlement(db, r.tenantId, r.params[0]!, r.body);
    return reply(outcome, (e) => entitlementView(e, String((r.body as { meter?: unknown }).meter)));
  } },
  { method: 'get', pattern: '/v1/customers/:subject/redemptions', params: 1, handle: async (db, r) =>
    reply(await customerRedemptions(db, r.tenantId, r.params[0]!), (rows) => ({ redemptions: rows.map(redemptionView) })) },

  { method: 'post', pattern: '/v1/plans', params: 0, handle: async (db, r) => reply(await createPlan(db, r.tenantId, r.body), (p) => planView(p, []), 201) },
  { method: 'get', pattern: '/v1/plans', params: 0, handle: async (db, r) => ({ status: 200, body: { plans: await listPlans(db, r.tenantId) } }) },
  { method: 'get', pattern: '/v1/plans/:slug', params: 1, handle: async (db, r) => {
    const plan = await planBySlug(db, r.tenantId, r.params[0]!);
    if (!plan.ok) return reply(plan, () => null);
    const versions = await db.select().from(schema.planVersions).where(eq(schema.planVersions.planId, plan.value.id)).orderBy(schema.planVersions.version);
    return { status: 200, body: planView(plan.value, versions) };
  } },
  { method: 'post', pattern: '/v1/plans/:slug/versions', params: 1, handle: async (db, r) =>
    reply(await createPlanVersion(db, r.tenantId, r.params[0]!, r.body), planVersionView, 201) },
  { method: 'get', pattern: '/v1/plans/:slug/versions/:version', params: 2, handle: async (db, r) =>
    reply(await planVersionDetail(db, r.tenantId, r.params[0]!, versionNumber(r.params[1]!)), planVersionView) },
  { method: 'post', pattern: '/v1/plans/:slug/versions/:version/charges', params: 2, handle: async (db, r) =>
    reply(await addCharge(db, r.tenantId, r.params[0]!, versionNumber(r.params[1]!), r.body), planVersionView, 201) },
  { method: 'del', pattern: '/v1/plans/:slug/versions/:version/charges/:id', params: 3, handle: async (db, r) =>
    reply(await removeCharge(db, r.tenantId, r.params[0]!, versionNumber(r.params[1]!), r.params[2]!), planVersionView) },
  { method: 'post', pattern: '/v1/plans/:slug/versions/:version/entitlements', params: 2, handle: async (db, r) =>
    reply(await addPlanEntitlement(db, r.tenantId, r.params[0]!, versionNumber(r.params[1]!), r.body), planVersionView, 201) },

  { method: 'post', pattern: '/v1/discounts', params: 0, handle: async (db, r) => reply(await createDiscount(db, r.tenantId, r.body), discountView, 201) },
  { method: 'get', pattern: '/v1/discounts', params: 0, handle: async (db, r) => ({ status: 200, body: { discounts: (await listDiscounts(db, r.tenantId)).map(discountView) } }) },
  { method: 'get', pattern: '/v1/discounts/:id', params: 1, handle: async (db, r) => reply(await discountById(db, r.tenantId, r.params[0]!), discountView) },
  { method: 'del', pattern: '/v1/discounts/:id', params: 1, handle: async (db, r) => reply(await archiveDiscount(db, r.tenantId, r.params[0]!), discountView) },

  { method: 'post', pattern: '/v1/coupons', params: 0, handle: async (db, r) => reply(await createCoupon(db, r.tenantId, r.body), couponView, 201) },
  { method: 'get', pattern: '/v1/coupons', params: 0, handle: async (db, r) => ({ status: 200, body: { coupons: (await listCoupons(db, r.tenantId)).map(couponView) } }) },
  { method: 'post', pattern: '/v1/coupons/redeem', params: 0, handle: async (db, r) => reply(await redeemCoupon(db, r.tenantId, r.body), redemptionView, 201) },
  { method: 'get', pattern: '/v1/coupons/:code', params: 1, handle: async (db, r) => reply(await couponByCode(db, r.tenantId, r.params[0]!), couponView) },

  { method: 'post', pattern: '/v1/subscriptions', params: 0, handle: async (db, r) => reply(await createSubscription(db, r.tenantId, r.body), (s) => subscriptionView(s), 201) },
  { method: 'get', pattern: '/v1/subscriptions', params: 0, handle: async (db, r) =>
    reply(await listSubscriptions(db, r.tenantId, r.query.get('subject')), (subscriptions) => ({ subscriptions })) },
  { method: 'patch', pattern: '/v1/subscriptions/:id', params: 1, handle: async (db, r) => reply(await endSubscription(db, r.tenantId, r.params[0]!, r.body), (s) => subscriptionView(s)) },

  { method: 'get', pattern: '/v1/entitlements/:subject/:feature', params: 2, handle: async (db, r) => {
    // `at` (RFC 3339) picks the billing period to answer for; default now.
    const at = r.query.get('at');
    const atMs = at === null ? Date.now() : Date.parse(at);
    if (Number.isNaN(atMs)) return { status: 400, body: apiError('TG_QUERY_PARAM_INVALID', 'at must be an RFC 3339 time', 'at') };
    return reply(await checkEntitlement(db, r.tenantId, r.params[0]!, r.params[1]!, new Date(atMs)), (access) => access);
  } },
];

export function registerCatalogRoutes(app: TemplatedApp, deps: CatalogRouteDeps): void {
  const routes = ROUTES.map((route) => ({ ...route, handle: (request: Request) => route.handle(deps.db, request) }));
  registerJsonRoutes(app, routes, { resolveTenant: deps.resolveTenant, log: deps.log, name: 'catalog', bodyBytesMax: BODY_BYTES_MAX, send: sendJsonReply });
}

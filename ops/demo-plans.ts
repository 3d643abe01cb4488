/**
 * Plans for `tollgate dev --demo`, created through the node's public catalog
 * API (rater/catalog-api, POST /v1/plans …) exactly as a user would: a
 * `starter` plan with graduated token prices and a soft monthly token limit,
 * and a `scale` plan with lower unit prices; three demo customers subscribe
 * from the start of the month, the rest stay on the meters' own prices. So
 * the dashboards' revenue per plan and quota panels have something to show.
 * Idempotent: an existing plan or subscription is left as it is.
 */
import { DEMO } from '../cli/demo-data.ts';
import { DEMO_REQUESTS_METER } from './demo-world.ts';

export const DEMO_PLANS = [
  {
    slug: 'starter', name: 'Starter',
    charges: [
      { name: 'Tokens', meter: DEMO.meter, price: { model: 'graduated', params: { tiers: [{ upTo: '100000', unitPriceMicros: '25' }, { upTo: null, unitPriceMicros: '18' }] } } },
      { name: 'Requests', meter: DEMO_REQUESTS_METER.slug, price: { model: 'per_unit', params: { unitPriceMicros: '100' } } },
    ],
    // Soft: crossing it is recorded (quota.exceeded, the quota panels) but never cuts access in the demo.
    entitlements: [{ meter: DEMO.meter, limit: '1000000', enforcement: 'soft' }],
    subscribers: ['cust_umbrella'],
  },
  {
    slug: 'scale', name: 'Scale',
    charges: [
      { name: 'Tokens', meter: DEMO.meter, price: { model: 'per_unit', params: { unitPriceMicros: '15' } } },
      { name: 'Requests', meter: DEMO_REQUESTS_METER.slug, price: { model: 'per_unit', params: { unitPriceMicros: '60' } } },
    ],
    entitlements: [],
    subscribers: ['cust_acme', 'cust_globex'],
  },
] as const;

export interface DemoPlansResult {
  plansCreated: string[];
  subscriptionsCreated: string[];
}

async function call(baseUrl: string, headers: Record<string, string>, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method, headers: { ...headers, 'Content-Type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body), signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) as unknown : null };
}

function expectStatus(result: { status: number; body: unknown }, expected: number, what: string): void {
  if (result.status !== expected) throw new Error(`demo plans: ${what} answered ${result.status}: ${JSON.stringify(result.body)}`);
}

export async function seedDemoPlans(baseUrl: string, options: { apiKey?: string; now?: Date } = {}): Promise<DemoPlansResult> {
  const headers: Record<string, string> = options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {};
  const now = options.now ?? new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const result: DemoPlansResult = { plansCreated: [], subscriptionsCreated: [] };
  for (const plan of DEMO_PLANS) {
    const existing = await call(baseUrl, headers, 'GET', `/v1/plans/${plan.slug}`);
    if (existing.status === 404) {
      expectStatus(await call(baseUrl, headers, 'POST', '/v1/plans', { slug: plan.slug, name: plan.name }), 201, `POST /v1/plans ${plan.slug}`);
      expectStatus(await call(baseUrl, headers, 'POST', `/v1/plans/${plan.slug}/versions`, { currency: DEMO.currency, charges: plan.charges, entitlements: plan.entitlements }),
        201, `POST /v1/plans/${plan.slug}/versions`);
      result.plansCreated.push(plan.slug);
    } else expectStatus(existing, 200, `GET /v1/plans/${plan.slug}`);
    for (const subject of plan.subscribers) {
      const subscriptions = await call(baseUrl, headers, 'GET', `/v1/subscriptions?subject=${subject}`);
      expectStatus(subscriptions, 200, `GET /v1/subscriptions?subject=${subject}`);
      if (((subscriptions.body as { subscriptions?: unknown[] }).subscriptions ?? []).length > 0) continue;
      expectStatus(await call(baseUrl, headers, 'POST', '/v1/subscriptions', { subject, plan: plan.slug, version: 1, startsAt: monthStart }), 201, `POST /v1/subscriptions ${subject}`);
      result.subscriptionsCreated.push(subject);
    }
  }
  return result;
}

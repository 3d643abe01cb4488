/**
 * Entitlements: customer-level limits (overriding the plan version's) and the
 * access check `GET /v1/entitlements/{subject}/{feature}` — the feature is a
 * meter slug; usage is the rater's checkpointed running quantity of the
 * current billing period (UTC month), so it trails ingest by one batch.
 */
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import type { EntitlementAccess } from '../../schemas/api.ts';
import { activeSubscription } from '../catalog.ts';
import { formatQuantity, toQuantityNanos } from '../pricing/quantity.ts';
import { billingPeriodOf } from '../usage-state.ts';
import { usageQuantityNanos } from '../usage-state-store.ts';
import { fail, type Outcome } from './fields.ts';
import { customerRowBySubject } from './customers.ts';
import { meterBySlug } from './meters.ts';
import { readEntitlement, type EntitlementRow } from './plans.ts';

export function entitlementView(e: EntitlementRow, meter: string): Record<string, unknown> {
  return { id: e.id, meter, limit: e.limitQuantity, enforcement: e.enforcement, customerId: e.customerId, planVersionId: e.planVersionId };
}

/** `{ meter, limit, enforcement }` on one customer: replaces an earlier customer-level limit of the meter. */
export async function setCustomerEntitlement(db: Database, tenantId: string, subject: string, body: unknown): Promise<Outcome<EntitlementRow>> {
  const customer = await customerRowBySubject(db, tenantId, subject);
  if (!customer.ok) return customer;
  const limit = await readEntitlement(db, tenantId, body, '');
  if (!limit.ok) return limit;
  const [row] = await db.insert(schema.entitlements).values({ ...limit.value, tenantId, customerId: customer.value.id })
    .onConflictDoUpdate({ target: [schema.entitlements.customerId, schema.entitlements.meterId], targetWhere: sql`${schema.entitlements.customerId} IS NOT NULL`,
      set: { limitQuantity: limit.value.limitQuantity, enforcement: limit.value.enforcement } }).returning();
  return { ok: true, value: row! };
}

export async function checkEntitlement(db: Database, tenantId: string, subject: string, feature: string, now = new Date()): Promise<Outcome<EntitlementAccess>> {
  const customer = await customerRowBySubject(db, tenantId, subject, 'subject');
  if (!customer.ok) return customer;
  const meter = await meterBySlug(db, tenantId, feature, 'feature');
  if (!meter.ok) return meter;
  const period = billingPeriodOf(now.getTime());
  const [own] = await db.select().from(schema.entitlements)
    .where(and(eq(schema.entitlements.customerId, customer.value.id), eq(schema.entitlements.meterId, meter.value.id)));
  let limit = own;
  if (!limit) {
    const subscriptions = await db.select().from(schema.subscriptions).where(eq(schema.subscriptions.customerId, customer.value.id));
    const active = activeSubscription(subscriptions.map((s) => ({ ...s, startsAtMs: s.startsAt.getTime(), endsAtMs: s.endsAt?.getTime() ?? null })), now.getTime());
    if (active) {
      [limit] = await db.select().from(schema.entitlements)
        .where(and(eq(schema.entitlements.planVersionId, active.planVersionId), eq(schema.entitlements.meterId, meter.value.id)));
    }
  }
  const usageNanos = await usageQuantityNanos(db, customer.value.id, meter.value.id, period.start);
  const base = { subject, feature, usage: formatQuantity(usageNanos), periodStart: period.start, periodEnd: period.end };
  if (!limit) return { ok: true, value: { ...base, hasAccess: true, enforcement: null, limit: null, remaining: null } };
  const limitNanos = toQuantityNanos(limit.limitQuantity);
  if (!limitNanos.ok) return fail(500, 'TG_INTERNAL', `stored limit ${limit.limitQuantity} is not a quantity`);
  const remainingNanos = limitNanos.nanos > usageNanos ? limitNanos.nanos - usageNanos : 0n;
  return { ok: true, value: { ...base, enforcement: limit.enforcement, limit: formatQuantity(limitNanos.nanos), remaining: formatQuantity(remainingNanos),
    hasAccess: limit.enforcement === 'soft' || remainingNanos > 0n } };
}

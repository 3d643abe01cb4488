/**
 * Subscriptions: a customer on a plan version from `startsAt` until `endsAt`.
 * Creating one locks the version (it can no longer change); a customer's
 * subscriptions never overlap, and the version's currency is the customer's.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { fail, FieldReader, notFound, type Outcome } from './fields.ts';
import { customerRowBySubject } from './customers.ts';
import { planBySlug } from './plans.ts';

export type SubscriptionRow = typeof schema.subscriptions.$inferSelect;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function subscriptionView(s: SubscriptionRow, extra: { subject?: string; plan?: string; version?: number } = {}): Record<string, unknown> {
  return { id: s.id, customerId: s.customerId, ...extra, planVersionId: s.planVersionId, startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt?.toISOString() ?? null, createdAt: s.createdAt.toISOString() };
}

const overlaps = (a: { startsAt: Date; endsAt: Date | null }, b: { startsAt: Date; endsAt: Date | null }): boolean =>
  (a.endsAt === null || b.startsAt < a.endsAt) && (b.endsAt === null || a.startsAt < b.endsAt);

/** `{ subject, plan, version, startsAt, endsAt? }`. */
export async function createSubscription(db: Database, tenantId: string, body: unknown): Promise<Outcome<SubscriptionRow>> {
  const reader = new FieldReader(body, ['subject', 'plan', 'version', 'startsAt', 'endsAt']);
  const subject = reader.text('subject');
  const planSlug = reader.text('plan');
  const versionNumber = reader.integer('version', { min: 1, max: 1_000_000 });
  const startsAt = reader.time('startsAt');
  const endsAt = reader.time('endsAt', true);
  if (startsAt && endsAt && endsAt <= startsAt) reader.fail('endsAt', 'endsAt must be after startsAt');
  const input = reader.outcome(() => ({ subject: subject!, planSlug: planSlug!, versionNumber: versionNumber!, startsAt: startsAt!, endsAt: endsAt ?? null }));
  if (!input.ok) return input;
  const customer = await customerRowBySubject(db, tenantId, input.value.subject, 'subject');
  if (!customer.ok) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `no customer ${input.value.subject}`, 'subject');
  const plan = await planBySlug(db, tenantId, input.value.planSlug);
  if (!plan.ok) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `no plan ${input.value.planSlug}`, 'plan');
  return db.transaction(async (tx): Promise<Outcome<SubscriptionRow>> => {
    // The customer row lock serializes the overlap check; the version row lock orders this against version edits.
    await tx.select({ id: schema.customers.id }).from(schema.customers).where(eq(schema.customers.id, customer.value.id)).for('update');
    const [version] = await tx.select().from(schema.planVersions)
      .where(and(eq(schema.planVersions.planId, plan.value.id), eq(schema.planVersions.version, input.value.versionNumber))).for('update');
    if (!version) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `plan ${input.value.planSlug} has no version ${input.value.versionNumber}`, 'version');
    if (version.currency !== customer.value.currency) {
      return fail(409, 'TG_CURRENCY_MISMATCH', `the plan version is in ${version.currency}, the customer pays in ${customer.value.currency}`, 'version');
    }
    const existing = await tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.customerId, customer.value.id));
    const clash = existing.find((s) => overlaps(s, input.value));
    if (clash) return fail(409, 'TG_SUBSCRIPTION_OVERLAP', `subscription ${clash.id} covers ${clash.startsAt.toISOString()} … ${clash.endsAt?.toISOString() ?? 'open'}`, 'startsAt');
    await tx.update(schema.planVersions).set({ lockedAt: sql`now()` }).where(and(eq(schema.planVersions.id, version.id), isNull(schema.planVersions.lockedAt)));
    const [row] = await tx.insert(schema.subscriptions).values({ tenantId, customerId: customer.value.id, planVersionId: version.id,
      startsAt: input.value.startsAt, endsAt: input.value.endsAt }).returning();
    return { ok: true, value: row! };
  });
}

/** Subscriptions with the subject, plan slug and version number they name. */
export async function listSubscriptions(db: Database, tenantId: string, subject: string | null): Promise<Outcome<Record<string, unknown>[]>> {
  let where = eq(schema.subscriptions.tenantId, tenantId);
  if (subject !== null) {
    const customer = await customerRowBySubject(db, tenantId, subject, 'subject');
    if (!customer.ok) return customer;
    where = eq(schema.subscriptions.customerId, customer.value.id);
  }
  const rows = await db.select({ subscription: schema.subscriptions, subject: schema.customers.subject, plan: schema.plans.slug, version: schema.planVersions.version })
    .from(schema.subscriptions)
    .innerJoin(schema.customers, eq(schema.customers.id, schema.subscriptions.customerId))
    .innerJoin(schema.planVersions, eq(schema.planVersions.id, schema.subscriptions.planVersionId))
    .innerJoin(schema.plans, eq(schema.plans.id, schema.planVersions.planId))
    .where(where).orderBy(schema.subscriptions.startsAt);
  return { ok: true, value: rows.map((r) => subscriptionView(r.subscription, { subject: r.subject, plan: r.plan, version: r.version })) };
}

/** `{ endsAt }`: ends (or shortens) a subscription; the past cannot be rewritten to before its start. */
export async function endSubscription(db: Database, tenantId: string, id: string, body: unknown): Promise<Outcome<SubscriptionRow>> {
  const reader = new FieldReader(body, ['endsAt']);
  const endsAt = reader.time('endsAt');
  const input = reader.outcome(() => endsAt!);
  if (!input.ok) return input;
  if (!UUID.test(id)) return notFound(`subscription ${id}`);
  const [current] = await db.select().from(schema.subscriptions).where(and(eq(schema.subscriptions.tenantId, tenantId), eq(schema.subscriptions.id, id)));
  if (!current) return notFound(`subscription ${id}`);
  if (input.value <= current.startsAt) return fail(400, 'TG_CATALOG_FIELD_INVALID', 'endsAt must be after startsAt', 'endsAt');
  if (current.endsAt !== null && input.value > current.endsAt) {
    return fail(409, 'TG_SUBSCRIPTION_OVERLAP', 'a subscription can be shortened, not extended (a later one may follow it); create a new one', 'endsAt');
  }
  const [row] = await db.update(schema.subscriptions).set({ endsAt: input.value }).where(eq(schema.subscriptions.id, id)).returning();
  return { ok: true, value: row! };
}

/**
 * Plans, versions, charges and plan-level entitlements. A version is created
 * with its charges and limits at once and may be edited (charges and limits
 * added or removed) until a subscription uses it; then it is locked for good
 * (`TG_PLAN_VERSION_LOCKED`) and a price change is a new version.
 */
import { and, desc, eq } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import type { Tx } from '../../ledger/index.ts';
import type { ApiError } from '../../schemas/errors.ts';
import type { PriceDocument } from '../../schemas/postgres/schema.ts';
import { parsePeriodCharge, parsePrice, type ParamError } from '../pricing/index.ts';
import { PRICEABLE_AGGREGATIONS } from '../rate-events.ts';
import { fail, FieldReader, notFound, type Outcome } from './fields.ts';
import { meterBySlug } from './meters.ts';

export type PlanRow = typeof schema.plans.$inferSelect;
export type PlanVersionRow = typeof schema.planVersions.$inferSelect;
export type PlanChargeRow = typeof schema.planCharges.$inferSelect;
export type EntitlementRow = typeof schema.entitlements.$inferSelect;
const CHARGES_MAX = 50;

export interface PlanVersionDetail {
  plan: PlanRow;
  version: PlanVersionRow;
  charges: (PlanChargeRow & { meterSlug: string | null })[];
  entitlements: (EntitlementRow & { meterSlug: string })[];
}

export function planVersionView(d: PlanVersionDetail): Record<string, unknown> {
  return {
    id: d.version.id, plan: d.plan.slug, version: d.version.version, currency: d.version.currency, billingPeriod: d.version.billingPeriod,
    locked: d.version.lockedAt !== null, lockedAt: d.version.lockedAt?.toISOString() ?? null,
    charges: d.charges.map((c) => ({ id: c.id, kind: c.kind, name: c.name, meter: c.meterSlug, price: c.price })),
    entitlements: d.entitlements.map((e) => ({ id: e.id, meter: e.meterSlug, limit: e.limitQuantity, enforcement: e.enforcement })),
  };
}

export function planView(p: PlanRow, versions: PlanVersionRow[]): Record<string, unknown> {
  return { id: p.id, slug: p.slug, name: p.name, createdAt: p.createdAt.toISOString(),
    versions: versions.map((v) => ({ id: v.id, version: v.version, currency: v.currency, locked: v.lockedAt !== null })) };
}

export async function createPlan(db: Database, tenantId: string, body: unknown): Promise<Outcome<PlanRow>> {
  const reader = new FieldReader(body, ['slug', 'name']);
  const slug = reader.slug('slug');
  const name = reader.text('name');
  const input = reader.outcome(() => ({ tenantId, slug: slug!, name: name! }));
  if (!input.ok) return input;
  const [row] = await db.insert(schema.plans).values(input.value).onConflictDoNothing().returning();
  return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', `a plan with slug ${input.value.slug} exists`, 'slug');
}

export async function listPlans(db: Database, tenantId: string): Promise<Record<string, unknown>[]> {
  const plans = await db.select().from(schema.plans).where(eq(schema.plans.tenantId, tenantId)).orderBy(schema.plans.slug);
  const versions = await db.select().from(schema.planVersions).where(eq(schema.planVersions.tenantId, tenantId)).orderBy(schema.planVersions.version);
  return plans.map((p) => planView(p, versions.filter((v) => v.planId === p.id)));
}

export async function planBySlug(db: Database | Tx, tenantId: string, slug: string): Promise<Outcome<PlanRow>> {
  const [row] = await db.select().from(schema.plans).where(and(eq(schema.plans.tenantId, tenantId), eq(schema.plans.slug, slug)));
  return row ? { ok: true, value: row } : notFound(`plan ${slug}`);
}

function priceErrors(errors: ParamError[], prefix: string): Outcome<never> {
  const details: ApiError[] = errors.map((e) => ({ code: e.code, message: e.message, field: e.field === '' ? prefix : `${prefix}.${e.field}` }));
  return { ok: false, status: 400, error: details[0]!, details };
}

interface ChargeInput { kind: 'usage' | 'period'; meterId: string | null; name: string; price: PriceDocument }

/** One charge: with `meter`, a usage price (parsePrice) on a priceable meter; without, a period charge (parsePeriodCharge). */
async function readCharge(db: Database | Tx, tenantId: string, json: unknown, prefix: string): Promise<Outcome<ChargeInput>> {
  const reader = new FieldReader(json, ['name', 'meter', 'price']);
  const name = reader.text('name');
  const meterSlug = reader.text('meter', { optional: true });
  if (!reader.has('price')) reader.fail('price', 'price is required: { "model": …, "params": { … } }');
  if (reader.error) return { ok: false, status: 400, error: { ...reader.error, field: `${prefix}.${reader.error.field ?? ''}`.replace(/\.$/, '') } };
  const price = reader.body.price as PriceDocument;
  if (meterSlug === undefined) {
    const parsed = parsePeriodCharge(price);
    if (!parsed.ok) return priceErrors(parsed.errors, `${prefix}.price`);
    return { ok: true, value: { kind: 'period', meterId: null, name: name!, price } };
  }
  const meter = await meterBySlug(db, tenantId, meterSlug, `${prefix}.meter`);
  if (!meter.ok) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `no meter ${meterSlug}`, `${prefix}.meter`);
  const parsed = parsePrice(price);
  if (!parsed.ok) return priceErrors(parsed.errors, `${prefix}.price`);
  const aggregation = meter.value.aggregation;
  if (!PRICEABLE_AGGREGATIONS.has(aggregation) || (parsed.params.scope === 'transaction' && aggregation !== 'SUM')) {
    return fail(400, 'TG_METER_NOT_PRICEABLE', `meter ${meterSlug} aggregates ${aggregation}: ${parsed.params.model} cannot price it per event`, `${prefix}.meter`);
  }
  return { ok: true, value: { kind: 'usage', meterId: meter.value.id, name: name!, price } };
}

interface EntitlementInput { meterId: string; limitQuantity: string; enforcement: 'hard' | 'soft' }

export async function readEntitlement(db: Database | Tx, tenantId: string, json: unknown, prefix: string): Promise<Outcome<EntitlementInput>> {
  const reader = new FieldReader(json, ['meter', 'limit', 'enforcement']);
  const meterSlug = reader.text('meter');
  const limit = reader.quantity('limit');
  const enforcement = reader.oneOf('enforcement', ['hard', 'soft'] as const, 'hard');
  if (reader.error) return { ok: false, status: 400, error: { ...reader.error, field: `${prefix}${prefix && reader.error.field ? '.' : ''}${reader.error.field ?? ''}` } };
  const meter = await meterBySlug(db, tenantId, meterSlug!);
  if (!meter.ok) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `no meter ${meterSlug}`, `${prefix}${prefix ? '.' : ''}meter`);
  return { ok: true, value: { meterId: meter.value.id, limitQuantity: limit!, enforcement: enforcement! } };
}

function readList(reader: FieldReader, field: string): unknown[] | undefined {
  const value = reader.body[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > CHARGES_MAX) return reader.fail(field, `${field} must be a list of at most ${CHARGES_MAX}`);
  return value;
}

/** `{ currency, charges: [...], entitlements: [...] }` → version N+1 of the plan. */
export async function createPlanVersion(db: Database, tenantId: string, planSlug: string, body: unknown): Promise<Outcome<PlanVersionDetail>> {
  const reader = new FieldReader(body, ['currency', 'charges', 'entitlements']);
  const currency = reader.currency('currency');
  const chargeJson = readList(reader, 'charges');
  const entitlementJson = readList(reader, 'entitlements');
  const head = reader.outcome(() => null);
  if (!head.ok) return head;
  const plan = await planBySlug(db, tenantId, planSlug);
  if (!plan.ok) return plan;
  const charges: ChargeInput[] = [];
  for (const [i, json] of chargeJson!.entries()) {
    const charge = await readCharge(db, tenantId, json, `charges[${i}]`);
    if (!charge.ok) return charge;
    if (charge.value.meterId && charges.some((c) => c.meterId === charge.value.meterId)) {
      return fail(400, 'TG_CATALOG_DUPLICATE', 'a meter is priced by one charge per version', `charges[${i}].meter`);
    }
    charges.push(charge.value);
  }
  const limits: EntitlementInput[] = [];
  for (const [i, json] of entitlementJson!.entries()) {
    const limit = await readEntitlement(db, tenantId, json, `entitlements[${i}]`);
    if (!limit.ok) return limit;
    if (limits.some((l) => l.meterId === limit.value.meterId)) return fail(400, 'TG_CATALOG_DUPLICATE', 'one limit per meter', `entitlements[${i}].meter`);
    limits.push(limit.value);
  }
  const versionId = await db.transaction(async (tx) => {
    // Serializes version numbering per plan.
    await tx.select({ id: schema.plans.id }).from(schema.plans).where(eq(schema.plans.id, plan.value.id)).for('update');
    const [latest] = await tx.select({ version: schema.planVersions.version }).from(schema.planVersions)
      .where(eq(schema.planVersions.planId, plan.value.id)).orderBy(desc(schema.planVersions.version)).limit(1);
    const [version] = await tx.insert(schema.planVersions).values({ tenantId, planId: plan.value.id, version: (latest?.version ?? 0) + 1, currency: currency! }).returning();
    if (charges.length > 0) await tx.insert(schema.planCharges).values(charges.map((c) => ({ ...c, tenantId, planVersionId: version!.id })));
    if (limits.length > 0) await tx.insert(schema.entitlements).values(limits.map((l) => ({ ...l, tenantId, planVersionId: version!.id })));
    return version!.id;
  });
  return planVersionDetail(db, tenantId, planSlug, versionId);
}

export async function planVersionDetail(db: Database, tenantId: string, planSlug: string, versionRef: number | string): Promise<Outcome<PlanVersionDetail>> {
  const plan = await planBySlug(db, tenantId, planSlug);
  if (!plan.ok) return plan;
  const [version] = await db.select().from(schema.planVersions).where(and(eq(schema.planVersions.planId, plan.value.id),
    typeof versionRef === 'number' ? eq(schema.planVersions.version, versionRef) : eq(schema.planVersions.id, versionRef)));
  if (!version) return notFound(`version ${versionRef} of plan ${planSlug}`);
  const meters = new Map((await db.select({ id: schema.meters.id, slug: schema.meters.slug }).from(schema.meters)
    .where(eq(schema.meters.tenantId, tenantId))).map((m) => [m.id, m.slug]));
  const charges = await db.select().from(schema.planCharges).where(eq(schema.planCharges.planVersionId, version.id)).orderBy(schema.planCharges.createdAt);
  const entitlements = await db.select().from(schema.entitlements).where(eq(schema.entitlements.planVersionId, version.id));
  return { ok: true, value: {
    plan: plan.value, version,
    charges: charges.map((c) => ({ ...c, meterSlug: c.meterId ? meters.get(c.meterId) ?? null : null })),
    entitlements: entitlements.map((e) => ({ ...e, meterSlug: meters.get(e.meterId) ?? '' })),
  } };
}

/**
 * Runs an edit of a version's charges or limits inside a transaction holding
 * the version row locked, so it cannot interleave with the subscription that
 * locks the version.
 */
async function editUnlockedVersion(db: Database, tenantId: string, planSlug: string, versionNumber: number,
  edit: (tx: Tx, versionId: string) => Promise<Outcome<unknown>>): Promise<Outcome<PlanVersionDetail>> {
  const plan = await planBySlug(db, tenantId, planSlug);
  if (!plan.ok) return plan;
  const outcome = await db.transaction(async (tx): Promise<Outcome<string>> => {
    const [version] = await tx.select().from(schema.planVersions)
      .where(and(eq(schema.planVersions.planId, plan.value.id), eq(schema.planVersions.version, versionNumber))).for('update');
    if (!version) return notFound(`version ${versionNumber} of plan ${planSlug}`);
    if (version.lockedAt) return fail(409, 'TG_PLAN_VERSION_LOCKED', `version ${versionNumber} of plan ${planSlug} is used by a subscription since ${version.lockedAt.toISOString()}; create a new version`);
    const edited = await edit(tx, version.id);
    return edited.ok ? { ok: true, value: version.id } : edited;
  });
  return outcome.ok ? planVersionDetail(db, tenantId, planSlug, outcome.value) : outcome;
}

export function addCharge(db: Database, tenantId: string, planSlug: string, versionNumber: number, body: unknown): Promise<Outcome<PlanVersionDetail>> {
  return editUnlockedVersion(db, tenantId, planSlug, versionNumber, async (tx, versionId) => {
    const charge = await readCharge(tx, tenantId, body, '');
    if (!charge.ok) return charge;
    const [row] = await tx.insert(schema.planCharges).values({ ...charge.value, tenantId, planVersionId: versionId }).onConflictDoNothing().returning();
    return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', 'the meter already has a charge on this version', 'meter');
  });
}

export function removeCharge(db: Database, tenantId: string, planSlug: string, versionNumber: number, chargeId: string): Promise<Outcome<PlanVersionDetail>> {
  return editUnlockedVersion(db, tenantId, planSlug, versionNumber, async (tx, versionId) => {
    if (!/^[0-9a-f-]{36}$/.test(chargeId)) return notFound(`charge ${chargeId}`);
    const deleted = await tx.delete(schema.planCharges).where(and(eq(schema.planCharges.id, chargeId), eq(schema.planCharges.planVersionId, versionId))).returning();
    return deleted.length > 0 ? { ok: true, value: null } : notFound(`charge ${chargeId} on this version`);
  });
}

export function addPlanEntitlement(db: Database, tenantId: string, planSlug: string, versionNumber: number, body: unknown): Promise<Outcome<PlanVersionDetail>> {
  return editUnlockedVersion(db, tenantId, planSlug, versionNumber, async (tx, versionId) => {
    const limit = await readEntitlement(tx, tenantId, body, '');
    if (!limit.ok) return limit;
    const [row] = await tx.insert(schema.entitlements).values({ ...limit.value, tenantId, planVersionId: versionId }).onConflictDoNothing().returning();
    return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', 'the meter already has a limit on this version', 'meter');
  });
}

/**
 * Discounts and coupons: validated and stored here, applied by the invoicer
 * (order documented in rater/README.md). A coupon redeems a `coupon`-trigger
 * discount for one customer from the month of redemption.
 */
import { and, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { fail, FieldReader, notFound, type Outcome } from './fields.ts';
import { customerRowBySubject } from './customers.ts';

export type DiscountRow = typeof schema.discounts.$inferSelect;
export type CouponRow = typeof schema.coupons.$inferSelect;
export type RedemptionRow = typeof schema.couponRedemptions.$inferSelect;
const CUSTOMER_TYPE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const COUPON_CODE = /^[A-Za-z0-9_-]{3,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function discountView(d: DiscountRow): Record<string, unknown> {
  return { id: d.id, name: d.name, kind: d.kind, trigger: d.trigger, percentBasisPoints: d.percentBasisPoints,
    amountMicros: d.amountMicros?.toString() ?? null, currency: d.currency, customerType: d.customerType,
    minSubtotalMicros: d.minSubtotalMicros?.toString() ?? null, archived: d.archivedAt !== null, createdAt: d.createdAt.toISOString() };
}

export function couponView(c: CouponRow): Record<string, unknown> {
  return { id: c.id, code: c.code, discountId: c.discountId, duration: c.duration, durationPeriods: c.durationPeriods,
    maxRedemptions: c.maxRedemptions, redemptionCount: c.redemptionCount, redeemBy: c.redeemBy?.toISOString() ?? null,
    archived: c.archivedAt !== null, createdAt: c.createdAt.toISOString() };
}

export function redemptionView(r: RedemptionRow): Record<string, unknown> {
  return { id: r.id, couponId: r.couponId, discountId: r.discountId, customerId: r.customerId, firstPeriod: r.firstPeriod,
    periodCount: r.periodCount, redeemedAt: r.redeemedAt.toISOString() };
}

export async function createDiscount(db: Database, tenantId: string, body: unknown): Promise<Outcome<DiscountRow>> {
  const reader = new FieldReader(body, ['name', 'kind', 'trigger', 'percentBasisPoints', 'amountMicros', 'currency', 'customerType', 'minSubtotalMicros']);
  const name = reader.text('name');
  const kind = reader.oneOf('kind', ['percentage', 'fixed'] as const);
  const trigger = reader.oneOf('trigger', ['automatic', 'coupon'] as const);
  const percentBasisPoints = kind === 'percentage' ? reader.integer('percentBasisPoints', { min: 1, max: 10_000 }) : undefined;
  if (kind === 'fixed' && reader.has('percentBasisPoints')) reader.fail('percentBasisPoints', 'a fixed discount has amountMicros, not a percentage');
  const amountMicros = kind === 'fixed' ? reader.micros('amountMicros', { positive: true }) : undefined;
  if (kind === 'percentage' && reader.has('amountMicros')) reader.fail('amountMicros', 'a percentage discount has percentBasisPoints, not an amount');
  const minSubtotalMicros = reader.micros('minSubtotalMicros', { optional: true });
  // An amount (fixed, or a threshold) means nothing without its currency.
  const currency = reader.currency('currency', kind !== 'fixed' && minSubtotalMicros === undefined);
  const customerType = reader.text('customerType', { optional: true, pattern: CUSTOMER_TYPE, describe: 'a lower-case customer type such as business' });
  if (trigger === 'automatic' && customerType === undefined && minSubtotalMicros === undefined) {
    reader.fail('trigger', 'an automatic discount needs a condition (customerType or minSubtotalMicros); otherwise it is a price change');
  }
  const input = reader.outcome(() => ({
    tenantId, name: name!, kind: kind!, trigger: trigger!, percentBasisPoints: percentBasisPoints ?? null, amountMicros: amountMicros ?? null,
    currency: currency ?? null, customerType: customerType ?? null, minSubtotalMicros: minSubtotalMicros ?? null,
  }));
  if (!input.ok) return input;
  const [row] = await db.insert(schema.discounts).values(input.value).returning();
  return { ok: true, value: row! };
}

export async function listDiscounts(db: Database, tenantId: string): Promise<DiscountRow[]> {
  return db.select().from(schema.discounts).where(eq(schema.discounts.tenantId, tenantId)).orderBy(schema.discounts.createdAt);
}

export async function discountById(db: Database, tenantId: string, id: string, field?: string): Promise<Outcome<DiscountRow>> {
  if (!UUID.test(id)) return notFound(`discount ${id}`, field);
  const [row] = await db.select().from(schema.discounts).where(and(eq(schema.discounts.tenantId, tenantId), eq(schema.discounts.id, id)));
  return row ? { ok: true, value: row } : notFound(`discount ${id}`, field);
}

export async function archiveDiscount(db: Database, tenantId: string, id: string): Promise<Outcome<DiscountRow>> {
  if (!UUID.test(id)) return notFound(`discount ${id}`);
  const [row] = await db.update(schema.discounts).set({ archivedAt: sql`coalesce(${schema.discounts.archivedAt}, now())` })
    .where(and(eq(schema.discounts.tenantId, tenantId), eq(schema.discounts.id, id))).returning();
  return row ? { ok: true, value: row } : notFound(`discount ${id}`);
}

export async function createCoupon(db: Database, tenantId: string, body: unknown): Promise<Outcome<CouponRow>> {
  const reader = new FieldReader(body, ['code', 'discountId', 'duration', 'durationPeriods', 'maxRedemptions', 'redeemBy']);
  const code = reader.text('code', { pattern: COUPON_CODE, describe: '3 to 64 letters, digits, _ or -' });
  const discountId = reader.text('discountId');
  const duration = reader.oneOf('duration', ['once', 'repeating', 'forever'] as const);
  const durationPeriods = reader.integer('durationPeriods', { min: 1, max: 120, optional: duration !== 'repeating' });
  if (duration !== 'repeating' && durationPeriods !== undefined) reader.fail('durationPeriods', 'only a repeating coupon has durationPeriods');
  const maxRedemptions = reader.integer('maxRedemptions', { min: 1, max: 1_000_000_000, optional: true });
  const redeemBy = reader.time('redeemBy', true);
  const input = reader.outcome(() => ({ tenantId, code: code!.toUpperCase(), discountId: discountId!, duration: duration!,
    durationPeriods: durationPeriods ?? null, maxRedemptions: maxRedemptions ?? null, redeemBy: redeemBy ?? null }));
  if (!input.ok) return input;
  const discount = await discountById(db, tenantId, input.value.discountId, 'discountId');
  if (!discount.ok) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', `no discount ${input.value.discountId}`, 'discountId');
  if (discount.value.trigger !== 'coupon') return fail(400, 'TG_CATALOG_FIELD_INVALID', 'a coupon redeems a discount whose trigger is coupon', 'discountId');
  if (discount.value.archivedAt) return fail(400, 'TG_CATALOG_REFERENCE_INVALID', 'the discount is archived', 'discountId');
  const [row] = await db.insert(schema.coupons).values(input.value).onConflictDoNothing().returning();
  return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', `a coupon with code ${input.value.code} exists`, 'code');
}

export async function listCoupons(db: Database, tenantId: string): Promise<CouponRow[]> {
  return db.select().from(schema.coupons).where(eq(schema.coupons.tenantId, tenantId)).orderBy(schema.coupons.code);
}

export async function couponByCode(db: Database, tenantId: string, code: string): Promise<Outcome<CouponRow>> {
  const [row] = await db.select().from(schema.coupons).where(and(eq(schema.coupons.tenantId, tenantId), eq(schema.coupons.code, code.toUpperCase())));
  return row ? { ok: true, value: row } : fail(404, 'TG_COUPON_NOT_FOUND', `no coupon ${code}`, 'code');
}

/** The billing period (`YYYY-MM`, UTC) an instant falls in. */
export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/**
 * `{ code, subject }`: checks the coupon (not archived, not past redeemBy,
 * under its limit, discount currency = customer currency) and records the
 * redemption, counting it under a row lock so the limit holds under
 * concurrent redemptions.
 */
export async function redeemCoupon(db: Database, tenantId: string, body: unknown, now = new Date()): Promise<Outcome<RedemptionRow>> {
  const reader = new FieldReader(body, ['code', 'subject']);
  const code = reader.text('code');
  const subject = reader.text('subject');
  const input = reader.outcome(() => ({ code: code!.toUpperCase(), subject: subject! }));
  if (!input.ok) return input;
  const customer = await customerRowBySubject(db, tenantId, input.value.subject, 'subject');
  if (!customer.ok) return customer;
  return db.transaction(async (tx): Promise<Outcome<RedemptionRow>> => {
    const [coupon] = await tx.select().from(schema.coupons)
      .where(and(eq(schema.coupons.tenantId, tenantId), eq(schema.coupons.code, input.value.code))).for('update');
    if (!coupon || coupon.archivedAt) return fail(404, 'TG_COUPON_NOT_FOUND', `no active coupon ${input.value.code}`, 'code');
    if (coupon.redeemBy && now >= coupon.redeemBy) return fail(409, 'TG_COUPON_EXPIRED', `coupon ${coupon.code} could be redeemed until ${coupon.redeemBy.toISOString()}`, 'code');
    if (coupon.maxRedemptions !== null && coupon.redemptionCount >= coupon.maxRedemptions) {
      return fail(409, 'TG_COUPON_EXHAUSTED', `coupon ${coupon.code} was redeemed ${coupon.redemptionCount} of ${coupon.maxRedemptions} times`, 'code');
    }
    const [discount] = await tx.select().from(schema.discounts).where(eq(schema.discounts.id, coupon.discountId));
    if (!discount || discount.archivedAt) return fail(404, 'TG_COUPON_NOT_FOUND', `the discount of coupon ${coupon.code} is archived`, 'code');
    if (discount.currency !== null && discount.currency !== customer.value.currency) {
      return fail(409, 'TG_CURRENCY_MISMATCH', `the discount is in ${discount.currency}, the customer pays in ${customer.value.currency}`, 'code');
    }
    const periodCount = coupon.duration === 'once' ? 1 : coupon.duration === 'repeating' ? coupon.durationPeriods : null;
    const [row] = await tx.insert(schema.couponRedemptions).values({ tenantId, couponId: coupon.id, discountId: discount.id,
      customerId: customer.value.id, firstPeriod: periodOf(now), periodCount, redeemedAt: now }).onConflictDoNothing().returning();
    if (!row) return fail(409, 'TG_COUPON_ALREADY_REDEEMED', `${input.value.subject} already redeemed ${coupon.code}`, 'code');
    await tx.update(schema.coupons).set({ redemptionCount: coupon.redemptionCount + 1 }).where(eq(schema.coupons.id, coupon.id));
    return { ok: true, value: row };
  });
}

export async function customerRedemptions(db: Database, tenantId: string, subject: string): Promise<Outcome<RedemptionRow[]>> {
  const customer = await customerRowBySubject(db, tenantId, subject);
  if (!customer.ok) return customer;
  return { ok: true, value: await db.select().from(schema.couponRedemptions).where(eq(schema.couponRedemptions.customerId, customer.value.id)) };
}

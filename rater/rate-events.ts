/**
 * Rating, as a pure function: events in, ClickHouse rows and wallet debits out.
 * The Piscina worker runs it on Kafka records; tests run it directly as the
 * batch re-rating that streaming totals must equal.
 */
import type { WireEvent } from '../schemas/event.ts';
import { activeSubscription, type Catalog, type CatalogCustomer, type CatalogEntitlement, type CatalogMeter } from './catalog.ts';
import { parsePrice, type Price } from './pricing/index.ts';
import { perUnit } from './pricing/per-unit.ts';
import { formatQuantity, toQuantityNanos } from './pricing/quantity.ts';
import { billingPeriodOf, usageStateKey, type UsageState } from './usage-state.ts';

export interface LocatedEvent {
  event: WireEvent;
  partition: number;
  offset: number;
}

export interface RawRow {
  tenant: string; subject: string; type: string; source: string; id: string;
  time: string; ingested_at: string; data: string; metered: boolean;
  kafka_partition: number; kafka_offset: number;
}

export interface RatedRow {
  tenant: string; subject: string; customer_id: string; meter: string; source: string; id: string;
  time: string; quantity: string; amount_micros: string; currency: string; price_model: string; price_id: string;
  kafka_partition: number; kafka_offset: number;
  /** The log epoch of the offset (see rater/checkpoints.ts): offsets compare only within one epoch. */
  kafka_epoch: string;
  /** ReplacingMergeTree version: the lowest offset wins, so the original of a duplicated event survives merges. */
  keep_rank: string;
}

/**
 * What one event costs a prepaid customer, kept per event so that an event
 * already rated in an earlier batch (a duplicate by `(tenant, source, id)`)
 * can be taken out before the wallet is debited.
 */
export interface PrepaidCharge {
  tenantId: string;
  subject: string;
  source: string;
  id: string;
  offset: number;
  customerId: string;
  currency: string;
  amountMicros: bigint;
}

export interface WalletDebit {
  tenantId: string;
  customerId: string;
  currency: string;
  amountMicros: bigint;
  eventCount: number;
}

export interface RatingSkip {
  id: string;
  source: string;
  reason: 'no_meter' | 'no_customer' | 'no_price' | 'bad_value' | 'unsupported_aggregation' | 'duplicate' | 'rated_earlier';
  detail: string;
}

/** An entitlement limit reached by an event: becomes one `quota.exceeded` (schemas/quota-events.ts). */
export interface QuotaCrossing {
  tenantId: string;
  subject: string;
  customerId: string;
  meterId: string;
  meterSlug: string;
  periodStart: string;
  periodEnd: string;
  /** Canonical decimal meter units. */
  limitQuantity: string;
  usageQuantity: string;
  enforcement: 'hard' | 'soft';
  event: { source: string; id: string; time: string };
}

export interface RatingResult {
  raw: RawRow[];
  rated: RatedRow[];
  charges: PrepaidCharge[];
  skips: RatingSkip[];
  /** Running quantities this batch changed (their new values). */
  stateChanges: UsageState;
  crossings: QuotaCrossing[];
}

export interface IndexedEntitlement {
  limitNanos: bigint;
  enforcement: 'hard' | 'soft';
}

type IndexedCharge = { chargeId: string; price: Price } | { chargeId: string; error: string };

export interface IndexedPlanVersion {
  id: string;
  currency: string;
  chargesByMeter: Map<string, IndexedCharge>;
  entitlementsByMeter: Map<string, IndexedEntitlement>;
}

export interface CatalogIndex {
  version: string;
  metersByType: Map<string, CatalogMeter[]>;
  customersBySubject: Map<string, CatalogCustomer>;
  planVersions: Map<string, IndexedPlanVersion>;
  /** customerId → meterId → customer-level limit. */
  customerEntitlements: Map<string, Map<string, IndexedEntitlement>>;
}

const key = (tenant: string, name: string): string => `${tenant}\u0000${name}`;

function indexEntitlements(entitlements: readonly CatalogEntitlement[]): Map<string, IndexedEntitlement> {
  const byMeter = new Map<string, IndexedEntitlement>();
  for (const e of entitlements) {
    const limit = toQuantityNanos(e.limitQuantity);
    // The catalog API validates limits; a bad stored one denies nothing rather than everything.
    if (limit.ok) byMeter.set(e.meterId, { limitNanos: limit.nanos, enforcement: e.enforcement });
  }
  return byMeter;
}

export function indexCatalog(catalog: Catalog): CatalogIndex {
  const metersByType = new Map<string, CatalogMeter[]>();
  for (const meter of catalog.meters) {
    const k = key(meter.tenantId, meter.eventType);
    metersByType.set(k, [...(metersByType.get(k) ?? []), meter]);
  }
  const customersBySubject = new Map(catalog.customers.map((c) => [key(c.tenantId, c.subject), c]));
  const planVersions = new Map<string, IndexedPlanVersion>();
  for (const version of catalog.planVersions ?? []) {
    const chargesByMeter = new Map<string, IndexedCharge>();
    for (const charge of version.charges) {
      // Parsed once per catalog version, so the hot path calls a bound price.
      const parsed = parsePrice(charge.price);
      chargesByMeter.set(charge.meterId, parsed.ok
        ? { chargeId: charge.id, price: parsed.params }
        : { chargeId: charge.id, error: parsed.errors.map((e) => `${e.field}: ${e.code}`).join(', ') });
    }
    planVersions.set(version.id, { id: version.id, currency: version.currency, chargesByMeter, entitlementsByMeter: indexEntitlements(version.entitlements) });
  }
  const customerEntitlements = new Map<string, Map<string, IndexedEntitlement>>();
  for (const customer of catalog.customers) {
    if (customer.entitlements?.length) customerEntitlements.set(customer.id, indexEntitlements(customer.entitlements));
  }
  return { version: catalog.version, metersByType, customersBySubject, planVersions, customerEntitlements };
}

/** Reads a dot path like `usage.tokens` out of event data. */
function valueAt(data: Record<string, unknown>, path: string): unknown {
  let current: unknown = data;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Every filter must match: the property, as a string, is one of the listed values. */
function matchesFilters(meter: CatalogMeter, data: Record<string, unknown>): boolean {
  if (!meter.filters) return true;
  for (const path in meter.filters) {
    const value = valueAt(data, path);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
    if (!meter.filters[path]!.includes(String(value))) return false;
  }
  return true;
}

type QuantityOutcome = { ok: true; nanos: bigint } | { ok: false; reason: RatingSkip['reason']; detail: string };

/** What one event measures: 1 for COUNT, the value for SUM and MAX. */
function quantityOf(meter: CatalogMeter, event: WireEvent, aggregations: ReadonlySet<string>): QuantityOutcome {
  if (meter.aggregation === 'COUNT') return { ok: true, nanos: 1_000_000_000n };
  if (!aggregations.has(meter.aggregation)) {
    return { ok: false, reason: 'unsupported_aggregation', detail: `${meter.aggregation} is not rated per event` };
  }
  const raw = valueAt(event.data, meter.valueProperty ?? '');
  const parsed = toQuantityNanos(raw);
  if (!parsed.ok) return { ok: false, reason: 'bad_value', detail: `data.${meter.valueProperty}: ${parsed.reason}` };
  // A negative value would credit the customer; corrections go through the ledger, not through usage.
  if (parsed.nanos < 0n) return { ok: false, reason: 'bad_value', detail: `data.${meter.valueProperty}: negative quantities are not usage` };
  return parsed;
}

/** Legacy `meter_prices` rating is stateless: SUM and COUNT only. */
const LEGACY_AGGREGATIONS = new Set(['SUM', 'COUNT']);
/**
 * Plan charges keep running state, so MAX works too: the period quantity is
 * the running maximum and an event adds (new max − old max). MIN, AVG,
 * UNIQUE_COUNT and LATEST are refused by the catalog API for charges
 * (TG_METER_NOT_PRICEABLE): their period quantity can fall, or needs the
 * period's whole value set, which a marginal price cannot follow.
 */
export const PRICEABLE_AGGREGATIONS: ReadonlySet<string> = new Set(['SUM', 'COUNT', 'MAX']);

/** Reached: usage at or above the limit (a zero limit is reached by any usage). */
const reached = (quantityNanos: bigint, limitNanos: bigint): boolean => quantityNanos > 0n && quantityNanos >= limitNanos;

const KEEP_RANK_BASE = 2n ** 63n;

/** Sums charges into one debit per customer and currency. */
export function aggregateDebits(charges: readonly PrepaidCharge[]): WalletDebit[] {
  const debits = new Map<string, WalletDebit>();
  for (const charge of charges) {
    const debitKey = `${charge.customerId}\u0000${charge.currency}`;
    const debit = debits.get(debitKey) ?? { tenantId: charge.tenantId, customerId: charge.customerId, currency: charge.currency, amountMicros: 0n, eventCount: 0 };
    debit.amountMicros += charge.amountMicros;
    debit.eventCount += 1;
    debits.set(debitKey, debit);
  }
  return [...debits.values()];
}

export interface RateOptions {
  /** The topic's log epoch, stored with each rated row. */
  epoch?: string;
  /** Running quantities before this batch (the partition's state); updated in place. */
  state?: UsageState;
  /** Identities (`tenant \0 source \0 id`) rated in an earlier batch: stored raw, never rated or counted again. */
  ratedEarlier?: ReadonlySet<string>;
  /** Filled with each changed key's value before the batch (undefined = absent), so the caller can roll `state` back. */
  undo?: Map<string, bigint | undefined>;
}

interface EventContext {
  event: WireEvent;
  customer: CatalogCustomer;
  time: string;
  partition: number;
  offset: number;
  epoch: string;
  state: UsageState;
  undo: Map<string, bigint | undefined> | undefined;
  result: RatingResult;
}

/**
 * Adds an event's quantity to the running state of its (customer, meter,
 * period) and reports an entitlement limit it reaches. Returns the quantity
 * before and the event's contribution (for MAX: how far it raised the maximum).
 */
function advanceState(ctx: EventContext, meter: CatalogMeter, quantityNanos: bigint, entitlement: IndexedEntitlement | undefined): { beforeNanos: bigint; deltaNanos: bigint } {
  const period = billingPeriodOf(ctx.event.timeMs);
  const stateKey = usageStateKey(ctx.customer.id, meter.id, period.start);
  const beforeNanos = ctx.state.get(stateKey) ?? 0n;
  const afterNanos = meter.aggregation === 'MAX' ? (quantityNanos > beforeNanos ? quantityNanos : beforeNanos) : beforeNanos + quantityNanos;
  if (afterNanos !== beforeNanos) {
    if (ctx.undo && !ctx.undo.has(stateKey)) ctx.undo.set(stateKey, ctx.state.get(stateKey));
    ctx.state.set(stateKey, afterNanos);
    ctx.result.stateChanges.set(stateKey, afterNanos);
  }
  if (entitlement && !reached(beforeNanos, entitlement.limitNanos) && reached(afterNanos, entitlement.limitNanos)) {
    ctx.result.crossings.push({
      tenantId: ctx.customer.tenantId, subject: ctx.event.subject, customerId: ctx.customer.id, meterId: meter.id, meterSlug: meter.slug,
      periodStart: period.start, periodEnd: period.end, limitQuantity: formatQuantity(entitlement.limitNanos),
      usageQuantity: formatQuantity(afterNanos), enforcement: entitlement.enforcement,
      event: { source: ctx.event.source, id: ctx.event.id, time: ctx.time },
    });
  }
  return { beforeNanos, deltaNanos: afterNanos - beforeNanos };
}

function pushRated(ctx: EventContext, meter: CatalogMeter, quantityNanos: bigint, amountMicros: bigint, currency: string, model: string, priceId: string): void {
  const { event } = ctx;
  ctx.result.rated.push({
    tenant: event.tenant, subject: event.subject, customer_id: ctx.customer.id, meter: meter.slug,
    source: event.source, id: event.id, time: ctx.time, quantity: formatQuantity(quantityNanos),
    amount_micros: amountMicros.toString(), currency, price_model: model,
    price_id: priceId, kafka_partition: ctx.partition, kafka_offset: ctx.offset, kafka_epoch: ctx.epoch,
    keep_rank: (KEEP_RANK_BASE - BigInt(ctx.offset)).toString(),
  });
}

function skip(ctx: EventContext, reason: RatingSkip['reason'], detail: string): undefined {
  ctx.result.skips.push({ id: ctx.event.id, source: ctx.event.source, reason, detail });
  return undefined;
}

/** Prices one meter of an event through the customer's plan version; returns the amount or undefined (skipped). */
function rateByPlan(ctx: EventContext, meter: CatalogMeter, plan: IndexedPlanVersion, index: CatalogIndex): bigint | undefined {
  const charge = plan.chargesByMeter.get(meter.id);
  if (!charge) return skip(ctx, 'no_price', `meter ${meter.slug} has no charge on plan version ${plan.id}`);
  if ('error' in charge) return skip(ctx, 'no_price', `charge ${charge.chargeId} has an invalid price: ${charge.error}`);
  const quantity = quantityOf(meter, ctx.event, PRICEABLE_AGGREGATIONS);
  if (!quantity.ok) return skip(ctx, quantity.reason, quantity.detail);
  if (charge.price.scope === 'transaction' && meter.aggregation !== 'SUM') {
    return skip(ctx, 'unsupported_aggregation', `${charge.price.model} prices each event's value; meter ${meter.slug} is ${meter.aggregation}`);
  }
  const entitlement = index.customerEntitlements.get(ctx.customer.id)?.get(meter.id) ?? plan.entitlementsByMeter.get(meter.id);
  const { beforeNanos, deltaNanos } = advanceState(ctx, meter, quantity.nanos, entitlement);
  const amountMicros = charge.price.marginalAmountMicros({ quantityBeforeNanos: beforeNanos, quantityNanos: deltaNanos });
  pushRated(ctx, meter, quantity.nanos, amountMicros, plan.currency, charge.price.model, charge.chargeId);
  return amountMicros;
}

/** The walking skeleton's pricing: the meter's per_unit price in the customer's currency, no running state. */
function rateByMeterPrice(ctx: EventContext, meter: CatalogMeter, index: CatalogIndex): bigint | undefined {
  const price = meter.prices[ctx.customer.currency];
  if (!price) return skip(ctx, 'no_price', `meter ${meter.slug} has no ${ctx.customer.currency} price`);
  const quantity = quantityOf(meter, ctx.event, LEGACY_AGGREGATIONS);
  if (!quantity.ok) return skip(ctx, quantity.reason, quantity.detail);
  const entitlement = index.customerEntitlements.get(ctx.customer.id)?.get(meter.id);
  // Only a limit needs the running quantity here.
  if (entitlement) advanceState(ctx, meter, quantity.nanos, entitlement);
  const amountMicros = perUnit.marginalAmountMicros({ unitPriceMicros: BigInt(price.unitPriceMicros) },
    { quantityBeforeNanos: 0n, quantityNanos: quantity.nanos });
  pushRated(ctx, meter, quantity.nanos, amountMicros, ctx.customer.currency, price.model, price.priceId);
  return amountMicros;
}

export function rateEvents(events: LocatedEvent[], index: CatalogIndex, options: RateOptions | string = {}): RatingResult {
  const { epoch = '', state = new Map<string, bigint>(), ratedEarlier, undo } = typeof options === 'string' ? { epoch: options } : options;
  const result: RatingResult = { raw: [], rated: [], charges: [], skips: [], stateChanges: new Map(), crossings: [] };
  const seen = new Set<string>();
  for (const { event, partition, offset } of events) {
    // Identity for de-duplication is (source, id) within a tenant; the first copy in a batch wins.
    const identity = `${event.tenant}\u0000${event.source}\u0000${event.id}`;
    if (seen.has(identity)) {
      result.skips.push({ id: event.id, source: event.source, reason: 'duplicate', detail: `repeated in the same batch at offset ${offset}` });
      continue;
    }
    seen.add(identity);
    const meters = (index.metersByType.get(key(event.tenant, event.type)) ?? []).filter((m) => matchesFilters(m, event.data));
    const time = new Date(event.timeMs).toISOString();
    result.raw.push({
      tenant: event.tenant, subject: event.subject, type: event.type, source: event.source, id: event.id,
      time, ingested_at: new Date(event.ingestedAtMs).toISOString(), data: JSON.stringify(event.data),
      metered: meters.length > 0, kafka_partition: partition, kafka_offset: offset,
    });
    if (ratedEarlier?.has(identity)) {
      result.skips.push({ id: event.id, source: event.source, reason: 'rated_earlier', detail: 'rated in an earlier batch or log epoch' });
      continue;
    }
    if (meters.length === 0) {
      result.skips.push({ id: event.id, source: event.source, reason: 'no_meter', detail: `no meter for type ${event.type}` });
      continue;
    }
    const customer = index.customersBySubject.get(key(event.tenant, event.subject));
    if (!customer) {
      result.skips.push({ id: event.id, source: event.source, reason: 'no_customer', detail: `no customer with subject ${event.subject}` });
      continue;
    }
    const subscription = activeSubscription(customer.subscriptions, event.timeMs);
    const plan = subscription && index.planVersions.get(subscription.planVersionId);
    const ctx: EventContext = { event, customer, time, partition, offset, epoch, state, undo, result };
    let chargeMicros = 0n;
    for (const meter of meters) {
      chargeMicros += (plan ? rateByPlan(ctx, meter, plan, index) : rateByMeterPrice(ctx, meter, index)) ?? 0n;
    }
    if (customer.billingMode === 'prepaid' && chargeMicros !== 0n) {
      result.charges.push({ tenantId: customer.tenantId, subject: event.subject, source: event.source, id: event.id,
        offset, customerId: customer.id, currency: plan?.currency ?? customer.currency, amountMicros: chargeMicros });
    }
  }
  return result;
}

/**
 * Rating, as a pure function: events in, ClickHouse rows and wallet debits out.
 * The Piscina worker runs it on Kafka records; tests run it directly as the
 * batch re-rating that streaming totals must equal.
 */
import type { WireEvent } from '../schemas/event.ts';
import type { Catalog, CatalogCustomer, CatalogMeter } from './catalog.ts';
import { perUnit } from './pricing/per-unit.ts';
import { formatQuantity, toQuantityNanos } from './pricing/quantity.ts';

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
  reason: 'no_meter' | 'no_customer' | 'no_price' | 'bad_value' | 'unsupported_aggregation' | 'duplicate';
  detail: string;
}

export interface RatingResult {
  raw: RawRow[];
  rated: RatedRow[];
  charges: PrepaidCharge[];
  skips: RatingSkip[];
}

export interface CatalogIndex {
  version: string;
  metersByType: Map<string, CatalogMeter[]>;
  customersBySubject: Map<string, CatalogCustomer>;
}

const key = (tenant: string, name: string): string => `${tenant}\u0000${name}`;

export function indexCatalog(catalog: Catalog): CatalogIndex {
  const metersByType = new Map<string, CatalogMeter[]>();
  for (const meter of catalog.meters) {
    const k = key(meter.tenantId, meter.eventType);
    metersByType.set(k, [...(metersByType.get(k) ?? []), meter]);
  }
  const customersBySubject = new Map(catalog.customers.map((c) => [key(c.tenantId, c.subject), c]));
  return { version: catalog.version, metersByType, customersBySubject };
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

function quantityOf(meter: CatalogMeter, event: WireEvent): { ok: true; nanos: bigint } | { ok: false; reason: RatingSkip['reason']; detail: string } {
  if (meter.aggregation === 'COUNT') return { ok: true, nanos: 1_000_000_000n };
  if (meter.aggregation !== 'SUM') {
    return { ok: false, reason: 'unsupported_aggregation', detail: `${meter.aggregation} is not rated yet` };
  }
  const raw = valueAt(event.data, meter.valueProperty ?? '');
  const parsed = toQuantityNanos(raw);
  if (!parsed.ok) return { ok: false, reason: 'bad_value', detail: `data.${meter.valueProperty}: ${parsed.reason}` };
  // A negative value would credit the customer; corrections go through the ledger, not through usage.
  if (parsed.nanos < 0n) return { ok: false, reason: 'bad_value', detail: `data.${meter.valueProperty}: negative quantities are not usage` };
  return parsed;
}

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

export function rateEvents(events: LocatedEvent[], index: CatalogIndex, epoch = ''): RatingResult {
  const result: RatingResult = { raw: [], rated: [], charges: [], skips: [] };
  const seen = new Set<string>();
  for (const { event, partition, offset } of events) {
    // Identity for de-duplication is (source, id) within a tenant; the first copy in a batch wins.
    const identity = `${event.tenant}\u0000${event.source}\u0000${event.id}`;
    if (seen.has(identity)) {
      result.skips.push({ id: event.id, source: event.source, reason: 'duplicate', detail: `repeated in the same batch at offset ${offset}` });
      continue;
    }
    seen.add(identity);
    const meters = index.metersByType.get(key(event.tenant, event.type)) ?? [];
    const time = new Date(event.timeMs).toISOString();
    result.raw.push({
      tenant: event.tenant, subject: event.subject, type: event.type, source: event.source, id: event.id,
      time, ingested_at: new Date(event.ingestedAtMs).toISOString(), data: JSON.stringify(event.data),
      metered: meters.length > 0, kafka_partition: partition, kafka_offset: offset,
    });
    if (meters.length === 0) {
      result.skips.push({ id: event.id, source: event.source, reason: 'no_meter', detail: `no meter for type ${event.type}` });
      continue;
    }
    const customer = index.customersBySubject.get(key(event.tenant, event.subject));
    if (!customer) {
      result.skips.push({ id: event.id, source: event.source, reason: 'no_customer', detail: `no customer with subject ${event.subject}` });
      continue;
    }
    let chargeMicros = 0n;
    for (const meter of meters) {
      const price = meter.prices[customer.currency];
      if (!price) {
        result.skips.push({ id: event.id, source: event.source, reason: 'no_price', detail: `meter ${meter.slug} has no ${customer.currency} price` });
        continue;
      }
      const quantity = quantityOf(meter, event);
      if (!quantity.ok) {
        result.skips.push({ id: event.id, source: event.source, reason: quantity.reason, detail: quantity.detail });
        continue;
      }
      const amountMicros = perUnit.marginalAmountMicros({ unitPriceMicros: BigInt(price.unitPriceMicros) },
        { quantityBeforeNanos: 0n, quantityNanos: quantity.nanos });
      result.rated.push({
        tenant: event.tenant, subject: event.subject, customer_id: customer.id, meter: meter.slug,
        source: event.source, id: event.id, time, quantity: formatQuantity(quantity.nanos),
        amount_micros: amountMicros.toString(), currency: customer.currency, price_model: price.model,
        price_id: price.priceId, kafka_partition: partition, kafka_offset: offset, kafka_epoch: epoch,
        keep_rank: (KEEP_RANK_BASE - BigInt(offset)).toString(),
      });
      chargeMicros += amountMicros;
    }
    if (customer.billingMode === 'prepaid' && chargeMicros !== 0n) {
      result.charges.push({ tenantId: customer.tenantId, subject: event.subject, source: event.source, id: event.id,
        offset, customerId: customer.id, currency: customer.currency, amountMicros: chargeMicros });
    }
  }
  return result;
}

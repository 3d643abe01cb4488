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
  reason: 'no_meter' | 'no_customer' | 'no_price' | 'bad_value' | 'unsupported_aggregation';
  detail: string;
}

export interface RatingResult {
  raw: RawRow[];
  rated: RatedRow[];
  debits: WalletDebit[];
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

export function rateEvents(events: LocatedEvent[], index: CatalogIndex): RatingResult {
  const result: RatingResult = { raw: [], rated: [], debits: [], skips: [] };
  const debits = new Map<string, WalletDebit>();
  for (const { event, partition, offset } of events) {
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
        price_id: price.priceId, kafka_partition: partition, kafka_offset: offset,
      });
      if (customer.billingMode === 'prepaid' && amountMicros !== 0n) {
        const debitKey = `${customer.id}\u0000${customer.currency}`;
        const debit = debits.get(debitKey) ?? { tenantId: customer.tenantId, customerId: customer.id, currency: customer.currency, amountMicros: 0n, eventCount: 0 };
        debit.amountMicros += amountMicros;
        debit.eventCount += 1;
        debits.set(debitKey, debit);
      }
    }
  }
  result.debits = [...debits.values()];
  return result;
}

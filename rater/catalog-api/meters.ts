/** Meters: which events count and how (aggregation, value path, group-by, filters). */
import { and, eq } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import type { Tx } from '../../ledger/index.ts';
import type { MeterFilters } from '../../schemas/postgres/schema.ts';
import { fail, FieldReader, notFound, PROPERTY_PATH, type Outcome } from './fields.ts';

export type MeterRow = typeof schema.meters.$inferSelect;
const AGGREGATIONS = ['SUM', 'COUNT', 'MAX', 'MIN', 'AVG', 'UNIQUE_COUNT', 'LATEST'] as const;
const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,128}$/;
const FILTER_PROPERTIES_MAX = 8;
const FILTER_VALUES_MAX = 64;

export function meterView(m: MeterRow): Record<string, unknown> {
  return { id: m.id, slug: m.slug, eventType: m.eventType, aggregation: m.aggregation, valueProperty: m.valueProperty,
    groupBy: m.groupBy, filters: m.filters, createdAt: m.createdAt.toISOString() };
}

function readFilters(reader: FieldReader): MeterFilters | undefined {
  const value = reader.body.filters;
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length > FILTER_PROPERTIES_MAX) {
    return reader.fail('filters', `filters must map at most ${FILTER_PROPERTIES_MAX} property paths to lists of values`);
  }
  const filters: MeterFilters = {};
  for (const [path, values] of Object.entries(value as Record<string, unknown>)) {
    if (!PROPERTY_PATH.test(path)) return reader.fail(`filters.${path}`, 'a filter key must be a property path such as model or usage.kind');
    if (!Array.isArray(values) || values.length === 0 || values.length > FILTER_VALUES_MAX
      || !values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
      return reader.fail(`filters.${path}`, `a filter lists 1 to ${FILTER_VALUES_MAX} strings, numbers or booleans`);
    }
    filters[path] = values.map(String);
  }
  return filters;
}

export async function createMeter(db: Database, tenantId: string, body: unknown): Promise<Outcome<MeterRow>> {
  const reader = new FieldReader(body, ['slug', 'eventType', 'aggregation', 'valueProperty', 'groupBy', 'filters']);
  const slug = reader.slug('slug');
  const eventType = reader.text('eventType', { pattern: EVENT_TYPE, describe: 'an event type (letters, digits, _ . : -)' });
  const aggregation = reader.oneOf('aggregation', AGGREGATIONS);
  const valueProperty = reader.text('valueProperty', { optional: aggregation === 'COUNT', pattern: PROPERTY_PATH, describe: 'a property path into data, such as tokens or usage.bytes' });
  if (aggregation === 'COUNT' && valueProperty !== undefined) reader.fail('valueProperty', 'a COUNT meter counts events and reads no value');
  const groupBy = reader.stringList('groupBy', PROPERTY_PATH);
  const filters = readFilters(reader);
  const input = reader.outcome(() => ({ tenantId, slug: slug!, eventType: eventType!, aggregation: aggregation!, valueProperty: valueProperty ?? null, groupBy: groupBy!, filters: filters! }));
  if (!input.ok) return input;
  const [row] = await db.insert(schema.meters).values(input.value).onConflictDoNothing().returning();
  return row ? { ok: true, value: row } : fail(409, 'TG_CATALOG_DUPLICATE', `a meter with slug ${input.value.slug} exists`, 'slug');
}

export async function listMeters(db: Database, tenantId: string): Promise<MeterRow[]> {
  return db.select().from(schema.meters).where(eq(schema.meters.tenantId, tenantId)).orderBy(schema.meters.slug);
}

export async function meterBySlug(db: Database | Tx, tenantId: string, slug: string, field?: string): Promise<Outcome<MeterRow>> {
  const [row] = await db.select().from(schema.meters).where(and(eq(schema.meters.tenantId, tenantId), eq(schema.meters.slug, slug)));
  return row ? { ok: true, value: row } : notFound(`meter ${slug}`, field);
}

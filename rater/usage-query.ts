/** Usage totals from ClickHouse `usage_rated` (FINAL: one row per event even before merges). */
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { UsageTotal } from '../schemas/api.ts';

export interface UsageQuery {
  tenant: string;
  subject: string;
  meter: string;
  fromMs: number;
  toMs: number;
}

export type { UsageTotal };

export async function queryUsageTotal(client: ClickHouseClient, q: UsageQuery): Promise<UsageTotal> {
  const result = await client.query({
    query: `SELECT toString(sum(quantity)) AS quantity, toString(sum(amount_micros)) AS amount_micros,
              count() AS events, anyIf(currency, currency != '') AS currency
            FROM usage_rated FINAL
            WHERE tenant = {tenant:String} AND subject = {subject:String} AND meter = {meter:String}
              AND time >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`,
    query_params: { tenant: q.tenant, subject: q.subject, meter: q.meter, fromMs: q.fromMs, toMs: q.toMs },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ quantity: string; amount_micros: string; events: string | number; currency: string }>();
  return {
    subject: q.subject,
    meter: q.meter,
    from: new Date(q.fromMs).toISOString(),
    to: new Date(q.toMs).toISOString(),
    quantity: row?.quantity ?? '0',
    amountMicros: row?.amount_micros ?? '0',
    currency: row?.currency ? row.currency : null,
    events: Number(row?.events ?? 0),
  };
}

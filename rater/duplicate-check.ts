/**
 * The authoritative de-duplication by `(tenant, source, id)`: before a batch's
 * prepaid charges are debited, ClickHouse is asked which of its events were
 * already rated at an earlier offset of the same partition (an SDK retry, a
 * replayed request). Those are charged once, by the batch that rated them
 * first. Rows of a crashed earlier attempt of this very batch carry the same
 * offsets and so are not mistaken for duplicates. ClickHouse keeps rated rows
 * for its TTL (default: no TTL), so the window is at least the 32 days the
 * design asks for.
 */
import { clickhouseStringArrayLiteral, LARGE_QUERY_SETTINGS, type ClickHouseClient } from '../platform/clickhouse.ts';
import type { PrepaidCharge } from './rate-events.ts';

/** Returns the charges whose event was rated before, at a lower offset. */
export async function findEarlierCopies(client: ClickHouseClient, charges: readonly PrepaidCharge[]): Promise<Set<PrepaidCharge>> {
  const duplicates = new Set<PrepaidCharge>();
  const byTenant = new Map<string, PrepaidCharge[]>();
  for (const charge of charges) byTenant.set(charge.tenantId, [...(byTenant.get(charge.tenantId) ?? []), charge]);
  for (const [tenant, tenantCharges] of byTenant) {
    // A batch's subjects and ids go into the SQL body as literals: as query
    // parameters they would overflow the URL of a large batch.
    const subjects = clickhouseStringArrayLiteral([...new Set(tenantCharges.map((c) => c.subject))]);
    const ids = clickhouseStringArrayLiteral([...new Set(tenantCharges.map((c) => c.id))]);
    const result = await client.query({
      query: `SELECT source, id, min(kafka_offset) AS first_offset FROM usage_rated
              WHERE tenant = {tenant:String} AND subject IN ${subjects} AND id IN ${ids}
              GROUP BY source, id`,
      query_params: { tenant },
      clickhouse_settings: LARGE_QUERY_SETTINGS,
      format: 'JSONEachRow',
    });
    const firstOffsets = new Map<string, number>();
    for (const row of await result.json<{ source: string; id: string; first_offset: string }>()) {
      firstOffsets.set(`${row.source}\u0000${row.id}`, Number(row.first_offset));
    }
    for (const charge of tenantCharges) {
      const first = firstOffsets.get(`${charge.source}\u0000${charge.id}`);
      if (first !== undefined && first < charge.offset) duplicates.add(charge);
    }
  }
  return duplicates;
}

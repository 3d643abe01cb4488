/**
 * The authoritative de-duplication by `(tenant, source, id)`: before a batch's
 * rows are written and its prepaid charges debited, ClickHouse is asked which
 * of its events were already rated — earlier in this log epoch (a lower offset
 * of the same partition: an SDK retry, a replayed request) or in an earlier
 * epoch. Those are neither stored nor charged again. Rows of a crashed earlier
 * attempt of this very batch carry the same epoch and offsets and so are not
 * mistaken for duplicates. ClickHouse keeps rated rows
 * for its TTL (default: no TTL), so the window is at least the 32 days the
 * design asks for.
 */
import { clickhouseStringArrayLiteral, LARGE_QUERY_SETTINGS, type ClickHouseClient } from '../platform/clickhouse.ts';
import type { RatedEventKey } from './rate-task.ts';

/**
 * Returns the identities (tenant, source, id) of events already rated before:
 * in an earlier log epoch (any offset), or earlier in this epoch (a lower offset).
 */
export async function findEarlierCopies(client: ClickHouseClient, events: readonly RatedEventKey[], epoch: string): Promise<Set<string>> {
  const duplicates = new Set<string>();
  const byTenant = new Map<string, RatedEventKey[]>();
  for (const event of events) byTenant.set(event.tenant, [...(byTenant.get(event.tenant) ?? []), event]);
  for (const [tenant, tenantEvents] of byTenant) {
    // A batch's subjects and ids go into the SQL body as literals: as query
    // parameters they would overflow the URL of a large batch.
    const subjects = clickhouseStringArrayLiteral([...new Set(tenantEvents.map((e) => e.subject))]);
    const ids = clickhouseStringArrayLiteral([...new Set(tenantEvents.map((e) => e.id))]);
    const result = await client.query({
      query: `SELECT source, id, kafka_epoch, toString(min(kafka_offset)) AS first_offset FROM usage_rated
              WHERE tenant = {tenant:String} AND subject IN ${subjects} AND id IN ${ids}
              GROUP BY source, id, kafka_epoch`,
      query_params: { tenant },
      clickhouse_settings: LARGE_QUERY_SETTINGS,
      format: 'JSONEachRow',
    });
    const earlierEpoch = new Set<string>();
    const firstOffsetThisEpoch = new Map<string, number>();
    for (const row of await result.json<{ source: string; id: string; kafka_epoch: string; first_offset: string }>()) {
      const identity = `${tenant}\u0000${row.source}\u0000${row.id}`;
      if (row.kafka_epoch !== epoch) earlierEpoch.add(identity);
      else firstOffsetThisEpoch.set(identity, Number(row.first_offset));
    }
    for (const event of tenantEvents) {
      const first = firstOffsetThisEpoch.get(event.identity);
      if (earlierEpoch.has(event.identity) || (first !== undefined && first < event.offset)) duplicates.add(event.identity);
    }
  }
  return duplicates;
}

/** The rated rows without those of duplicate events (the bytes unchanged when there are none). */
export function withoutDuplicateRows(json: Uint8Array, lineEnds: Uint32Array, identities: readonly string[], duplicates: ReadonlySet<string>): Uint8Array {
  if (duplicates.size === 0) return json;
  const kept: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < lineEnds.length; i++) {
    const end = lineEnds[i]!;
    if (!duplicates.has(identities[i]!)) kept.push(json.subarray(start, end));
    start = end;
  }
  return Buffer.concat(kept);
}

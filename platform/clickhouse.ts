/**
 * The ClickHouse client. The same code talks to a real server (compose) and to
 * the local chdb endpoint (scripts/clickhouse-http.ts).
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_DDL, CLICKHOUSE_OBSOLETE_OBJECTS, USAGE_WINDOWS_TABLE, USAGE_WINDOWS_VIEW, usageWindowsSelect } from '../schemas/clickhouse/ddl.ts';

export type { ClickHouseClient };

export function connectClickhouse(url: string): ClickHouseClient {
  return createClient({
    url,
    request_timeout: 120_000,
    compression: { request: false, response: false },
    clickhouse_settings: {
      // 64-bit integers as JSON strings: exact money, whatever the server.
      output_format_json_quote_64bit_integers: 1,
      date_time_input_format: 'best_effort',
    },
    // Errors are thrown to callers, who log them with context; the client's own logger stays quiet.
    log: { level: 127 },
  });
}

/**
 * Applies the DDL. Objects of an earlier layout are dropped first. A usage
 * view created over an existing `usage_rated` (data from before the view
 * existed) is backfilled from `usage_rated FINAL` right after it is created.
 * Rows inserted between the view's creation and the backfill would count
 * twice, so apply the schema before the rater starts (every entry point does).
 */
export async function applyClickhouseSchema(client: ClickHouseClient): Promise<void> {
  let existing = await existingTables(client);
  for (const obsolete of CLICKHOUSE_OBSOLETE_OBJECTS) {
    if (existing.get(obsolete.name) === obsolete.engine) await client.command({ query: `DROP TABLE IF EXISTS ${obsolete.name} SYNC` });
  }
  existing = await existingTables(client);
  for (const statement of CLICKHOUSE_DDL) await client.command({ query: statement });
  if (existing.has('usage_rated') && !existing.has(USAGE_WINDOWS_VIEW)) {
    await client.command({ query: `INSERT INTO ${USAGE_WINDOWS_TABLE} ${usageWindowsSelect(true)}` });
  }
}

/** Table name → engine, of the current database. */
async function existingTables(client: ClickHouseClient): Promise<Map<string, string>> {
  const result = await client.query({ query: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase()', format: 'JSONEachRow' });
  return new Map((await result.json<{ name: string; engine: string }>()).map((r) => [r.name, r.engine]));
}

/**
 * A ClickHouse string literal. Only for values too many for query parameters
 * (parameters travel in the URL, which servers cap: ~16 KB here, 1 MB on a
 * real server), e.g. the ids of a whole batch in an IN list. Everything else
 * uses `{name:Type}` parameters.
 */
export function clickhouseStringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** Setting for queries that carry literal lists: the parser's default cap is 256 KiB. */
export const LARGE_QUERY_SETTINGS = { max_query_size: '67108864' } as const;

export function clickhouseStringArrayLiteral(values: readonly string[]): string {
  return `[${values.map(clickhouseStringLiteral).join(',')}]`;
}

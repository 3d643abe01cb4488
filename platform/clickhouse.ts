/**
 * The ClickHouse client. The same code talks to a real server (compose) and to
 * the local chdb endpoint (scripts/clickhouse-http.ts).
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_DDL, USAGE_WINDOWS, usageWindowSelect, usageWindowTable } from '../schemas/clickhouse/ddl.ts';

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
 * Applies the DDL. A usage view created over an existing `usage_rated` (data
 * from before the views existed) is backfilled from `usage_rated FINAL` right
 * after it is created. Rows inserted between the view's creation and the
 * backfill would count twice, so apply the schema before the rater starts
 * (every entry point does).
 */
export async function applyClickhouseSchema(client: ClickHouseClient): Promise<void> {
  const existing = await existingTables(client);
  for (const statement of CLICKHOUSE_DDL) await client.command({ query: statement });
  if (!existing.has('usage_rated')) return;
  for (const window of USAGE_WINDOWS) {
    const { table, view } = usageWindowTable(window);
    if (existing.has(view)) continue;
    await client.command({ query: `INSERT INTO ${table} ${usageWindowSelect(window, 'usage_rated FINAL')}` });
  }
}

async function existingTables(client: ClickHouseClient): Promise<Set<string>> {
  const result = await client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase()', format: 'JSONEachRow' });
  return new Set((await result.json<{ name: string }>()).map((r) => r.name));
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

/**
 * The ClickHouse client. The same code talks to a real server (compose) and to
 * the local chdb endpoint (scripts/clickhouse-http.ts).
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_DDL } from '../schemas/clickhouse/ddl.ts';

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

export async function applyClickhouseSchema(client: ClickHouseClient): Promise<void> {
  for (const statement of CLICKHOUSE_DDL) await client.command({ query: statement });
}

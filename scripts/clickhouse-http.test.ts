/**
 * The chdb ClickHouse-HTTP endpoint speaks enough of the protocol for
 * @clickhouse/client: settings apply to one request only, query parameters
 * are parsed like a real server's, insert dedup tokens work, errors carry
 * ClickHouse codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';

let client: ClickHouseClient;
const table = `http_endpoint_${process.pid}`;

beforeAll(async () => {
  client = connectClickhouse(inject('infra').clickhouseUrl);
  await client.command({ query: `CREATE TABLE ${table} (n UInt64, s String) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100` });
});

afterAll(async () => {
  await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
  await client.close();
});

async function count(): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS c FROM ${table}`, format: 'JSONEachRow' });
  const [row] = await result.json<{ c: string }>();
  return Number(row!.c);
}

describe('ClickHouse HTTP endpoint over chdb', () => {
  it('drops a repeated insert with the same dedup token and does not leak the token to the next insert', async () => {
    const rows = [{ n: 1, s: 'a' }, { n: 2, s: 'b' }];
    await client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 't-1' } });
    await client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 't-1' } });
    expect(await count()).toBe(2);
    // No token now: if t-1 had stuck to the session, these different rows would be dropped silently.
    await client.insert({ table, values: [{ n: 3, s: 'c' }], format: 'JSONEachRow' });
    expect(await count()).toBe(3);
  });

  it('binds query parameters with quotes, backslashes and tabs exactly', async () => {
    const tricky = "it's a \\ back\tslash";
    const result = await client.query({ query: 'SELECT {s:String} AS s, {n:UInt64} + 1 AS n', query_params: { s: tricky, n: 41 }, format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ s: tricky, n: '42' }]);
  });

  it('applies a setting to its own request only', async () => {
    const read = async (settings: Record<string, string | number> = {}): Promise<string> => {
      const result = await client.query({ query: "SELECT getSetting('max_threads') AS v", format: 'JSONEachRow', clickhouse_settings: settings });
      const [row] = await result.json<{ v: string | number }>();
      return String(row!.v);
    };
    const baseline = await read();
    expect(await read({ max_threads: 1 })).toBe('1');
    expect(await read()).toBe(baseline);
  });

  it('inserts rows given for some columns only, with per-request settings, leaving the others to their defaults', async () => {
    const before = await count();
    // An unknown field is an error unless this request's setting says to skip it.
    await expect(client.insert({ table, values: [{ n: 10, s: 'x', extra: 1 }], format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 0 } }))
      .rejects.toMatchObject({ code: expect.stringMatching(/^\d+$/) });
    await client.insert({ table, values: [{ n: 10, extra: 1 }], columns: ['n'], format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 1 } });
    const result = await client.query({ query: `SELECT n, s FROM ${table} WHERE n = 10`, format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ n: '10', s: '' }]);
    expect(await count()).toBe(before + 1);
  });

  it('reports engine errors with their ClickHouse code', async () => {
    await expect(client.query({ query: 'SELECT no_such_column FROM system.one' })).rejects.toMatchObject({ code: '47' });
  });
});

describe('string literals for large IN lists', () => {
  it('round-trips quotes, backslashes, NUL, newlines and unicode through the engine unchanged', async () => {
    const { clickhouseStringArrayLiteral } = await import('../platform/clickhouse.ts');
    const nasty = ["it's", 'back\\slash', 'nul\u0000byte', 'new\nline', "'; DROP TABLE x; --", 'ümlaut ✓', '\\\'', ''];
    const result = await client.query({ query: `SELECT arrayJoin(${clickhouseStringArrayLiteral(nasty)}) AS s`, format: 'JSONEachRow' });
    expect((await result.json<{ s: string }>()).map((r) => r.s)).toEqual(nasty);
  });

  it('carries 20,000 ids in one query, far past what fits in a URL', async () => {
    const { clickhouseStringArrayLiteral, LARGE_QUERY_SETTINGS } = await import('../platform/clickhouse.ts');
    const ids = Array.from({ length: 20_000 }, (_, i) => `evt-${i}-${'x'.repeat(20)}`);
    const result = await client.query({ query: `SELECT count() AS c FROM (SELECT arrayJoin(${clickhouseStringArrayLiteral(ids)}) AS id)`, format: 'JSONEachRow', clickhouse_settings: LARGE_QUERY_SETTINGS });
    expect(await result.json()).toEqual([{ c: '20000' }]);
  });
});

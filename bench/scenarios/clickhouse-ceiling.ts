/**
 * clickhouse-ceiling: raw @clickhouse/client inserts into a scratch copy of
 * `usage_rated` (same DDL, other name), JSONEachRow objects in batches of
 * --ch-batch rows shaped like the rater's rows, two inserts in flight (the
 * endpoint serves one at a time; the second overlaps client-side encoding).
 * Bounded by --seconds and MAX_ROWS. Its own ceiling: the engine writing the
 * same table from `INSERT … SELECT FROM numbers()` (no HTTP, no JSON).
 */
import { randomUUID } from 'node:crypto';
import { connectClickhouse } from '../../platform/clickhouse.ts';
import { CLICKHOUSE_DDL } from '../../schemas/clickhouse/ddl.ts';
import type { BenchContext } from '../context.ts';
import { contentionNote, CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { benchSubjects, tokensOf } from '../events.ts';
import { comparisons, compareTo, type Figure, type ScenarioOutcome } from '../report.ts';

const SCRATCH_TABLE = 'bench_usage_rated_scratch';
const MAX_ROWS = 5_000_000;
const ENGINE_ROWS = 2_000_000;
const IN_FLIGHT = 2;

export function scratchDdl(): string {
  const ddl = CLICKHOUSE_DDL.find((s) => /CREATE TABLE IF NOT EXISTS usage_rated\b/.test(s));
  if (!ddl) throw new Error('usage_rated is not in schemas/clickhouse/ddl.ts');
  return ddl.replace(/CREATE TABLE IF NOT EXISTS usage_rated\b/, `CREATE TABLE IF NOT EXISTS ${SCRATCH_TABLE}`);
}

const KEEP_RANK_BASE = 2n ** 63n;
const KNOWN_COLUMNS = new Set(['tenant', 'subject', 'customer_id', 'meter', 'source', 'id', 'time', 'quantity', 'amount_micros', 'currency',
  'price_model', 'price_id', 'kafka_partition', 'kafka_offset', 'keep_rank']);

/**
 * Rows as the rater writes them (rater/rate-events.ts RatedRow), limited to
 * the columns the table has; columns this file does not know keep their defaults.
 */
function ratedRows(batch: number, size: number, columns: ReadonlySet<string>, subjects: readonly string[], customerIds: readonly string[], priceId: string): object[] {
  const time = new Date().toISOString();
  return Array.from({ length: size }, (_, i) => {
    const n = batch * size + i;
    const tokens = tokensOf(n);
    const offset = Math.floor(n / 1000);
    const row: Record<string, string | number> = {
      tenant: 'default', subject: subjects[n % subjects.length]!, customer_id: customerIds[n % customerIds.length]!, meter: 'tokens',
      source: 'bench-clickhouse-ceiling', id: `chc-${n.toString(36)}`, time, quantity: String(tokens), amount_micros: String(tokens * 20),
      currency: 'USD', price_model: 'per_unit', price_id: priceId, kafka_partition: n % 6, kafka_offset: offset,
    };
    if (columns.has('keep_rank')) row.keep_rank = String(KEEP_RANK_BASE - BigInt(offset));
    for (const key of Object.keys(row)) if (!columns.has(key)) delete row[key];
    return row;
  });
}

/** The same rows generated inside the engine: no HTTP, no JSON. */
function engineInsert(columns: ReadonlySet<string>): string {
  const expressions: Record<string, string> = {
    tenant: `'default'`, subject: `concat('bench_cust_', leftPad(toString(number % 100), 5, '0'))`, customer_id: 'toString(generateUUIDv4())',
    meter: `'tokens'`, source: `'bench-clickhouse-engine'`, id: `concat('che-', toString(number))`, time: `now64(3, 'UTC')`,
    quantity: 'toDecimal128(number % 2000 + 1, 9)', amount_micros: 'toInt64((number % 2000 + 1) * 20)', currency: `'USD'`,
    price_model: `'per_unit'`, price_id: 'toString(generateUUIDv4())', kafka_partition: 'toUInt16(number % 6)',
    kafka_offset: 'intDiv(number, 1000)', keep_rank: 'toUInt64(9223372036854775808 - intDiv(number, 1000))',
  };
  const used = Object.keys(expressions).filter((c) => columns.has(c));
  return `INSERT INTO ${SCRATCH_TABLE} (${used.join(', ')}) SELECT ${used.map((c) => expressions[c]).join(', ')} FROM numbers(${ENGINE_ROWS})`;
}

async function tableColumns(client: ReturnType<typeof connectClickhouse>): Promise<Set<string>> {
  const result = await client.query({ query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${SCRATCH_TABLE}'`, format: 'JSONEachRow' });
  return new Set((await result.json<{ name: string }>()).map((r) => r.name));
}

export async function runClickhouseCeiling(ctx: BenchContext): Promise<ScenarioOutcome> {
  const endpoints = await ctx.infra();
  const client = connectClickhouse(endpoints.clickhouseUrl);
  const batchRows = ctx.options.chBatch;
  const subjects = benchSubjects(100, 'cust_42');
  const customerIds = subjects.map(() => randomUUID());
  const priceId = randomUUID();
  try {
    await client.command({ query: `DROP TABLE IF EXISTS ${SCRATCH_TABLE}` });
    await client.command({ query: scratchDdl() });
    const columns = await tableColumns(client);

    ctx.say(`clickhouse-ceiling: engine-only INSERT … SELECT of ${ENGINE_ROWS} rows`);
    const engineStarted = performance.now();
    await client.command({ query: engineInsert(columns) });
    const engineSeconds = (performance.now() - engineStarted) / 1000;
    await client.command({ query: `TRUNCATE TABLE ${SCRATCH_TABLE}` });

    await client.insert({ table: SCRATCH_TABLE, values: ratedRows(0, 1000, columns, subjects, customerIds, priceId), format: 'JSONEachRow' }); // warm-up
    ctx.say(`clickhouse-ceiling: inserting batches of ${batchRows} rows for up to ${ctx.options.seconds} s`);
    const cpuMeter = new CpuMeter(infraProcesses(ctx.stateDir)).start();
    const started = performance.now();
    const deadline = started + ctx.options.seconds * 1000;
    let nextBatch = 1_000;
    let rowsInserted = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline && rowsInserted + batchRows <= MAX_ROWS) {
        const rows = ratedRows(nextBatch++, batchRows, columns, subjects, customerIds, priceId);
        await client.insert({ table: SCRATCH_TABLE, values: rows, format: 'JSONEachRow' });
        rowsInserted += rows.length;
      }
    }));
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = cpuMeter.stop();
    const otherCpu = otherCpuPercent(cpu);
    const counted = await client.query({ query: `SELECT count() AS n FROM ${SCRATCH_TABLE} WHERE source = 'bench-clickhouse-ceiling'`, format: 'JSONEachRow' });
    const [row] = await counted.json<{ n: string | number }>();
    const stored = Number(row?.n ?? 0) - 1000;

    const engineFigure: Figure = {
      id: 'engine_rows_per_s', label: 'engine only: INSERT … SELECT FROM numbers()', value: ENGINE_ROWS / engineSeconds, unit: 'rows/s',
      role: 'ceiling', comparisons: [], reference: 'DESIGN §10: INSERT … SELECT FROM file() 3.9M rows/s',
    };
    const rowsPerSecond = rowsInserted / wallSeconds;
    return {
      ok: stored === rowsInserted && rowsInserted > 0,
      ...(stored !== rowsInserted ? { error: `inserted ${rowsInserted} rows but the table holds ${stored}` } : {}),
      figures: [
        engineFigure,
        {
          id: 'insert_rows_per_s', label: `@clickhouse/client JSONEachRow, ${batchRows}-row batches`, value: rowsPerSecond, unit: 'rows/s', role: 'ceiling',
          comparisons: comparisons(compareTo(rowsPerSecond, 'clickhouse-ceiling', engineFigure)),
          reference: 'DESIGN §10: client batches of 10k ≈ 400k rows/s',
        },
      ],
      details: {
        'rows inserted (checked by count())': rowsInserted,
        'rows per insert': batchRows,
        'inserts in flight': IN_FLIGHT,
        'measured seconds': wallSeconds,
        'CPU % bench (client, row encoding)': cpu.self ?? null,
        'CPU % ClickHouse (chdb endpoint)': cpu.clickhouse ?? null,
        'CPU % other processes on the host': otherCpu,
        table: `${SCRATCH_TABLE} (usage_rated DDL; dropped afterwards)`,
        'columns left to defaults': [...columns].filter((c) => !KNOWN_COLUMNS.has(c)).join(', ') || 'none',
      },
      notes: [contentionNote(otherCpu, 'the insert phase')].filter((n): n is string => n !== undefined),
    };
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${SCRATCH_TABLE}` }).catch(() => undefined);
    await client.close();
  }
}

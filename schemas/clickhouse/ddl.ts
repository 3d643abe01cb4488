/**
 * ClickHouse DDL, applied in order by `applyClickhouseSchema` (platform/clickhouse.ts).
 * Statements are idempotent (IF NOT EXISTS) so every start may apply them.
 *
 * Both tables are ReplacingMergeTree keyed by the event identity so that a
 * replay whose batch boundaries differ from the first attempt (and so carries
 * other insert_deduplication_tokens) still converges to one row per event;
 * readers that need exact totals before merges use FINAL.
 * usage_rated keeps the copy with the lowest Kafka offset (keep_rank = 2^63 − offset):
 * the rater's duplicate check asks "was this (source, id) rated at an earlier
 * offset?", which must stay answerable after merges. The bloom filter on `id`
 * keeps that point lookup from scanning a subject's whole history.
 * `non_replicated_deduplication_window` makes insert tokens effective on a
 * single node (measured: without it identical token inserts are all kept).
 */
/** Window sizes of the usage aggregates; `GET /v1/usage?windowSize=` takes the same names. */
export const USAGE_WINDOWS = ['MINUTE', 'HOUR', 'DAY'] as const;
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

/** The one table all window sizes live in, and the materialized view that fills it from `usage_rated`. */
export const USAGE_WINDOWS_TABLE = 'usage_windows';
export const USAGE_WINDOWS_VIEW = 'usage_windows_mv';

/** Per window size: a plain view over `usage_windows` to read (`usage_by_minute` …) and the function that starts a window. */
export function usageWindowTable(window: UsageWindow): { table: string; startOf: string } {
  const startOf = { MINUTE: 'toStartOfMinute', HOUR: 'toStartOfHour', DAY: 'toStartOfDay' }[window];
  return { table: `usage_by_${window.toLowerCase()}`, startOf };
}

/**
 * Per (tenant, subject, meter, currency, window) sums for dashboards and the usage API.
 * Exact: quantity stays Decimal(38, 9) and amounts Int64 micro-units (sums of
 * SimpleAggregateFunction columns merge by addition, never through Float).
 * Counted once: the rater inserts each event once (it drops in-batch and
 * earlier-batch duplicates before inserting), and a retried insert carries the
 * same insert_deduplication_token, which ClickHouse passes to dependent views
 * (`deduplicate_blocks_in_dependent_materialized_views`, default 1 since
 * 24.x, set explicitly by the writer) — effective only because the target
 * table has its own `non_replicated_deduplication_window` (measured on chdb
 * 26.7: without it a retried insert was counted twice in the view).
 * One table and one view for all three window sizes (rows tagged by
 * `window_size`), not three: every insert into usage_rated writes one part per
 * target table, and on this box a part costs ≈10 ms whatever its size
 * (measured: usage_rated alone 21 ms per 100-row insert, with three views 51–59 ms).
 * The view reads each inserted block only, so FINAL on usage_rated is not
 * needed (and not possible) here.
 */
const USAGE_WINDOWS_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${USAGE_WINDOWS_TABLE} (
    tenant LowCardinality(String),
    window_size Enum8('MINUTE' = 1, 'HOUR' = 2, 'DAY' = 3),
    subject String,
    meter LowCardinality(String),
    currency LowCardinality(String),
    window_start DateTime('UTC'),
    quantity SimpleAggregateFunction(sum, Decimal(38, 9)),
    quantity_min SimpleAggregateFunction(min, Decimal(38, 9)),
    quantity_max SimpleAggregateFunction(max, Decimal(38, 9)),
    amount_micros SimpleAggregateFunction(sum, Int64),
    events SimpleAggregateFunction(sum, UInt64),
    last_event_time SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
  ) ENGINE = AggregatingMergeTree
  PARTITION BY toYYYYMM(window_start)
  ORDER BY (tenant, window_size, subject, meter, currency, window_start)
  SETTINGS non_replicated_deduplication_window = 10000`,
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${USAGE_WINDOWS_VIEW} TO ${USAGE_WINDOWS_TABLE} AS ${usageWindowsSelect(false)}`,
  ...USAGE_WINDOWS.map((window) => `CREATE VIEW IF NOT EXISTS ${usageWindowTable(window).table} AS
    SELECT tenant, subject, meter, currency, window_start, quantity, quantity_min, quantity_max, amount_micros, events, last_event_time
    FROM ${USAGE_WINDOWS_TABLE} WHERE window_size = '${window}'`),
];

/** The view's query; also backfills a new view from existing rows (platform/clickhouse.ts, `usage_rated FINAL`). */
export function usageWindowsSelect(final: boolean): string {
  const windows = USAGE_WINDOWS.map((w) => `tuple('${w}', ${usageWindowTable(w).startOf}(src.time))`).join(', ');
  // `src.` names the column where an output alias of the same name would shadow it.
  return `SELECT tenant, w.1 AS window_size, subject, meter, currency, w.2 AS window_start,
        sum(src.quantity) AS quantity, min(src.quantity) AS quantity_min, max(src.quantity) AS quantity_max,
        sum(src.amount_micros) AS amount_micros, toUInt64(count()) AS events, max(src.time) AS last_event_time
      FROM usage_rated AS src${final ? ' FINAL' : ''}
      ARRAY JOIN [${windows}] AS w
      GROUP BY tenant, window_size, subject, meter, currency, window_start`;
}

/**
 * Objects of an earlier layout (one table and view per window size, 04:00–04:20 UTC on
 * 2026-11-25) that `applyClickhouseSchema` drops, with their data, before creating the
 * current ones; usage_windows is then backfilled from usage_rated.
 */
export const CLICKHOUSE_OBSOLETE_OBJECTS: readonly { name: string; engine: string }[] = [
  ...USAGE_WINDOWS.map((w) => ({ name: `usage_by_${w.toLowerCase()}_mv`, engine: 'MaterializedView' })),
  ...USAGE_WINDOWS.map((w) => ({ name: `usage_by_${w.toLowerCase()}`, engine: 'AggregatingMergeTree' })),
];

/** Every ClickHouse object the DDL creates, views first: the order to drop them in. */
export const CLICKHOUSE_OBJECTS_DROP_ORDER: readonly string[] = [
  ...USAGE_WINDOWS.map((w) => usageWindowTable(w).table),
  USAGE_WINDOWS_VIEW,
  USAGE_WINDOWS_TABLE,
  'usage_rated',
  'events_raw',
];

export const CLICKHOUSE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS events_raw (
    tenant LowCardinality(String),
    subject String,
    type LowCardinality(String),
    source LowCardinality(String),
    id String,
    time DateTime64(3, 'UTC'),
    ingested_at DateTime64(3, 'UTC'),
    data String,
    metered Bool,
    kafka_partition UInt16,
    kafka_offset UInt64
  ) ENGINE = ReplacingMergeTree
  PARTITION BY toYYYYMM(time)
  ORDER BY (tenant, subject, type, time, source, id)
  SETTINGS non_replicated_deduplication_window = 10000`,
  `CREATE TABLE IF NOT EXISTS usage_rated (
    tenant LowCardinality(String),
    subject String,
    customer_id String,
    meter LowCardinality(String),
    source LowCardinality(String),
    id String,
    time DateTime64(3, 'UTC'),
    quantity Decimal(38, 9),
    amount_micros Int64,
    currency LowCardinality(String),
    price_model LowCardinality(String),
    price_id String,
    kafka_partition UInt16,
    kafka_offset UInt64,
    kafka_epoch LowCardinality(String),
    keep_rank UInt64,
    INDEX usage_rated_id_bloom id TYPE bloom_filter GRANULARITY 4
  ) ENGINE = ReplacingMergeTree(keep_rank)
  PARTITION BY toYYYYMM(time)
  ORDER BY (tenant, subject, meter, time, source, id)
  SETTINGS non_replicated_deduplication_window = 10000`,
  // Tables created before the column existed (dev data under .state) get it here.
  `ALTER TABLE usage_rated ADD COLUMN IF NOT EXISTS kafka_epoch LowCardinality(String) AFTER kafka_offset`,
  ...USAGE_WINDOWS_DDL,
];

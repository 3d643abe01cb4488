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
];

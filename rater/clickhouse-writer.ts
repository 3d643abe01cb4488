/**
 * Writes rated batches to ClickHouse. Each insert carries a deterministic
 * `insert_deduplication_token` (table, topic, log epoch, partition, offset range), so retrying
 * the same batch after a crash inserts nothing twice; ReplacingMergeTree keys
 * on the event identity cover replays whose batch boundaries differ.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '../platform/clickhouse.ts';

export interface BatchRows {
  rawJson: Uint8Array;
  ratedJson: Uint8Array;
}


async function insertJsonEachRow(client: ClickHouseClient, table: string, rows: Uint8Array, token: string): Promise<void> {
  if (rows.byteLength === 0) return;
  // exec with a byte stream: the worker already produced JSONEachRow text, so
  // the main thread sends bytes and never re-serializes rows.
  const result = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: Readable.from([Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength)], { objectMode: false }),
    // The view over usage_rated (usage_windows_mv) de-duplicates a retried block too, so
    // a retry is counted once there as well (servers before 24.x default this to 0).
    clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 },
  });
  result.stream.resume();
  await new Promise<void>((resolve, reject) => {
    result.stream.once('end', resolve);
    result.stream.once('error', reject);
  });
}

/** Where a batch goes; other names only for the bench's bare-insert ceiling (scratch copies of the same DDL). */
export interface BatchTables {
  raw: string;
  rated: string;
}

const RATER_TABLES: BatchTables = { raw: 'events_raw', rated: 'usage_rated' };

/** `batchReference` names topic, log epoch, partition and offset range: `usage.events@3f2a9c1e:4:120-180`. */
export async function writeBatchRows(client: ClickHouseClient, batchReference: string, rows: BatchRows, tables: BatchTables = RATER_TABLES): Promise<void> {
  await insertJsonEachRow(client, tables.raw, rows.rawJson, `events_raw:${batchReference}`);
  await insertJsonEachRow(client, tables.rated, rows.ratedJson, `usage_rated:${batchReference}`);
}

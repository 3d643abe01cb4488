/** Hand-written SQL on a database or a transaction, rows typed by the caller (int8 as bigint, see platform/postgres.ts). */
import type { SQL } from 'drizzle-orm';
import type { Database } from '../platform/postgres.ts';
import type { Tx } from '../ledger/index.ts';

export async function exec<T = Record<string, unknown>>(db: Database | Tx, query: SQL): Promise<{ rows: T[] }> {
  const result = await (db as Database).execute(query);
  return { rows: result.rows as T[] };
}

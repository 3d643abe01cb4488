/** Postgres pool + drizzle, and the migration runner over the committed drizzle-kit migrations. */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from '../schemas/postgres/schema.ts';

export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export { schema };

// bigint columns come back as strings by default; Tollgate wants bigint for money.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));

export interface Postgres {
  pool: pg.Pool;
  db: Database;
  close: () => Promise<void>;
}

export function connectPostgres(url: string, poolSizeMax = 10): Postgres {
  const pool = new pg.Pool({ connectionString: url, max: poolSizeMax, idleTimeoutMillis: 30_000 });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  const db = drizzle(pool, { schema });
  return { pool, db, close: () => pool.end() };
}

const migrationsFolder = fileURLToPath(new URL('../schemas/postgres/migrations', import.meta.url));

/** Any constant, the same in every process: serializes migrators (several nodes or test suites starting at once). */
const MIGRATION_LOCK_KEY = 0x70_11_6a_7e;

export async function migratePostgres(db: Database): Promise<void> {
  // A session advisory lock on a connection of its own: released by unlock, or by Postgres if the process dies.
  const lockHolder = await db.$client.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migrate(db, { migrationsFolder: join(migrationsFolder) });
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).finally(() => lockHolder.release());
  }
}

/** Postgres pool + drizzle, and the migration runner over the committed drizzle-kit migrations. */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from '../schemas/postgres/schema.ts';

export type Database = NodePgDatabase<typeof schema>;
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

export async function migratePostgres(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: join(migrationsFolder) });
}

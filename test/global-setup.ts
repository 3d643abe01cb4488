/**
 * Starts the real test infrastructure once per `npm test`: Postgres, ClickHouse
 * (chdb endpoint) and a fresh Kafka broker, on ports of their own (so a running
 * `npm start` is untouched), with a clean test database and ClickHouse tables.
 * Suites read the endpoints with `inject('infra')`.
 */
import { createClient } from '@clickhouse/client';
import type { TestProject } from 'vitest/node';
import 'vitest';
import { infraDown, infraUp, projectRoot, recreateDatabase, type InfraEndpoints, type InfraOptions } from '../scripts/infra.ts';
import { join } from 'node:path';
import { CLICKHOUSE_OBJECTS_DROP_ORDER } from '../schemas/clickhouse/ddl.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: InfraEndpoints;
  }
}

/** Overridable so that two test runs on one machine (e.g. two work trees) do not share servers. */
export const TEST_INFRA: InfraOptions = {
  stateDir: process.env.TOLLGATE_TEST_STATE_DIR ?? join(projectRoot, '.state', 'test'),
  pgPort: Number(process.env.TOLLGATE_TEST_PG_PORT ?? 54339),
  clickhousePort: Number(process.env.TOLLGATE_TEST_CLICKHOUSE_PORT ?? 18133),
};

async function resetClickhouse(url: string): Promise<void> {
  const client = createClient({ url });
  try {
    // Views before the tables they read (schemas/clickhouse/ddl.ts lists them in that order).
    for (const table of CLICKHOUSE_OBJECTS_DROP_ORDER) await client.command({ query: `DROP TABLE IF EXISTS ${table} SYNC` });
  } finally {
    await client.close();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  const endpoints = await infraUp({ ...TEST_INFRA, freshBroker: true, log });
  const testUrl = await recreateDatabase(endpoints.postgresUrl, 'tollgate_test');
  await resetClickhouse(endpoints.clickhouseUrl);
  project.provide('infra', { ...endpoints, postgresUrl: testUrl });
  return async () => {
    if (process.env.TOLLGATE_TEST_KEEP_INFRA) return;
    await infraDown({ ...TEST_INFRA, log });
  };
}

/**
 * Measures batch generation: `count` vouchers in one call (one transaction),
 * `rounds` times, against the Postgres of TOLLGATE_PG_URL (or the local
 * infrastructure of TOLLGATE_STATE_DIR). Prints each round and the median.
 *
 *   npx tsx ledger/vouchers/bench-generate.ts [count=10000] [rounds=5]
 */
import { performance } from 'node:perf_hooks';
import { localInfraDefaults } from '../../platform/config.ts';
import { connectPostgres, migratePostgres, schema } from '../../platform/postgres.ts';
import { DEFAULT_CODE_FORMAT, generateCodes, codeDigest } from './codes.ts';
import { generateVoucherBatch } from './generate.ts';
import { parseBatchRequest } from './inputs.ts';
import { createProfile } from './profiles.ts';

const count = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 5);
const url = process.env.TOLLGATE_PG_URL ?? localInfraDefaults(process.env.TOLLGATE_STATE_DIR ?? '.state').TOLLGATE_PG_URL;
if (!url) throw new Error('set TOLLGATE_PG_URL or start the local infrastructure (tollgate infra up)');
const tenantId = `bench-vouchers-${process.pid}`;
const postgres = connectPostgres(url, 2);
await migratePostgres(postgres.db);
await postgres.db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
await createProfile(postgres.db, tenantId, { name: 'BENCH', currency: 'USD', priceMicros: 1_000_000n, dataQuotaBytes: 1024n ** 3n,
  timeQuotaSeconds: null, validitySeconds: 86_400n, rateLimit: '2M/2M', sharedUsers: 1 });

const codesStart = performance.now();
const codes = generateCodes(count, DEFAULT_CODE_FORMAT);
const codesMs = performance.now() - codesStart;
const digestStart = performance.now();
for (const code of codes) codeDigest(tenantId, code);
const digestMs = performance.now() - digestStart;
console.log(`codes alone: ${codesMs.toFixed(0)} ms for ${count}; digests alone: ${digestMs.toFixed(0)} ms`);

const timesMs: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const request = parseBatchRequest({ profile: 'BENCH', count });
  if (!request.ok) throw new Error(request.error.message);
  const started = performance.now();
  const result = await generateVoucherBatch(postgres.db, { tenantId, actor: 'bench' }, request.value);
  const ms = performance.now() - started;
  if (!result.ok) throw new Error(result.error.message);
  timesMs.push(ms);
  console.log(`round ${round}: ${count} vouchers in ${ms.toFixed(0)} ms (${Math.round((count * 1000) / ms)} vouchers/s)`);
}
const median = [...timesMs].sort((a, b) => a - b)[Math.floor(timesMs.length / 2)]!;
console.log(`median: ${median.toFixed(0)} ms for ${count} vouchers in one transaction (${Math.round((count * 1000) / median)} vouchers/s)`);
await postgres.close();

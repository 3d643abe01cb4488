/**
 * ledger: transfers/s through the ledger core (ledger/transfers.ts
 * `submitTransfers`: one transaction per batch, accounts locked in id order,
 * one INSERT of the transfers and one UPDATE of the balances) for batches of
 * 1, 100 and 8,000 transfers, each for --seconds, compared with pgbench TPC-B
 * tx/s on the same server measured in the same run (postgres-ceiling).
 *
 * Data: a scratch database `tollgate_bench_ledger` (dropped and recreated,
 * migrated), 10,000 accounts of one tenant, a quarter of them
 * `debits_must_not_exceed_credits` and funded so that the limit checks run
 * without refusing; random single-phase transfers between random accounts
 * (fresh time-ordered ids, so every transfer is new). Concurrent clients per batch size:
 * 8 for batches of 1 (as pgbench -c 8), 4 for 100, 2 for 8,000. After the
 * run the stored invariants are checked.
 *
 * Registered with `npm run bench -- ledger` (postgres-ceiling runs first; TOLLGATE_BENCH_STATE_DIR /
 * _PG_PORT / _CLICKHOUSE_PORT and --keep-infra measure on other infrastructure, as for every scenario).
 */
import { randomUUID } from 'node:crypto';
import { connectPostgres, migratePostgres, schema, type Database } from '../../platform/postgres.ts';
import {
  ACCOUNT_FLAGS, checkLedgerInvariants, submitAccounts, submitTransfers, type AccountInput, type TransferInput,
} from '../../ledger/index.ts';
import type { BenchContext } from '../context.ts';
import { contentionNote, CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { comparisons, compareWith, type DetailValue, type Figure, type ScenarioName, type ScenarioOutcome, type ScenarioResult } from '../report.ts';
import { percentiles } from '../stats.ts';
import { recreateDatabase } from '../../scripts/infra.ts';

const DATABASE = 'tollgate_bench_ledger';
const TENANT = 'bench-ledger';
const ACCOUNT_COUNT = 10_000;
const FUND_MICROS = 1_000_000_000_000n;
/** Batch size → concurrent clients. */
export const LEDGER_PHASES: readonly { batch: number; clients: number }[] = [
  { batch: 1, clients: 8 }, { batch: 100, clients: 4 }, { batch: 8000, clients: 2 },
];
/** DESIGN §9: ledger transfers (batched). */
const TARGET = { bar: 20_000, goal: 100_000 };

function prng(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

async function seedAccounts(db: Database): Promise<string[]> {
  await db.insert(schema.tenants).values({ id: TENANT, name: TENANT }).onConflictDoNothing();
  const accounts: AccountInput[] = Array.from({ length: ACCOUNT_COUNT }, (_, i) => ({
    id: randomUUID(), tenantId: TENANT, ledger: 'USD', code: 1000, userData: `bench-${i}`,
    flags: i % 4 === 0 ? ACCOUNT_FLAGS.debitsMustNotExceedCredits : 0,
  }));
  for (let i = 0; i < accounts.length; i += 5000) {
    const results = await submitAccounts(db, accounts.slice(i, i + 5000));
    if (results.some((r) => r !== 'ok')) throw new Error(`bench accounts refused: ${[...new Set(results)].join(', ')}`);
  }
  // Fund the limited accounts from an unlimited one, so limits are checked but never bite.
  const bank = accounts[1]!.id;
  const funding = accounts.filter((a) => a.flags !== 0).map((a): TransferInput => ({
    id: randomUUID(), tenantId: TENANT, debitAccountId: bank, creditAccountId: a.id, amountMicros: FUND_MICROS, ledger: 'USD', code: 1, userData: 'fund',
  }));
  const funded = await submitTransfers(db, funding);
  if (funded.some((r) => r !== 'ok')) throw new Error('bench funding refused');
  return accounts.map((a) => a.id);
}

/**
 * Time-ordered ids (UUIDv7 layout: 48-bit milliseconds, then a counter and
 * random bits), as TigerBeetle advises clients to choose: new ids land at the
 * right edge of the primary-key index instead of all over it.
 */
let idCounter = 0;
const idRandom = randomUUID().replace(/-/g, '').slice(0, 12);
export function timeOrderedId(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  const counter = (idCounter = (idCounter + 1) % 0x1000000).toString(16).padStart(6, '0');
  const hex = `${ms}7${counter.slice(0, 3)}8${counter.slice(3)}${idRandom.slice(0, 3)}${idRandom}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function randomBatch(random: (n: number) => number, accounts: readonly string[], size: number): TransferInput[] {
  const batch: TransferInput[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const debit = random(accounts.length);
    const credit = (debit + 1 + random(accounts.length - 1)) % accounts.length;
    batch[i] = { id: timeOrderedId(), tenantId: TENANT, debitAccountId: accounts[debit]!, creditAccountId: accounts[credit]!,
      amountMicros: BigInt(1 + random(100)), ledger: 'USD', code: 2, userData: '' };
  }
  return batch;
}

interface PhaseResult {
  batch: number;
  clients: number;
  seconds: number;
  transfers: number;
  refused: number;
  batches: number;
  latencyMs: ReturnType<typeof percentiles>;
  cpu: Record<string, number>;
}

async function runPhase(db: Database, accounts: readonly string[], batch: number, clients: number, seconds: number,
  processes: ReturnType<typeof infraProcesses>): Promise<PhaseResult> {
  // Warm-up: plans cached, connections open.
  await Promise.all(Array.from({ length: clients }, (_, c) => submitTransfers(db, randomBatch(prng(c + 1), accounts, Math.min(batch, 100)))));
  let transfers = 0;
  let refused = 0;
  let batches = 0;
  const latencies: number[] = [];
  const cpu = new CpuMeter(processes).start();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const random = prng(1000 * batch + c);
    while (performance.now() < deadline) {
      const transfersIn = randomBatch(random, accounts, batch);
      const sent = performance.now();
      const results = await submitTransfers(db, transfersIn);
      latencies.push(performance.now() - sent);
      batches++;
      for (const r of results) if (r === 'ok') transfers++; else refused++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { batch, clients, seconds: elapsed, transfers, refused, batches, latencyMs: percentiles(latencies), cpu: cpu.stop() };
}

function cpuText(cpu: Record<string, number>): string {
  return `bench+ledger (node) ${cpu.self?.toFixed(0) ?? '?'}, postgres ${cpu.postgres?.toFixed(0) ?? '?'}, other ${otherCpuPercent(cpu).toFixed(0)}`;
}

export async function runLedger(ctx: BenchContext, prior: ReadonlyMap<ScenarioName, ScenarioResult>): Promise<ScenarioOutcome> {
  const endpoints = await ctx.infra();
  ctx.say(`ledger: fresh database ${DATABASE}, ${ACCOUNT_COUNT} accounts`);
  const url = await recreateDatabase(endpoints.postgresUrl, DATABASE);
  const postgres = connectPostgres(url, Math.max(...LEDGER_PHASES.map((p) => p.clients)) + 2);
  try {
    await migratePostgres(postgres.db);
    const accounts = await seedAccounts(postgres.db);
    const processes = infraProcesses(ctx.stateDir);
    const ceiling = prior.get('postgres-ceiling');
    const figures: Figure[] = [];
    const details: Record<string, DetailValue> = { database: DATABASE, accounts: ACCOUNT_COUNT, 'limited (funded) accounts': ACCOUNT_COUNT / 4 };
    const notes: string[] = ['Transfers/s counts transfers the ledger applied (result ok); every batch is one Postgres transaction through submitTransfers, as the HTTP API and the rater use it.'];
    for (const { batch, clients } of LEDGER_PHASES) {
      ctx.say(`ledger: batches of ${batch}, ${clients} clients, ${ctx.options.seconds} s`);
      const r = await runPhase(postgres.db, accounts, batch, clients, ctx.options.seconds, processes);
      const perSecond = r.transfers / r.seconds;
      figures.push({
        id: `transfers_per_s_batch_${batch}`, label: `ledger transfers/s, batches of ${batch.toLocaleString('en-US')}`, value: perSecond,
        unit: 'transfers/s', role: 'measure',
        comparisons: comparisons(compareWith(perSecond, ceiling, 'tpcb_tps', { note: 'one TPC-B tx = 3 UPDATEs + INSERT + SELECT' })),
        ...(batch > 1 ? { target: TARGET } : {}),
      });
      details[`batch ${batch}: clients`] = clients;
      details[`batch ${batch}: batches / s`] = r.batches / r.seconds;
      details[`batch ${batch}: transfers applied / refused`] = `${r.transfers} / ${r.refused}`;
      details[`batch ${batch}: batch latency p50 / p99 ms`] = `${r.latencyMs.p50.toFixed(1)} / ${r.latencyMs.p99.toFixed(1)}`;
      details[`batch ${batch}: CPU % of a core`] = cpuText(r.cpu);
      const note = contentionNote(otherCpuPercent(r.cpu), `batches of ${batch}`);
      if (note) notes.push(note);
    }
    ctx.say('ledger: checking the stored invariants');
    const invariants = await checkLedgerInvariants(postgres.db, TENANT);
    details.invariants = invariants.ok ? 'ok' : invariants.violations.slice(0, 3).join('; ');
    if (!ceiling) notes.push('postgres-ceiling did not run (or failed): no pgbench base for the ratios.');
    return { ok: invariants.ok, figures, details, notes };
  } finally {
    await postgres.close();
  }
}

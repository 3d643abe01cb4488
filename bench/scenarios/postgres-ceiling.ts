/**
 * postgres-ceiling: pgbench against the bench Postgres, in a scratch database
 * `tollgate_bench`: `pgbench -i -s <scale>`, then TPC-B (`-T --seconds -c -j`),
 * then select-only (`-S`) as its ceiling. pgbench is only a client, so it runs
 * as whoever we are, over TCP as user tollgate (trust auth on loopback).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { BenchContext } from '../context.ts';
import { CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { comparisons, compareTo, type Figure, type ScenarioOutcome } from '../report.ts';

const DATABASE = 'tollgate_bench';

function pgbenchBinary(): string {
  const dirs: string[] = [];
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch { /* no pg_config: Debian's layout */ }
  for (const version of ['18', '17', '16', '15', '14', '13']) dirs.push(`/usr/lib/postgresql/${version}/bin`);
  const dir = dirs.find((d) => existsSync(join(d, 'pgbench')));
  if (!dir) throw new Error('pgbench not found (pg_config --bindir, /usr/lib/postgresql/*/bin); apt-get install -y postgresql-contrib');
  return join(dir, 'pgbench');
}

function run(binary: string, args: string[], timeoutSeconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { encoding: 'utf8', timeout: timeoutSeconds * 1000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${binary} ${args.join(' ')} failed: ${err.message}\n${stderr.split('\n').slice(-10).join('\n')}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

export interface PgbenchFigures {
  tps: number;
  latencyMs: number | null;
  transactions: number | null;
  failed: number | null;
}

export function parsePgbench(output: string): PgbenchFigures {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  if (!tps) throw new Error(`no tps in pgbench output:\n${output.slice(-2000)}`);
  const number = (re: RegExp): number | null => {
    const m = re.exec(output);
    return m ? Number(m[1]) : null;
  };
  return {
    tps: Number(tps[1]),
    latencyMs: number(/latency average = ([\d.]+) ms/),
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: number(/number of failed transactions: (\d+)/),
  };
}

async function ensureDatabase(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    const setting = await client.query('SHOW synchronous_commit');
    return String(setting.rows[0]?.synchronous_commit ?? 'unknown');
  } finally {
    await client.end();
  }
}

export async function runPostgresCeiling(ctx: BenchContext): Promise<ScenarioOutcome> {
  const { seconds, pgScale, pgClients, pgThreads } = ctx.options;
  const endpoints = await ctx.infra();
  const url = new URL(endpoints.postgresUrl);
  const adminUrl = new URL(endpoints.postgresUrl);
  adminUrl.pathname = '/postgres';
  const synchronousCommit = await ensureDatabase(adminUrl.toString());
  const binary = pgbenchBinary();
  const connection = ['-h', url.hostname, '-p', url.port, '-U', decodeURIComponent(url.username)];

  ctx.say(`postgres-ceiling: pgbench -i -s ${pgScale} ${DATABASE}`);
  const initStarted = performance.now();
  await run(binary, ['-i', '-q', '-s', String(pgScale), ...connection, DATABASE], 600);
  const initSeconds = (performance.now() - initStarted) / 1000;

  const processes = infraProcesses(ctx.stateDir);
  const measure = async (label: string, extra: string[]): Promise<{ figures: PgbenchFigures; cpu: number | null; other: number }> => {
    ctx.say(`postgres-ceiling: pgbench ${label}, -T ${seconds} -c ${pgClients} -j ${pgThreads}`);
    const cpuMeter = new CpuMeter(processes).start();
    const output = await run(binary, [...extra, '-T', String(seconds), '-c', String(pgClients), '-j', String(pgThreads), ...connection, DATABASE], seconds + 120);
    const cpu = cpuMeter.stop();
    return { figures: parsePgbench(output), cpu: cpu.postgres ?? null, other: otherCpuPercent(cpu) };
  };
  const tpcb = await measure('TPC-B', []);
  const selectOnly = await measure('select-only', ['-S', '-n']);

  const selectFigure: Figure = {
    id: 'select_only_tps', label: 'pgbench select-only (-S)', value: selectOnly.figures.tps, unit: 'tps', role: 'ceiling', comparisons: [],
    reference: 'none in DESIGN',
  };
  return {
    ok: (tpcb.figures.failed ?? 0) === 0 && (selectOnly.figures.failed ?? 0) === 0,
    figures: [
      selectFigure,
      {
        id: 'tpcb_tps', label: 'pgbench TPC-B', value: tpcb.figures.tps, unit: 'tps', role: 'ceiling',
        comparisons: comparisons(compareTo(tpcb.figures.tps, 'postgres-ceiling', selectFigure)),
        reference: 'DESIGN §10: ≈2.2k tps fsync on, ≈3.9k with synchronous_commit=off',
      },
    ],
    details: {
      database: DATABASE,
      'scale (-s)': pgScale,
      'clients / threads': `${pgClients} / ${pgThreads}`,
      'pgbench -i seconds': initSeconds,
      'TPC-B latency average ms': tpcb.figures.latencyMs,
      'TPC-B transactions / failed': `${tpcb.figures.transactions ?? '?'} / ${tpcb.figures.failed ?? '?'}`,
      'select-only latency average ms': selectOnly.figures.latencyMs,
      'CPU % Postgres during TPC-B': tpcb.cpu,
      'CPU % Postgres during select-only': selectOnly.cpu,
      'CPU % pgbench and other processes (TPC-B / select-only)': `${tpcb.other.toFixed(0)} / ${selectOnly.other.toFixed(0)}`,
      synchronous_commit: synchronousCommit,
    },
    notes: ['pgbench (the client) shares the two cores with Postgres.'],
  };
}

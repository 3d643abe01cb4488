/**
 * Starts, checks and stops Tollgate's real local infrastructure:
 *   - Postgres (Debian's postgresql binaries, run as the `postgres` user when we are root),
 *   - ClickHouse (the chdb engine behind scripts/clickhouse-http.ts),
 *   - a Kafka-protocol broker (librdkafka's mock cluster, build/kafka-mock).
 *
 * Used by `.ci/run`, the vitest global setup and `tollgate dev`. Idempotent: a
 * service that is already up is reused. Everything binds to 127.0.0.1; data
 * lives under the state folder (default `.state/`), except Postgres' data when
 * the `postgres` user cannot reach that folder (then under /var/tmp, linked).
 *
 *   tsx scripts/infra.ts up|down|status [--purge]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface InfraEndpoints {
  postgresUrl: string;
  clickhouseUrl: string;
  kafkaBrokers: string[];
  /** Names this start of the in-memory broker: a new id means a new, empty log. */
  kafkaIncarnation: string;
  stateDir: string;
}

export interface InfraOptions {
  stateDir?: string;
  pgPort?: number;
  clickhousePort?: number;
  topics?: Record<string, number>;
  /** Restart the broker even if one is running: an empty log (tests start from nothing). */
  freshBroker?: boolean;
  log?: (line: string) => void;
}

/** Topics and partition counts the broker is started with (kafkajs cannot create topics on the mock). */
export const DEFAULT_TOPICS: Record<string, number> = {
  'usage.events': 6,
  'quota.exceeded': 3,
  'wallet.events': 3,
  'invoice.events': 3,
};

const READY_TIMEOUT_MS = 60_000;
const PG_USER = 'tollgate';
const PG_DATABASE = 'tollgate';

function resolveOptions(options: InfraOptions): Required<InfraOptions> {
  return {
    stateDir: resolve(options.stateDir ?? process.env.TOLLGATE_STATE_DIR ?? join(projectRoot, '.state')),
    pgPort: options.pgPort ?? Number(process.env.TOLLGATE_PG_PORT ?? 54329),
    clickhousePort: options.clickhousePort ?? Number(process.env.TOLLGATE_CLICKHOUSE_PORT ?? 18123),
    topics: options.topics ?? DEFAULT_TOPICS,
    freshBroker: options.freshBroker ?? false,
    log: options.log ?? ((line) => console.error(line)),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
    socket.once('timeout', () => { socket.destroy(); done(false); });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(150);
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
  throw new Error(`${what} did not become ready within ${READY_TIMEOUT_MS} ms; last log lines of ${logFile}:\n${tail}`);
}

function pidAlive(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function spawnDetached(command: string, args: string[], logFile: string, pidFile: string): void {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], cwd: projectRoot });
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
}

async function stopPid(pidFile: string, name: string, log: (line: string) => void): Promise<void> {
  const pid = pidAlive(pidFile);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pidAlive(pidFile) !== undefined; i++) await sleep(100);
  if (pidAlive(pidFile) !== undefined) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  log(`infra: stopped ${name}`);
}

// ---------------------------------------------------------------- Postgres

function postgresBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch { /* pg_config absent: look in Debian's layout */ }
  for (const version of ['18', '17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error('no Postgres server binaries found (initdb, pg_ctl). Install them: apt-get install -y postgresql');
  }
  return found;
}

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a Postgres binary as the `postgres` user when we are root (initdb and postgres refuse root). */
function pgExec(bin: string, args: string[]): string {
  if (!runningAsRoot) return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const quoted = [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function postgresCanReach(dir: string): boolean {
  if (!runningAsRoot) return true;
  try {
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x '${dir}' && test -w '${dir}'`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The Postgres data folder: under the state folder when the postgres user can reach it, else /var/tmp (linked). */
function postgresHome(stateDir: string): string {
  const link = join(stateDir, 'postgres');
  if (existsSync(link) && lstatSync(link).isSymbolicLink()) return readlinkSync(link);
  mkdirSync(link, { recursive: true });
  if (runningAsRoot) execFileSync('chown', ['postgres:postgres', link]);
  if (postgresCanReach(link)) return link;
  rmSync(link, { recursive: true, force: true });
  const outside = join('/var/tmp', `tollgate-pg-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`);
  mkdirSync(outside, { recursive: true });
  execFileSync('chown', ['postgres:postgres', outside]);
  symlinkSync(outside, link);
  return outside;
}

async function postgresUp(o: Required<InfraOptions>): Promise<string> {
  const url = `postgres://${PG_USER}@127.0.0.1:${o.pgPort}/${PG_DATABASE}`;
  const bin = postgresBinDir();
  const home = postgresHome(o.stateDir);
  const dataDir = join(home, 'data');
  const logFile = join(home, 'postgres.log');
  const isReady = (): boolean => {
    try {
      pgExec(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(o.pgPort), '-q']);
      return true;
    } catch {
      return false;
    }
  };
  if (isReady()) return url;
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    o.log(`infra: initdb ${dataDir}`);
    pgExec(join(bin, 'initdb'), ['-D', dataDir, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  }
  o.log(`infra: starting Postgres on 127.0.0.1:${o.pgPort}`);
  const serverOptions = [`-p ${o.pgPort}`, `-k ${home}`, "-c listen_addresses='127.0.0.1'", '-c max_connections=300',
    '-c shared_buffers=256MB', '-c synchronous_commit=off',
    // Fewer checkpoints and smaller full-page images: the ledger's 8,000-transfer batches write a lot of WAL.
    '-c max_wal_size=4GB', '-c checkpoint_timeout=15min', '-c wal_compression=on'].join(' ');
  pgExec(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
  await waitFor('Postgres', async () => isReady(), logFile);
  const databases = pgExec(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(o.pgPort), '-U', PG_USER, '-d', 'postgres',
    '-Atc', 'SELECT datname FROM pg_database']);
  for (const name of [PG_DATABASE, `${PG_DATABASE}_test`]) {
    if (!databases.split('\n').includes(name)) {
      pgExec(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(o.pgPort), '-U', PG_USER, name]);
    }
  }
  return url;
}

function postgresDown(o: Required<InfraOptions>): void {
  const link = join(o.stateDir, 'postgres');
  if (!existsSync(join(link, 'data', 'postmaster.pid'))) return;
  pgExec(join(postgresBinDir(), 'pg_ctl'), ['-D', join(link, 'data'), '-m', 'fast', '-w', 'stop']);
  o.log('infra: stopped Postgres');
}

// ---------------------------------------------------------------- ClickHouse (chdb over HTTP)

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function clickhouseUp(o: Required<InfraOptions>): Promise<string> {
  const url = `http://127.0.0.1:${o.clickhousePort}`;
  const dir = join(o.stateDir, 'clickhouse');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'server.pid');
  const logFile = join(dir, 'server.log');
  if (pidAlive(pidFile) !== undefined && await httpOk(`${url}/ping`)) return url;
  if (await httpOk(`${url}/ping`)) {
    throw new Error(`port ${o.clickhousePort} already answers ClickHouse pings but not from ${pidFile}; stop it or set TOLLGATE_CLICKHOUSE_PORT`);
  }
  o.log(`infra: starting ClickHouse (chdb) on ${url}`);
  spawnDetached(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts', 'clickhouse-http.ts'),
    join(dir, 'data'), String(o.clickhousePort)], logFile, pidFile);
  await waitFor('ClickHouse (chdb)', () => httpOk(`${url}/ping`), logFile);
  return url;
}

// ---------------------------------------------------------------- Kafka (librdkafka mock cluster)

function kafkaMockBinary(): string {
  const binary = join(projectRoot, 'build', 'kafka-mock');
  if (!existsSync(binary)) {
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-kafka-mock.mjs')], { stdio: 'inherit' });
  }
  return binary;
}

async function brokersReachable(brokers: string[]): Promise<boolean> {
  for (const broker of brokers) {
    const [host, port] = broker.split(':');
    if (!host || !port || !(await tcpOpen(host, Number(port)))) return false;
  }
  return brokers.length > 0;
}

function readBrokers(bootstrapFile: string): string[] {
  if (!existsSync(bootstrapFile)) return [];
  return readFileSync(bootstrapFile, 'utf8').trim().split(',').filter(Boolean);
}

async function kafkaUp(o: Required<InfraOptions>): Promise<{ brokers: string[]; incarnation: string }> {
  const dir = join(o.stateDir, 'kafka');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'broker.pid');
  const logFile = join(dir, 'broker.log');
  const bootstrapFile = join(dir, 'bootstrap');
  const incarnationFile = join(dir, 'incarnation');
  if (o.freshBroker) await stopPid(pidFile, 'Kafka mock broker', o.log);
  if (pidAlive(pidFile) !== undefined && await brokersReachable(readBrokers(bootstrapFile)) && existsSync(incarnationFile)) {
    return { brokers: readBrokers(bootstrapFile), incarnation: readFileSync(incarnationFile, 'utf8').trim() };
  }
  rmSync(bootstrapFile, { force: true });
  const incarnation = randomUUID().replace(/-/g, '').slice(0, 12);
  writeFileSync(incarnationFile, `${incarnation}\n`);
  const topics = Object.entries(o.topics).map(([name, partitions]) => `${name}:${partitions}`);
  o.log(`infra: starting Kafka mock broker (in-memory) with ${topics.join(' ')}`);
  spawnDetached(kafkaMockBinary(), [bootstrapFile, '1', ...topics], logFile, pidFile);
  await waitFor('Kafka mock broker', () => brokersReachable(readBrokers(bootstrapFile)), logFile);
  return { brokers: readBrokers(bootstrapFile), incarnation };
}

/**
 * Fault injection: takes every mock broker down (connections refused and
 * dropped) or brings them back, through the launcher's SIGUSR1 / SIGUSR2.
 * The log survives; clients reconnect by themselves.
 */
export function setBrokersDown(stateDir: string, down: boolean): void {
  const pid = pidAlive(join(stateDir, 'kafka', 'broker.pid'));
  if (pid === undefined) throw new Error(`no Kafka mock broker is running for ${stateDir}`);
  process.kill(pid, down ? 'SIGUSR1' : 'SIGUSR2');
}

// ---------------------------------------------------------------- all together

export function endpointsFile(stateDir: string): string {
  return join(stateDir, 'endpoints.json');
}

export async function infraUp(options: InfraOptions = {}): Promise<InfraEndpoints> {
  const o = resolveOptions(options);
  mkdirSync(o.stateDir, { recursive: true });
  const [postgresUrl, clickhouseUrl, kafka] = await Promise.all([postgresUp(o), clickhouseUp(o), kafkaUp(o)]);
  const endpoints: InfraEndpoints = { postgresUrl, clickhouseUrl, kafkaBrokers: kafka.brokers, kafkaIncarnation: kafka.incarnation, stateDir: o.stateDir };
  writeFileSync(endpointsFile(o.stateDir), `${JSON.stringify(endpoints, null, 2)}\n`);
  return endpoints;
}

export async function infraDown(options: InfraOptions & { purge?: boolean } = {}): Promise<void> {
  const o = resolveOptions(options);
  await stopPid(join(o.stateDir, 'kafka', 'broker.pid'), 'Kafka mock broker', o.log);
  await stopPid(join(o.stateDir, 'clickhouse', 'server.pid'), 'ClickHouse (chdb)', o.log);
  postgresDown(o);
  rmSync(endpointsFile(o.stateDir), { force: true });
  if (options.purge) {
    const link = join(o.stateDir, 'postgres');
    if (existsSync(link) && lstatSync(link).isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
    rmSync(o.stateDir, { recursive: true, force: true });
    o.log(`infra: removed ${o.stateDir}`);
  }
}

export async function infraStatus(options: InfraOptions = {}): Promise<Record<string, string>> {
  const o = resolveOptions(options);
  const brokers = readBrokers(join(o.stateDir, 'kafka', 'bootstrap'));
  return {
    postgres: (await tcpOpen('127.0.0.1', o.pgPort)) ? `up 127.0.0.1:${o.pgPort}` : 'down',
    clickhouse: (await httpOk(`http://127.0.0.1:${o.clickhousePort}/ping`)) ? `up http://127.0.0.1:${o.clickhousePort}` : 'down',
    kafka: (await brokersReachable(brokers)) ? `up ${brokers.join(',')} (in-memory mock)` : 'down',
  };
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const [command, ...flags] = process.argv.slice(2);
  try {
    if (command === 'up') {
      console.log(JSON.stringify(await infraUp(), null, 2));
    } else if (command === 'down') {
      await infraDown({ purge: flags.includes('--purge') });
    } else if (command === 'status') {
      console.log(JSON.stringify(await infraStatus(), null, 2));
    } else {
      console.error('usage: tsx scripts/infra.ts up|down [--purge]|status\n' +
        '  env: TOLLGATE_STATE_DIR (default .state), TOLLGATE_PG_PORT (54329), TOLLGATE_CLICKHOUSE_PORT (18123)');
      process.exit(command === undefined || command === '--help' ? 0 : 2);
    }
  } catch (err) {
    console.error(`infra: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

/** Drops and creates `database` on the server of `postgresUrl` (a test or bench database); returns its URL. */
export async function recreateDatabase(postgresUrl: string, database: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name ${JSON.stringify(database)} is not a plain identifier`);
  const admin = new URL(postgresUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

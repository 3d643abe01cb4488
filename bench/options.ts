/** Command line of `npm run bench -- <scenario> [options]`, with its --help text. */
import { parseArgs } from 'node:util';
import type { ScenarioName } from './report.ts';

// skeleton before ingest: ingest floods usage.events past the mock broker's
// per-partition retention, and a rater reading after it finds its records gone.
export const SCENARIOS: readonly ScenarioName[] = ['uws-ceiling', 'kafka-ceiling', 'clickhouse-ceiling', 'postgres-ceiling', 'skeleton', 'rater', 'ingest', 'ledger', 'radius', 'invoicer'];
export type Command = ScenarioName | 'all';

export interface BenchOptions {
  command: Command;
  /** Length of every time-bounded phase (load of a ceiling, produce/insert loops, pgbench -T). */
  seconds: number;
  connections: number;
  /** Events per HTTP request (uws-ceiling and skeleton). */
  batch: number;
  /** Events the skeleton posts. */
  events: number;
  /** Prepaid bench customers the skeleton spreads events over (0 = the demo customer cust_42 alone). */
  customers: number;
  /** How long the skeleton waits for every accepted event to be rated. */
  timeoutSeconds: number;
  chBatch: number;
  /** Kafka records (of 1000 events) per produce call in the rater scenario. */
  recordsPerProduce: number;
  pgScale: number;
  pgClients: number;
  pgThreads: number;
  keepInfra: boolean;
  jsonOut: string | undefined;
}

export const HELP = `npm run bench -- <scenario> [options]

Prints every figure as readable text and as one line of JSON (last line of
stdout; also saved under bench/results/). Every throughput figure is printed
with the ceiling it is compared to, measured in the same run, and the ratio.
Logs go to stderr. Runs on its own infrastructure (.state/bench, Postgres on
127.0.0.1:54349, ClickHouse/chdb on :18143, an in-memory Kafka mock broker),
started on demand and stopped at the end unless --keep-infra.

Scenarios:
  uws-ceiling         bare uWS server (platform/uws.ts) reading POSTed bodies of
                      --batch CloudEvents: echo (read only), then read + JSON.parse;
                      load from autocannon in a separate process
  kafka-ceiling       raw kafkajs produce (acks=-1) of msgpack records of 1000
                      WireEvents, as ingest packs them; pack-only CPU rate as its ceiling
  clickhouse-ceiling  raw @clickhouse/client inserts, JSONEachRow, batches of
                      --ch-batch usage_rated-shaped rows into a scratch table;
                      INSERT … SELECT FROM numbers() as its ceiling
  postgres-ceiling    pgbench TPC-B (-c/-j) on database tollgate_bench;
                      pgbench select-only as its ceiling
  ingest              ingest alone (no rater): HTTP batches of --batch on
                      --connections, then WebSocket frames, each acked after
                      Kafka; against uws- and kafka-ceiling from the same run
  ledger              ledger transfers/s for batches of 1, 100 and 8,000 against
                      pgbench TPC-B (postgres-ceiling) from the same run
  skeleton            the whole path on a single node: POST --events events in
                      requests of --batch, measure ingest → Kafka ack and
                      ingest → rated in ClickHouse, against uws-, kafka- and
                      clickhouse-ceiling measured first in the same run
  rater               the rating path alone: --events events produced to Kafka
                      as ingest packs them, rated by a RaterService with 1 and
                      then 2 worker threads (Kafka → workers → ClickHouse +
                      Postgres checkpoints); against the bare ClickHouse insert
                      of the same rows in the same run
  invoicer            customers/min of an invoice run for 10,000 customers (or
                      --customers above 1,000), then PDF rendering separately
  all                 every scenario above (ceilings measured once)

Options:
  --seconds N         length of each timed phase (default 5)
  --connections N     HTTP connections of the load generator (default 50)
  --batch N           events per HTTP request (default 100)
  --events N          events the skeleton posts / each rater phase produces
                      (default 100000; bounded so each
                      Kafka partition stays under the mock broker's ≈5 MB)
  --customers N       prepaid customers the skeleton spreads events over
                      (default 100; 0 = the demo customer cust_42 alone)
  --timeout N         seconds the skeleton waits for all events to be rated (default 120)
  --ch-batch N        rows per ClickHouse insert in clickhouse-ceiling (default 10000)
  --records-per-produce N
                      rater: Kafka records of 1000 events per produce call, which
                      with the mock broker is also the records per rater batch (default 10)
  --pg-scale N        pgbench -i scale factor (default 8: at least one branch per client)
  --pg-clients N      pgbench -c (default 8)
  --pg-threads N      pgbench -j (default 2)
  --keep-infra        leave the bench infrastructure running at the end
  --json-out FILE     also write the JSON report to FILE
  -h, --help          this text

Environment: TOLLGATE_* variables tune the single node (e.g. TOLLGATE_RATER_WORKERS,
TOLLGATE_INGEST_LINGER_MS); endpoints, port and consumer group are set by the bench.
`;

export class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number, max: number, min = 1): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} expects an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be ${min}..${max}, got ${value}`);
  return value;
}

/** Returns undefined when --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        seconds: { type: 'string' }, connections: { type: 'string' }, batch: { type: 'string' }, events: { type: 'string' },
        customers: { type: 'string' }, timeout: { type: 'string' }, 'ch-batch': { type: 'string' }, 'records-per-produce': { type: 'string' }, 'pg-scale': { type: 'string' },
        'pg-clients': { type: 'string' }, 'pg-threads': { type: 'string' }, 'keep-infra': { type: 'boolean' },
        'json-out': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return undefined;
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name a scenario' : `one scenario at a time, got ${positionals.join(' ')}`);
  const command = positionals[0]!;
  if (command !== 'all' && !(SCENARIOS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown scenario "${command}"; expected one of ${[...SCENARIOS, 'all'].join(', ')}`);
  }
  const options: BenchOptions = {
    command: command as Command,
    seconds: positiveInt('seconds', values.seconds, 5, 600),
    connections: positiveInt('connections', values.connections, 50, 1000),
    batch: positiveInt('batch', values.batch, 100, 10_000),
    events: positiveInt('events', values.events, 100_000, 2_000_000),
    customers: positiveInt('customers', values.customers, 100, 100_000, 0),
    timeoutSeconds: positiveInt('timeout', values.timeout, 120, 3600),
    chBatch: positiveInt('ch-batch', values['ch-batch'], 10_000, 1_000_000),
    recordsPerProduce: positiveInt('records-per-produce', values['records-per-produce'], 10, 100),
    pgScale: positiveInt('pg-scale', values['pg-scale'], 8, 1000),
    pgClients: positiveInt('pg-clients', values['pg-clients'], 8, 200),
    pgThreads: positiveInt('pg-threads', values['pg-threads'], 2, 64),
    keepInfra: values['keep-infra'] === true,
    jsonOut: values['json-out'],
  };
  if (options.events % options.batch !== 0) throw new UsageError(`--events (${options.events}) must be a multiple of --batch (${options.batch})`);
  if (options.events / options.batch < options.connections) {
    throw new UsageError(`--events / --batch = ${options.events / options.batch} requests is fewer than --connections (${options.connections})`);
  }
  if (options.pgThreads > options.pgClients) throw new UsageError('--pg-threads cannot exceed --pg-clients');
  return options;
}

export function optionsForReport(o: BenchOptions): Record<string, string | number | boolean | null> {
  return {
    seconds: o.seconds, connections: o.connections, batch: o.batch, events: o.events, customers: o.customers,
    timeoutSeconds: o.timeoutSeconds, chBatch: o.chBatch, recordsPerProduce: o.recordsPerProduce, pgScale: o.pgScale, pgClients: o.pgClients, pgThreads: o.pgThreads,
    keepInfra: o.keepInfra,
  };
}

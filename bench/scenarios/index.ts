/** The scenarios, what each needs measured first, and how to run them in order. */
import type { BenchContext } from '../context.ts';
import type { BenchOptions } from '../options.ts';
import type { ScenarioName, ScenarioOutcome, ScenarioResult } from '../report.ts';

// Scenario modules load on first use: a scenario only needs its own part of
// the tree to load (uws-ceiling does not import the ledger, for instance).

export interface ScenarioDefinition {
  name: ScenarioName;
  title: (o: BenchOptions) => string;
  /** Ceilings this scenario compares to; they run first, once per bench run. */
  requires: ScenarioName[];
  run: (ctx: BenchContext, prior: ReadonlyMap<ScenarioName, ScenarioResult>) => Promise<ScenarioOutcome>;
}

export const SCENARIO_DEFINITIONS: Record<ScenarioName, ScenarioDefinition> = {
  'uws-ceiling': {
    name: 'uws-ceiling',
    title: (o) => `bare uWS server, POST bodies of ${o.batch} CloudEvents, autocannon ${o.connections} connections × ${o.seconds} s in a separate process`,
    requires: [],
    run: async (ctx) => (await import('./uws-ceiling.ts')).runUwsCeiling(ctx),
  },
  'kafka-ceiling': {
    name: 'kafka-ceiling',
    title: (o) => `raw kafkajs produce, acks=-1, msgpack records of 1000 events, ≤ ${o.seconds} s, bounded per partition`,
    requires: [],
    run: async (ctx) => (await import('./kafka-ceiling.ts')).runKafkaCeiling(ctx),
  },
  'clickhouse-ceiling': {
    name: 'clickhouse-ceiling',
    title: (o) => `raw @clickhouse/client JSONEachRow inserts of ${o.chBatch}-row batches (usage_rated shape), ≤ ${o.seconds} s`,
    requires: [],
    run: async (ctx) => (await import('./clickhouse-ceiling.ts')).runClickhouseCeiling(ctx),
  },
  'postgres-ceiling': {
    name: 'postgres-ceiling',
    title: (o) => `pgbench TPC-B, scale ${o.pgScale}, -c ${o.pgClients} -j ${o.pgThreads} -T ${o.seconds}, database tollgate_bench`,
    requires: [],
    run: async (ctx) => (await import('./postgres-ceiling.ts')).runPostgresCeiling(ctx),
  },
  ingest: {
    name: 'ingest',
    title: (o) => `ingest alone: HTTP batches of ${o.batch} on ${o.connections} connections and WebSocket frames, ${o.seconds} s each, acked after Kafka`,
    requires: ['uws-ceiling', 'kafka-ceiling'],
    run: async (ctx, prior) => (await import('./ingest.ts')).runIngest(ctx, prior),
  },
  ledger: {
    name: 'ledger',
    title: (o) => `ledger transfers/s, batches of 1, 100 and 8,000, ${o.seconds} s each`,
    requires: ['postgres-ceiling'],
    run: async (ctx, prior) => (await import('./ledger.ts')).runLedger(ctx, prior),
  },
  rater: {
    name: 'rater',
    title: (o) => `rater alone: ${o.events} events per phase from Kafka, 1 and 2 worker threads, vs the bare ClickHouse insert of the same rows`,
    requires: [],
    run: async (ctx) => (await import('./rater.ts')).runRater(ctx),
  },
  radius: {
    name: 'radius',
    title: (o) => `RADIUS accounting packets/s, acked after Kafka and the session write, simulator load from a worker thread, ${o.seconds} s, vs a bare UDP echo`,
    requires: [],
    run: async (ctx) => (await import('./radius.ts')).runRadius(ctx),
  },
  invoicer: {
    name: 'invoicer',
    title: (o) => `invoice run: customers/min for ${o.customers > 1000 ? o.customers : 10_000} customers (no PDFs), then PDF rendering separately`,
    requires: [],
    run: async (ctx) => (await import('./invoicer.ts')).runInvoicerBench(ctx),
  },
  skeleton: {
    name: 'skeleton',
    title: (o) => `single node end to end: ${o.events} events in requests of ${o.batch}, ${o.connections} connections, ${o.customers || 1} customers`,
    requires: ['uws-ceiling', 'kafka-ceiling', 'clickhouse-ceiling'],
    run: async (ctx, prior) => (await import('./skeleton.ts')).runSkeleton(ctx, prior),
  },
};

/** The scenarios to run for a command, prerequisites first, each once. */
export function plan(names: readonly ScenarioName[]): ScenarioDefinition[] {
  const ordered: ScenarioDefinition[] = [];
  const visit = (name: ScenarioName): void => {
    if (ordered.some((d) => d.name === name)) return;
    const definition = SCENARIO_DEFINITIONS[name];
    for (const required of definition.requires) visit(required);
    ordered.push(definition);
  };
  for (const name of names) visit(name);
  return ordered;
}

/**
 * rater: the rating path alone, end to end — Kafka → Piscina workers →
 * ClickHouse (events_raw, usage_rated and its views) → Postgres (wallet debits
 * and checkpoints) — with no ingest in front. For each worker pool size in
 * RATER_THREADS: produce --events fresh events to usage.events as ingest
 * packs them (msgpack records of EVENTS_PER_RECORD, partitioned by subject),
 * then start a RaterService (its own consumer group; checkpoints carry on
 * from the previous phase) and time it until every event is a row of
 * usage_rated.
 *
 * Same-run ceiling: the bare ClickHouse insert of the very rows the rater
 * wrote (read back as JSONEachRow), in batches of the size the rater's
 * batches had, through the same writer (two inserts per batch with dedup
 * tokens) into scratch copies of the same DDL (views included) — no Kafka,
 * no workers, no Postgres. rater / bare is the share of the ClickHouse write
 * ceiling the whole pipeline reaches.
 */
import { Packr } from 'msgpackr';
import { DEMO, seedDemo } from '../../cli/demo-data.ts';
import { partitionFor } from '../../ingest/index.ts';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../../platform/clickhouse.ts';
import { connectKafka } from '../../platform/kafka.ts';
import { registry } from '../../platform/metrics.ts';
import { connectPostgres, migratePostgres } from '../../platform/postgres.ts';
import { writeBatchRows, type BatchTables } from '../../rater/clickhouse-writer.ts';
import { adoptBrokerIncarnation, RaterService } from '../../rater/index.ts';
import { CLICKHOUSE_DDL, CLICKHOUSE_OBJECTS_DROP_ORDER } from '../../schemas/clickhouse/ddl.ts';
import { TOPICS, WIRE_SCHEMA_VERSION, type WireEvent } from '../../schemas/event.ts';
import { BENCH_INFRA, benchLogger, PARTITION_BYTES_BUDGET, type BenchContext, type LogTally } from '../context.ts';
import { contentionNote, CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { benchSubjects, tokensOf, wireEvents } from '../events.ts';
import { RatedPoller, type RatedSample } from '../rated-poller.ts';
import { comparisons, compareTo, type DetailValue, type Figure, type ScenarioOutcome } from '../report.ts';
import { seedBenchCustomers } from '../seed.ts';

const RATER_THREADS = [1, 2] as const;
const EVENTS_PER_RECORD = 1000;
const RECORD_OVERHEAD_BYTES = 200;
const STALL_SECONDS = 60;
const SCRATCH_PREFIX = 'bench_rater_';

interface Phase {
  threads: number;
  /** Batch count, records, seconds (sums over batches) and ClickHouse call times. */
  profile: string[];
  source: string;
  events: number;
  eventsPerSecond: number;
  /** From rater start (consumer group join included) to all rated. */
  withJoinSeconds: number;
  /** From the first rated rows seen to all rated. */
  ratingSeconds: number;
  batches: number;
  cpu: Record<string, number>;
  problems: string[];
}

function packRecord(packr: Packr, events: WireEvent[]): Buffer {
  return Buffer.from(packr.pack(events));
}

/** Wall time the rater spent in ClickHouse calls, by kind (first words of the statement). */
type CallTimes = Map<string, { calls: number; seconds: number }>;

/** The rater's ClickHouse client, timing every call: where a batch's time goes. */
function timedClient(client: ClickHouseClient, times: CallTimes): ClickHouseClient {
  const kindOf = (query: string): string => {
    const insert = /^\s*INSERT INTO (\w+)/i.exec(query);
    if (insert) return `INSERT ${insert[1]}`;
    return /FROM usage_rated/i.test(query) ? 'SELECT usage_rated (duplicate check)' : query.trim().split(/\s+/).slice(0, 2).join(' ');
  };
  const timed = <A extends { query: string }, R>(call: (args: A) => Promise<R>) => async (args: A): Promise<R> => {
    const started = performance.now();
    try {
      return await call(args);
    } finally {
      const kind = kindOf(args.query);
      const entry = times.get(kind) ?? { calls: 0, seconds: 0 };
      entry.calls++;
      entry.seconds += (performance.now() - started) / 1000;
      times.set(kind, entry);
    }
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !['query', 'exec', 'command'].includes(String(property))) return value;
      return timed((value as (a: { query: string }) => Promise<unknown>).bind(target));
    },
  });
}

async function histogramTotals(name: string): Promise<{ count: number; sum: number }> {
  const metric = registry.getSingleMetric(name);
  const values = (metric ? (await metric.get()).values : []) as { metricName?: string; value: number }[];
  const total = (suffix: string): number => values.filter((v) => v.metricName === `${name}_${suffix}`).reduce((s, v) => s + v.value, 0);
  return { count: total('count'), sum: total('sum') };
}

/**
 * Produces `events` as ingest would: per partition (by subject), records of
 * EVENTS_PER_RECORD, `recordsPerProduce` records per send (ingest sends every
 * batch sealed while the previous send was in flight: several under load), acks=-1.
 * The mock broker answers a fetch with one record batch (= one send) per
 * partition, so this is also how many records the rater gets per batch.
 */
async function produce(ctx: BenchContext, events: WireEvent[], partitions: number, recordsPerProduce: number): Promise<{ records: number; maxPartitionBytes: number }> {
  const kafka = connectKafka((await ctx.infra()).kafkaBrokers, 'tollgate-bench-rater', ctx.log);
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 16 });
  await producer.connect();
  const packr = new Packr({ useRecords: true });
  const byPartition = Array.from({ length: partitions }, () => [] as WireEvent[]);
  for (const e of events) byPartition[partitionFor(e.tenant, e.subject, partitions)]!.push(e);
  const bytes = new Array<number>(partitions).fill(0);
  let records = 0;
  try {
    await Promise.all(byPartition.map(async (list, partition) => {
      for (let i = 0; i < list.length; i += EVENTS_PER_RECORD * recordsPerProduce) {
        const messages = [];
        for (let j = i; j < Math.min(list.length, i + EVENTS_PER_RECORD * recordsPerProduce); j += EVENTS_PER_RECORD) {
          const chunk = list.slice(j, j + EVENTS_PER_RECORD);
          const value = packRecord(packr, chunk);
          bytes[partition]! += value.length + RECORD_OVERHEAD_BYTES;
          messages.push({ partition, key: String(partition), value, headers: { 'schema-version': WIRE_SCHEMA_VERSION, 'ingested-at': String(Date.now()), 'event-count': String(chunk.length) } });
        }
        if (bytes[partition]! > PARTITION_BYTES_BUDGET) {
          throw new Error(`partition ${partition} would hold over ${PARTITION_BYTES_BUDGET} bytes of this phase: lower --events or raise --customers`);
        }
        await producer.send({ topic: TOPICS.usageEvents, acks: -1, timeout: 10_000, messages });
        records += messages.length;
      }
    }));
  } finally {
    await producer.disconnect();
  }
  return { records, maxPartitionBytes: Math.max(...bytes) };
}

async function ratedCheck(client: ClickHouseClient, source: string): Promise<{ rated: number; distinct: number; raw: number; amountMicros: bigint }> {
  const result = await client.query({
    query: `SELECT count() AS rated, uniqExact(id) AS distinct_ids, toString(sum(amount_micros)) AS amount,
              (SELECT count() FROM events_raw WHERE source = {source:String}) AS raw
            FROM usage_rated WHERE source = {source:String}`,
    query_params: { source },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rated: string | number; distinct_ids: string | number; amount: string; raw: string | number }>();
  return { rated: Number(row?.rated ?? 0), distinct: Number(row?.distinct_ids ?? 0), raw: Number(row?.raw ?? 0), amountMicros: BigInt(row?.amount ?? '0') };
}

async function runPhase(ctx: BenchContext, threads: number, subjects: readonly string[], partitions: number, recordsPerProduce: number): Promise<Phase & { maxPartitionBytes: number }> {
  const config = await ctx.config();
  const source = `bench-rater-${ctx.runId}-t${threads}`;
  const events = wireEvents(ctx.options.events, config.defaultTenant, source, subjects, `br-${ctx.runId}-t${threads}`);
  ctx.say(`rater: producing ${events.length} events for the ${threads}-thread phase`);
  const produced = await produce(ctx, events, partitions, recordsPerProduce);
  const endpoints = await ctx.infra();
  const postgres = connectPostgres(config.postgresUrl, 4);
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  const poller = new RatedPoller(clickhouse, source);
  const raterLog: LogTally = { errors: 0, warnings: 0, samples: [] };
  const callTimes: CallTimes = new Map();
  const batchesBefore = await histogramTotals('tollgate_rater_batch_seconds');
  const recordsBefore = await histogramTotals('tollgate_rater_batch_records');
  const rater = new RaterService({
    kafka: connectKafka(endpoints.kafkaBrokers, `tollgate-bench-rater-${threads}`, ctx.log),
    db: postgres.db, clickhouse: timedClient(clickhouse, callTimes), log: benchLogger(config.logLevel, raterLog),
    topic: TOPICS.usageEvents, groupId: `bench-rater-${ctx.runId}-t${threads}`, workerThreads: threads,
  });
  const problems: string[] = [];
  try {
    ctx.say(`rater: rating with ${threads} worker thread(s)`);
    const cpuMeter = new CpuMeter(infraProcesses(ctx.stateDir));
    const startedAtMs = Date.now();
    cpuMeter.start();
    await rater.start();
    poller.start();
    // The first sample that sees rows marks the start of rating proper (the group join is behind it).
    let first: RatedSample | undefined;
    const firstWatch = setInterval(() => {
      if (!first && poller.latest.count > 0) first = poller.latest;
    }, 10);
    const waited = await poller.waitFor(events.length, startedAtMs + ctx.options.timeoutSeconds * 1000, STALL_SECONDS * 1000);
    clearInterval(firstWatch);
    const cpu = cpuMeter.stop();
    await poller.stop();
    const done = 'sample' in waited ? waited.sample : poller.latest;
    if ('gaveUp' in waited) problems.push(`${threads} thread(s): ${waited.gaveUp} with ${poller.latest.count} of ${events.length} rated`);
    const check = await ratedCheck(clickhouse, source);
    let expected = 0n;
    for (let n = 0; n < events.length; n++) expected += BigInt(tokensOf(n)) * DEMO.unitPriceMicros;
    if (check.rated !== events.length || check.distinct !== events.length) problems.push(`${threads} thread(s): usage_rated holds ${check.rated} rows, ${check.distinct} distinct, of ${events.length}`);
    if (check.raw !== events.length) problems.push(`${threads} thread(s): events_raw holds ${check.raw} rows of ${events.length}`);
    if (check.amountMicros !== expected) problems.push(`${threads} thread(s): rated ${check.amountMicros} micros, expected ${expected}`);
    if (raterLog.errors > 0) problems.push(`${threads} thread(s): the rater logged ${raterLog.errors} errors, e.g. ${raterLog.samples.join('; ')}`);
    // Rated before the first sample saw rows: the first sample itself (or, if polling missed it, the run from the start).
    const from = first && first.atMs < done.atMs ? first : { atMs: startedAtMs, count: 0 };
    const ratingSeconds = Math.max(0.001, (done.atMs - from.atMs) / 1000);
    const batches = await histogramTotals('tollgate_rater_batch_seconds');
    const records = await histogramTotals('tollgate_rater_batch_records');
    const batchCount = batches.count - batchesBefore.count;
    const profile = [
      `${batchCount} batches, ${((records.sum - recordsBefore.sum) / Math.max(1, batchCount)).toFixed(1)} records (×${EVENTS_PER_RECORD} events) each, ` +
        `${(batches.sum - batchesBefore.sum).toFixed(2)} s in batches (summed over concurrent partitions)`,
      ...[...callTimes].map(([kind, t]) => `${kind}: ${t.calls} calls, ${t.seconds.toFixed(2)} s (${((t.seconds / t.calls) * 1000).toFixed(0)} ms each)`),
    ];
    return {
      threads, source, events: events.length, problems, cpu, maxPartitionBytes: produced.maxPartitionBytes, profile,
      eventsPerSecond: (events.length - from.count) / ratingSeconds,
      withJoinSeconds: (done.atMs - startedAtMs) / 1000,
      ratingSeconds,
      batches: produced.records,
    };
  } finally {
    await rater.stop().catch((err: unknown) => ctx.log.warn({ err }, 'rater stop failed'));
    await clickhouse.close();
    await postgres.close();
  }
}

/** Scratch copies of every ClickHouse object (tables and views), same DDL, other names. */
function scratchDdl(): string[] {
  const names = [...CLICKHOUSE_OBJECTS_DROP_ORDER].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`\\b(${names.join('|')})\\b`, 'g');
  return CLICKHOUSE_DDL.map((statement) => statement.replace(pattern, (name) => `${SCRATCH_PREFIX}${name}`));
}

async function dropScratch(client: ClickHouseClient): Promise<void> {
  for (const name of CLICKHOUSE_OBJECTS_DROP_ORDER) await client.command({ query: `DROP TABLE IF EXISTS ${SCRATCH_PREFIX}${name}` });
}

/** JSONEachRow lines of a table's rows of one source, as the server prints them. */
async function rowsOf(client: ClickHouseClient, table: string, source: string): Promise<string[]> {
  const result = await client.query({ query: `SELECT * FROM ${table} WHERE source = {source:String} ORDER BY kafka_partition, kafka_offset`, query_params: { source }, format: 'JSONEachRow' });
  return (await result.text()).split('\n').filter((line) => line !== '');
}

/** Inserts the rows the rater wrote, in batches of `batchEvents`, through the rater's writer. */
async function bareInsert(ctx: BenchContext, client: ClickHouseClient, source: string, batchEvents: number): Promise<{ seconds: number; events: number; cpu: Record<string, number> }> {
  await dropScratch(client);
  for (const statement of scratchDdl()) await client.command({ query: statement });
  const raw = await rowsOf(client, 'events_raw', source);
  const rated = await rowsOf(client, 'usage_rated', source);
  const tables: BatchTables = { raw: `${SCRATCH_PREFIX}events_raw`, rated: `${SCRATCH_PREFIX}usage_rated` };
  const bodies: { raw: Uint8Array; rated: Uint8Array }[] = [];
  for (let i = 0; i < raw.length; i += batchEvents) {
    bodies.push({
      raw: Buffer.from(`${raw.slice(i, i + batchEvents).join('\n')}\n`),
      rated: Buffer.from(`${rated.slice(i, i + batchEvents).join('\n')}\n`),
    });
  }
  ctx.say(`rater: bare insert of the same ${raw.length} + ${rated.length} rows in ${bodies.length} batches`);
  const cpuMeter = new CpuMeter(infraProcesses(ctx.stateDir)).start();
  const started = performance.now();
  for (const [i, body] of bodies.entries()) await writeBatchRows(client, `bench-bare@${ctx.runId}:0:${i}`, { rawJson: body.raw, ratedJson: body.rated }, tables);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, events: raw.length, cpu: cpuMeter.stop() };
}

export async function runRater(ctx: BenchContext): Promise<ScenarioOutcome> {
  const o = ctx.options;
  const config = await ctx.config();
  const subjects = benchSubjects(o.customers, DEMO.subject);
  const partitions = BENCH_INFRA.topics![TOPICS.usageEvents]!;
  const seeding = connectPostgres(config.postgresUrl, 4);
  try {
    await migratePostgres(seeding.db);
    await seedDemo(seeding.db, config.defaultTenant);
    if (o.customers > 0) await seedBenchCustomers(seeding.db, config.defaultTenant, subjects);
    // A fresh in-memory broker starts its offsets at 0 again: start a new checkpoint epoch, as `tollgate dev` does.
    await adoptBrokerIncarnation(seeding.db, TOPICS.usageEvents, (await ctx.infra()).kafkaIncarnation);
  } finally {
    await seeding.close();
  }
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  ctx.onCleanup('rater scratch tables', async () => {
    const client = connectClickhouse(config.clickhouseUrl);
    await dropScratch(client).finally(() => client.close());
  });
  try {
    await applyClickhouseSchema(clickhouse);
    const phases: (Phase & { maxPartitionBytes: number })[] = [];
    for (const threads of RATER_THREADS) phases.push(await runPhase(ctx, threads, subjects, partitions, o.recordsPerProduce));
    // Batches as large as the rater's: one produce call's records per partition fetch (mock broker).
    const batchEvents = Math.min(o.recordsPerProduce * EVENTS_PER_RECORD, Math.ceil(o.events / partitions));
    const bare = await bareInsert(ctx, clickhouse, phases[phases.length - 1]!.source, batchEvents);
    const bareFigure: Figure = {
      id: 'bare_insert_events_per_s', label: `bare ClickHouse insert of the same rows (events_raw + usage_rated + views), batches of ${batchEvents}`,
      value: bare.events / bare.seconds, unit: 'events/s', role: 'ceiling', comparisons: [],
      reference: 'DESIGN §10: client batches of 10k small rows ≈ 400k rows/s',
    };
    const figures: Figure[] = [bareFigure];
    const details: Record<string, DetailValue> = {};
    for (const phase of phases) {
      figures.push({
        id: `rated_events_per_s_t${phase.threads}`, label: `rated end to end, ${phase.threads} worker thread(s): Kafka → workers → ClickHouse + Postgres checkpoints`,
        value: phase.eventsPerSecond, unit: 'events/s', role: 'measure',
        comparisons: comparisons(compareTo(phase.eventsPerSecond, 'rater', bareFigure)),
        target: { bar: 100_000, goal: 500_000 },
      });
      details[`${phase.threads} thread(s): seconds rating / with group join`] = `${phase.ratingSeconds.toFixed(2)} / ${phase.withJoinSeconds.toFixed(2)}`;
      details[`${phase.threads} thread(s): CPU % bench+rater / ClickHouse / Postgres / broker / other`] =
        [phase.cpu.self, phase.cpu.clickhouse, phase.cpu.postgres, phase.cpu.kafka, otherCpuPercent(phase.cpu)].map((v) => (v === undefined ? '?' : v.toFixed(0))).join(' / ');
      details[`${phase.threads} thread(s): where the time went`] = phase.profile.join('; ');
      details[`${phase.threads} thread(s): Kafka records (busiest partition MB)`] = `${phase.batches} (${(phase.maxPartitionBytes / 1048576).toFixed(2)})`;
    }
    details['events per phase'] = o.events;
    details['records per produce (= per rater batch with the mock broker)'] = `${o.recordsPerProduce} × ${EVENTS_PER_RECORD} events`;
    details['customers (subjects)'] = subjects.length;
    details['bare insert seconds'] = bare.seconds;
    details['bare insert CPU % bench / ClickHouse'] = `${bare.cpu.self?.toFixed(0) ?? '?'} / ${bare.cpu.clickhouse?.toFixed(0) ?? '?'}`;
    const problems = phases.flatMap((p) => p.problems);
    const notes = phases.map((p) => contentionNote(otherCpuPercent(p.cpu), `the ${p.threads}-thread phase`)).filter((n): n is string => n !== undefined);
    if (phases.length === 2) {
      notes.push(`2 threads / 1 thread = ${(phases[1]!.eventsPerSecond / phases[0]!.eventsPerSecond).toFixed(2)}; the 2-thread phase runs second, ` +
        'against a usage_rated that already holds the first phase\'s rows (the duplicate check reads more), with twice the partitions in flight ' +
        'on the one-request-at-a-time chdb endpoint');
    }
    return { ok: problems.length === 0, ...(problems.length > 0 ? { error: problems.join('; ') } : {}), figures, details, notes };
  } finally {
    await clickhouse.close();
  }
}

/**
 * skeleton: the whole path on one node. Seeds the demo data and --customers
 * prepaid bench customers, starts a single node (startSingleNode, port 0, its
 * own consumer group), then a load generator in a separate process posts
 * --events events in requests of --batch (every id unique, subjects spread
 * over the customers) on --connections connections. Measures
 *   (a) ingest → Kafka ack: accepted events / load time, request latency,
 *   (b) end to end: from the first request until every accepted event is a
 *       row of usage_rated (polled), and checks counts and amounts after.
 * Compared with uws-ceiling, kafka-ceiling and clickhouse-ceiling from the
 * same run.
 */
import { DEMO, seedDemo } from '../../cli/demo-data.ts';
import { startSingleNode } from '../../cli/single-node.ts';
import { createApiKey } from '../../ingest/index.ts';
import { connectClickhouse } from '../../platform/clickhouse.ts';
import { connectPostgres, migratePostgres } from '../../platform/postgres.ts';
import { TOPICS } from '../../schemas/event.ts';
import { BENCH_INFRA, benchLogger, PARTITION_BYTES_BUDGET, type BenchContext, type LogTally } from '../context.ts';
import { contentionNote, CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { benchSubjects, tokensOf } from '../events.ts';
import { projectPartitions } from '../kafka-budget.ts';
import type { LoadResult } from '../load/protocol.ts';
import { prepareLoad } from '../load/run-load.ts';
import { countRows, RatedPoller } from '../rated-poller.ts';
import { comparisons, compareWith, type DetailValue, type ScenarioName, type ScenarioOutcome, type ScenarioResult } from '../report.ts';
import { seedBenchCustomers } from '../seed.ts';

/** Give up waiting for the rater once the rated count has not moved for this long. */
const STALL_SECONDS = 30;

function cpuText(cpu: Record<string, number>, loadGenerator: number | undefined): string {
  const parts = [`tollgate node ${cpu.self?.toFixed(0) ?? '?'}`];
  if (loadGenerator !== undefined) parts.push(`load generator ${loadGenerator.toFixed(0)}`);
  for (const name of ['clickhouse', 'postgres', 'kafka']) if (cpu[name] !== undefined) parts.push(`${name} ${cpu[name]!.toFixed(0)}`);
  parts.push(`other processes ${otherCpuPercent(cpu, loadGenerator ?? 0).toFixed(0)}`);
  return parts.join(', ');
}

interface Verification {
  rated: number;
  ratedDistinct: number;
  raw: number;
  amountMicros: bigint;
}

async function verify(client: ReturnType<typeof connectClickhouse>, source: string): Promise<Verification> {
  const result = await client.query({
    query: `SELECT count() AS rated, uniqExact(id) AS distinct_ids, toString(sum(amount_micros)) AS amount
            FROM usage_rated WHERE source = {source:String}`,
    query_params: { source },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rated: string | number; distinct_ids: string | number; amount: string }>();
  return {
    rated: Number(row?.rated ?? 0),
    ratedDistinct: Number(row?.distinct_ids ?? 0),
    raw: await countRows(client, 'events_raw', source),
    amountMicros: BigInt(row?.amount ?? '0'),
  };
}

export async function runSkeleton(ctx: BenchContext, prior: ReadonlyMap<ScenarioName, ScenarioResult>): Promise<ScenarioOutcome> {
  const o = ctx.options;
  const requests = o.events / o.batch;
  const config = await ctx.config({ TOLLGATE_RATER_GROUP: `bench-rater-${ctx.runId}` });
  const tenant = config.defaultTenant;
  const source = `bench-skeleton-${ctx.runId}`;
  const subjects = benchSubjects(o.customers, DEMO.subject);

  const partitions = BENCH_INFRA.topics![TOPICS.usageEvents]!;
  const projection = projectPartitions(o.events, tenant, subjects, partitions);
  if (projection.maxPartitionBytes > PARTITION_BYTES_BUDGET) {
    throw new Error(`--events ${o.events} would put ≈${(projection.maxPartitionBytes / 1048576).toFixed(1)} MB on one ${TOPICS.usageEvents} partition; ` +
      `the mock broker keeps ≈5 MB (DESIGN §10). Use --events ≤ ${projection.maxEvents - (projection.maxEvents % o.batch)} or more --customers.`);
  }

  ctx.say(`skeleton: seeding demo data and ${subjects.length} customers`);
  const seedStarted = performance.now();
  const seeding = connectPostgres(config.postgresUrl, 4);
  let apiKey: string;
  try {
    await migratePostgres(seeding.db);
    await seedDemo(seeding.db, tenant);
    if (o.customers > 0) await seedBenchCustomers(seeding.db, tenant, subjects);
    // Ingest as a client does: with an API key of the tenant (the node runs with TOLLGATE_AUTH_MODE as configured, default required).
    apiKey = (await createApiKey(seeding.db, tenant, `bench ${ctx.runId}`)).key;
  } finally {
    await seeding.close();
  }
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  ctx.say('skeleton: starting the single node');
  const nodeStarted = performance.now();
  const nodeLog: LogTally = { errors: 0, warnings: 0, samples: [] };
  const node = await startSingleNode(config, benchLogger(config.logLevel, nodeLog), { embeddedBrokerIncarnation: (await ctx.infra()).kafkaIncarnation });
  const nodeStartSeconds = (performance.now() - nodeStarted) / 1000;
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  const poller = new RatedPoller(clickhouse, source);
  try {
    const load = await prepareLoad({
      url: `${node.url}/v1/events`, contentType: 'application/json', headers: { authorization: `Bearer ${apiKey}` }, connections: o.connections,
      seconds: o.timeoutSeconds, requests, warmupSeconds: 0, countAccepted: true, requestTimeoutSeconds: 30,
      bodies: { kind: 'unique', requests, batch: { idPrefix: `sk-${ctx.runId}`, source, subjects, eventsPerRequest: o.batch } },
    });
    ctx.say(`skeleton: posting ${o.events} events in ${requests} requests on ${o.connections} connections`);
    const processes = infraProcesses(ctx.stateDir);
    let ingestCpu = new CpuMeter(processes);
    let loadResult: LoadResult;
    try {
      loadResult = await load.go(() => {
        ingestCpu.start();
        poller.start();
      });
    } finally {
      load.kill();
    }
    const ingestCpuPercent = ingestCpu.stop();
    const atLoadEnd = poller.latest;
    const accepted = loadResult.acceptedEvents ?? 0;

    ctx.say(`skeleton: ${accepted} events acknowledged; waiting up to ${o.timeoutSeconds} s for all of them in usage_rated`);
    ingestCpu = new CpuMeter(processes).start();
    const deadline = loadResult.startedAtMs + o.timeoutSeconds * 1000;
    const waited = accepted > 0 ? await poller.waitFor(accepted, deadline, STALL_SECONDS * 1000) : { gaveUp: 'nothing acknowledged' as const };
    const allRated = 'sample' in waited ? waited.sample : undefined;
    const drainCpuPercent = ingestCpu.stop();
    await poller.stop();
    const checks = await verify(clickhouse, source);

    const ingestSeconds = loadResult.wallSeconds;
    const ingestEventsPerSecond = accepted / ingestSeconds;
    const ingestRequestsPerSecond = loadResult.responses2xx / ingestSeconds;
    const e2eSeconds = allRated ? (allRated.atMs - loadResult.startedAtMs) / 1000 : undefined;
    const e2eEventsPerSecond = e2eSeconds ? accepted / e2eSeconds : checks.rated / ((Date.now() - loadResult.startedAtMs) / 1000);
    const uws = prior.get('uws-ceiling');
    const kafka = prior.get('kafka-ceiling');
    const ch = prior.get('clickhouse-ceiling');

    let expectedAmount = 0n;
    for (let n = 0; n < o.events; n++) expectedAmount += BigInt(tokensOf(n)) * DEMO.unitPriceMicros;
    const allAccepted = accepted === o.events;
    const statuses = Object.entries(loadResult.statusCounts).map(([code, n]) => `${code}×${n}`).join(' ');
    const problems: string[] = [];
    if (!allAccepted) problems.push(`${o.events - accepted} of ${o.events} events were not acknowledged (statuses ${statuses})`);
    if ('gaveUp' in waited && waited.gaveUp === 'stalled') {
      problems.push(`rating stalled: ${checks.rated} of ${accepted} acknowledged events rated, no progress for ${STALL_SECONDS} s`);
    } else if ('gaveUp' in waited && waited.gaveUp === 'timeout') {
      problems.push(`only ${checks.rated} of ${accepted} acknowledged events were rated within ${o.timeoutSeconds} s`);
    }
    if (nodeLog.errors > 0) problems.push(`the node logged ${nodeLog.errors} errors, e.g. ${nodeLog.samples.map((m) => `"${m}"`).join(', ')}`);
    if (checks.rated !== checks.ratedDistinct) problems.push(`usage_rated holds ${checks.rated - checks.ratedDistinct} duplicate rows (before merges)`);
    if (allAccepted && allRated && checks.amountMicros !== expectedAmount) problems.push(`rated amount ${checks.amountMicros} micros, expected ${expectedAmount}`);

    const details: Record<string, DetailValue> = {
      'events posted / acknowledged': `${o.events} / ${accepted}`,
      'requests (statuses)': `${requests} (${statuses || 'none'})`,
      'connection errors / timeouts': `${loadResult.errors} / ${loadResult.timeouts}`,
      'request body bytes (avg)': loadResult.bodyBytesAvg,
      'customers (subjects)': subjects.length,
      'request latency p50 / p90 / p99 / max ms': `${loadResult.latencyMs.p50.toFixed(1)} / ${loadResult.latencyMs.p90.toFixed(1)} / ${loadResult.latencyMs.p99.toFixed(1)} / ${loadResult.latencyMs.max.toFixed(1)}`,
      'ingest seconds (first request → last ack)': ingestSeconds,
      'rated when the last ack came': atLoadEnd.count,
      'end-to-end seconds (first request → all rated)': e2eSeconds ?? null,
      'drain seconds (last ack → all rated)': allRated ? (allRated.atMs - loadResult.finishedAtMs) / 1000 : null,
      'rater events/s after the last ack': allRated && allRated.atMs > loadResult.finishedAtMs
        ? (accepted - atLoadEnd.count) / ((allRated.atMs - loadResult.finishedAtMs) / 1000) : null,
      'completion resolution ms (poll interval)': allRated ? allRated.atMs - poller.previous.atMs : null,
      'usage_rated rows / distinct ids / events_raw rows': `${checks.rated} / ${checks.ratedDistinct} / ${checks.raw}`,
      'rated amount micros (expected)': `${checks.amountMicros} (${allAccepted ? expectedAmount : 'n/a'})`,
      'CPU % during ingest': cpuText(ingestCpuPercent, loadResult.cpuPercent),
      'CPU % during drain': cpuText(drainCpuPercent, undefined),
      'Kafka: busiest partition, projected MB (budget)': `${(projection.maxPartitionBytes / 1048576).toFixed(2)} (${(PARTITION_BYTES_BUDGET / 1048576).toFixed(0)})`,
      'seed seconds / node start seconds': `${seedSeconds.toFixed(1)} / ${nodeStartSeconds.toFixed(1)}`,
      'rater workers / ingest linger ms': `${config.raterWorkers} / ${config.ingestLingerMs}`,
      'node log: errors / warnings': `${nodeLog.errors} / ${nodeLog.warnings}`,
      source,
    };
    return {
      ok: problems.length === 0,
      ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
      figures: [
        {
          id: 'ingest_events_per_s', label: 'ingest → Kafka ack (batched)', value: ingestEventsPerSecond, unit: 'events/s', role: 'measure',
          comparisons: comparisons(
            compareWith(ingestEventsPerSecond, uws, 'parse_events_per_s', { target: { bar: 0.5, goal: 0.8 } }),
            compareWith(ingestEventsPerSecond, kafka, 'produce_events_per_s'),
          ),
          target: { bar: 100_000, goal: 1_000_000 },
        },
        {
          id: 'ingest_requests_per_s', label: 'ingest → Kafka ack (batched)', value: ingestRequestsPerSecond, unit: 'req/s', role: 'measure',
          comparisons: comparisons(compareWith(ingestRequestsPerSecond, uws, 'parse_requests_per_s')),
        },
        {
          id: 'e2e_events_per_s', label: allRated ? 'end to end: ingest → rated in ClickHouse' : 'end to end (INCOMPLETE: rated so far)',
          value: e2eEventsPerSecond, unit: 'events/s', role: 'measure',
          comparisons: comparisons(
            compareWith(e2eEventsPerSecond, kafka, 'produce_events_per_s'),
            compareWith(e2eEventsPerSecond, ch, 'insert_rows_per_s', { note: 'the rater inserts 2 rows per event: events_raw + usage_rated' }),
          ),
          target: { bar: 100_000, goal: 500_000 },
        },
      ],
      details,
      notes: [
        ...[contentionNote(otherCpuPercent(ingestCpuPercent, loadResult.cpuPercent), 'ingest'), contentionNote(otherCpuPercent(drainCpuPercent), 'the drain')]
          .filter((n): n is string => n !== undefined),
        'No warm-up: the node is fresh, so the first requests include JIT and connection set-up.',
        'Completion is seen by polling usage_rated every 100 ms; the end-to-end time is an upper bound within one poll interval.',
        'Everything (node, rater workers, load generator, ClickHouse, Postgres, broker) shares the same 2 cores.',
      ],
    };
  } finally {
    await poller.stop().catch(() => undefined);
    await clickhouse.close();
    ctx.say('skeleton: stopping the single node');
    await node.close();
  }
}

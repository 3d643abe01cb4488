/**
 * DESIGN §3 invariant, on the real servers: for a random event stream with
 * duplicates (SDK retries) and out-of-order times, the streaming rater's
 * totals per customer, meter and month — in usage_rated (FINAL) and in the
 * usage_windows aggregates — equal a batch re-rating of the same events with
 * the pure `rateEvents`, also when the rater is SIGKILLed mid-stream and a new
 * one takes over. The seed is printed; TOLLGATE_TEST_SEED repeats a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO, seedDemo } from '../cli/demo-data.ts';
import { partitionFor } from '../ingest/index.ts';
import { connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, type Postgres } from '../platform/postgres.ts';
import { TOPICS, WIRE_SCHEMA_VERSION, type WireEvent } from '../schemas/event.ts';
import { loadCatalog } from './catalog.ts';
import { adoptBrokerIncarnation } from './broker-incarnation.ts';
import { indexCatalog, rateEvents, type LocatedEvent } from './rate-events.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const TENANT = `itest-stream-${RUN}`;
const SOURCE = 'itest-stream';
const PARTITIONS = 6;
let postgres: Postgres;
let clickhouse: ClickHouseClient;
const children: ChildProcess[] = [];

/** mulberry32: small and seedable. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** Events in send order: ~15 % are re-sends of an earlier event (same id and content), times spread over three months in any order. */
function eventStream(next: (n: number) => number, count: number): WireEvent[] {
  const events: WireEvent[] = [];
  const start = Date.UTC(2026, 8, 20);
  while (events.length < count) {
    if (events.length > 0 && next(100) < 15) {
      events.push(events[next(events.length)]!);
      continue;
    }
    const n = events.length;
    const timeMs = start + next(75 * 86_400_000);
    // cust_42 is priced; `nobody` has no customer: stored raw, not rated, in both.
    const subject = next(10) === 0 ? 'nobody' : DEMO.subject;
    events.push({ tenant: TENANT, id: `ev-${n}`, source: SOURCE, type: DEMO.eventType, subject, timeMs, ingestedAtMs: timeMs, data: { tokens: 1 + next(5000) } });
  }
  return events;
}

async function produce(events: readonly WireEvent[], next: (n: number) => number): Promise<void> {
  const kafka = connectKafka(inject('infra').kafkaBrokers, 'itest-stream', createLogger('warn', 'itest'));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const packr = new Packr({ useRecords: true });
  await producer.connect();
  try {
    let i = 0;
    while (i < events.length) {
      // Records of 1–120 events, as ingest seals them; each record goes to the partition of its subject.
      const size = 1 + next(120);
      const byPartition = new Map<number, WireEvent[]>();
      for (const e of events.slice(i, i + size)) {
        const p = partitionFor(e.tenant, e.subject, PARTITIONS);
        byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
      }
      for (const [partition, list] of byPartition) {
        await producer.send({
          topic: TOPICS.usageEvents, acks: -1,
          messages: [{ partition, key: String(partition), value: Buffer.from(packr.pack(list)), headers: { 'schema-version': WIRE_SCHEMA_VERSION, 'ingested-at': String(Date.now()), 'event-count': String(list.length) } }],
        });
      }
      i += size;
    }
  } finally {
    await producer.disconnect();
  }
}

function startRater(group: string): Promise<ChildProcess> {
  const infra = inject('infra');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./test-support/rater-child.ts', import.meta.url))], {
    env: { ...process.env, TOLLGATE_PG_URL: infra.postgresUrl, TOLLGATE_CLICKHOUSE_URL: infra.clickhouseUrl, TOLLGATE_KAFKA_BROKERS: infra.kafkaBrokers.join(','), TOLLGATE_RATER_GROUP: group },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`rater child exited with ${code} before it was ready`)));
  });
}

type Totals = Record<string, string>;

async function ratedTotals(query: string): Promise<Totals> {
  const result = await clickhouse.query({ query, query_params: { tenant: TENANT }, format: 'JSONEachRow' });
  const rows = await result.json<{ k: string; quantity: string; amount: string; events: string | number }>();
  return Object.fromEntries(rows.map((r) => [r.k, `${r.quantity}|${r.amount}|${Number(r.events)}`]));
}

const FROM_ROWS = `SELECT concat(subject, '|', meter, '|', toString(toStartOfMonth(time))) AS k, toString(sum(quantity)) AS quantity,
    toString(sum(amount_micros)) AS amount, count() AS events FROM usage_rated FINAL WHERE tenant = {tenant:String} GROUP BY k`;
const FROM_WINDOWS = `SELECT concat(subject, '|', meter, '|', toString(toStartOfMonth(window_start))) AS k, toString(sum(quantity)) AS quantity,
    toString(sum(amount_micros)) AS amount, sum(events) AS events FROM usage_windows WHERE tenant = {tenant:String} AND window_size = 'DAY' GROUP BY k`;

async function batchTotals(events: readonly WireEvent[]): Promise<Totals> {
  const located: LocatedEvent[] = events.map((event, offset) => ({ event, partition: partitionFor(event.tenant, event.subject, PARTITIONS), offset }));
  const { rated } = rateEvents(located, indexCatalog(await loadCatalog(postgres.db)));
  const totals: Record<string, { nanos: bigint; amount: bigint; events: number }> = {};
  for (const row of rated) {
    const k = `${row.subject}|${row.meter}|${row.time.slice(0, 7)}-01`;
    const t = totals[k] ??= { nanos: 0n, amount: 0n, events: 0 };
    const [whole = '0', fraction = ''] = row.quantity.split('.');
    t.nanos += BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0') || '0');
    t.amount += BigInt(row.amount_micros);
    t.events += 1;
  }
  return Object.fromEntries(Object.entries(totals).map(([k, t]) => {
    const fraction = (t.nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
    return [k, `${t.nanos / 1_000_000_000n}${fraction ? `.${fraction}` : ''}|${t.amount}|${t.events}`];
  }));
}

async function ratedCount(): Promise<number> {
  const result = await clickhouse.query({ query: 'SELECT count() AS n FROM usage_rated FINAL WHERE tenant = {tenant:String}', query_params: { tenant: TENANT }, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

beforeAll(async () => {
  postgres = connectPostgres(inject('infra').postgresUrl, 4);
  clickhouse = connectClickhouse(inject('infra').clickhouseUrl);
  await migratePostgres(postgres.db);
  await adoptBrokerIncarnation(postgres.db, TOPICS.usageEvents, inject('infra').kafkaIncarnation);
  await seedDemo(postgres.db, TENANT);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await clickhouse.close();
  await postgres.close();
});

describe('streaming rating equals batch re-rating', () => {
  it('per customer, meter and month, in usage_rated and in usage_windows, across a SIGKILLed rater', async () => {
    const seed = Number(process.env.TOLLGATE_TEST_SEED ?? randomInt(1, 2 ** 31));
    console.log(`streaming-equals-batch seed ${seed} (TOLLGATE_TEST_SEED=${seed} to repeat)`);
    const next = random(seed);
    const events = eventStream(next, 3000);
    const expected = await batchTotals(events);
    const expectedRows = Object.values(expected).reduce((s, v) => s + Number(v.split('|')[2]), 0);

    await produce(events.slice(0, 1500), next);
    const first = await startRater(`itest-stream-a-${RUN}`);
    // Kill it as soon as it has stored something: mid-stream, maybe mid-batch.
    const deadline = Date.now() + 60_000;
    while ((await ratedCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const ratedAtKill = await ratedCount();
    console.log(`streaming-equals-batch: ${ratedAtKill} of ${expectedRows} rated when the first rater was killed`);
    expect(ratedAtKill).toBeGreaterThan(0);
    expect(ratedAtKill).toBeLessThan(expectedRows);
    await produce(events.slice(1500), next);
    const second = await startRater(`itest-stream-b-${RUN}`);
    const done = Date.now() + 120_000;
    while ((await ratedCount()) < expectedRows && Date.now() < done) await new Promise((r) => setTimeout(r, 200));
    second.kill('SIGTERM');
    // Slow (a busy box) and wrong are different failures: say which.
    expect({ rated: await ratedCount(), within: '120 s' }).toEqual({ rated: expectedRows, within: '120 s' });

    expect(await ratedTotals(FROM_ROWS)).toEqual(expected);
    expect(await ratedTotals(FROM_WINDOWS)).toEqual(expected);
  }, 240_000);
});

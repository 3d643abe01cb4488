/**
 * radius: RADIUS accounting packets/s end to end — each Accounting-Request
 * decoded and verified, its delta computed, the usage event acknowledged by
 * Kafka (acks=all, the ingest EventProducer) and the session's totals written
 * to Postgres, before the Accounting-Response goes out. Load: the MikroTik
 * simulator's Interim-Updates from a worker thread over many sessions.
 * Ceiling, same run and same load generator: a bare UDP echo that answers
 * every packet with a fixed reply. Bar (issue): ≥ 20k packets/s.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { registry as metricsRegistry } from '../../platform/metrics.ts';
import { eq } from 'drizzle-orm';
import { connectKafka, topicPartitionCount } from '../../platform/kafka.ts';
import { connectPostgres, migratePostgres, schema } from '../../platform/postgres.ts';
import { TOPICS } from '../../schemas/event.ts';
import { EventProducer } from '../../ingest/event-producer.ts';
import { kafkajsSender } from '../../ingest/record-sender.ts';
import { encodeClass } from '../../router-gateway/access.ts';
import { RadiusServer } from '../../router-gateway/radius-server.ts';
import { RouterRegistry } from '../../router-gateway/registry.ts';
import { SecretBox } from '../../router-gateway/secret-box.ts';
import { SessionStore } from '../../router-gateway/session-store.ts';
import { CpuMeter } from '../cpu.ts';
import type { BenchContext } from '../context.ts';
import { compareTo, type Figure, type ScenarioOutcome } from '../report.ts';
import type { RadiusLoadInput, RadiusLoadResult } from './radius-load.ts';

const TENANT = 'bench-radius';
const ADDRESS = '127.0.0.77';
const SECRET = 'bench-radius-secret';
const SESSIONS = Number(process.env.TOLLGATE_BENCH_RADIUS_SESSIONS ?? 20_000);
const SOCKETS = 8;

function runLoad(input: RadiusLoadInput): Promise<RadiusLoadResult> {
  const worker = new Worker(new URL('./radius-load-entry.mjs', import.meta.url), { workerData: input });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: RadiusLoadResult | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
    worker.once('error', reject);
  }).finally(() => void worker.terminate()) as Promise<RadiusLoadResult>;
}

async function echoCeiling(ctx: BenchContext, sessions: RadiusLoadInput['sessions']): Promise<{ load: RadiusLoadResult; cpuPercent: number }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const reply = Buffer.alloc(20);
  reply[0] = 5;
  reply.writeUInt16BE(20, 2);
  socket.on('message', (msg, rinfo) => {
    const out = Buffer.from(reply);
    out[1] = msg[1]!;
    socket.send(out, rinfo.port, rinfo.address);
  });
  try {
    const cpu = new CpuMeter({}).start();
    const load = await runLoad({ address: ADDRESS, targetHost: '127.0.0.1', targetPort: socket.address().port, secret: SECRET, seconds: ctx.options.seconds,
      warmupSeconds: 1, socketCount: SOCKETS, sessions });
    return { load, cpuPercent: cpu.stop().self ?? 0 };
  } finally {
    socket.close();
  }
}

export async function runRadius(ctx: BenchContext): Promise<ScenarioOutcome> {
  const config = await ctx.config();
  const postgres = connectPostgres(config.postgresUrl, 10);
  ctx.onCleanup('radius postgres', () => postgres.close());
  await migratePostgres(postgres.db);
  const db = postgres.db;
  await db.insert(schema.tenants).values({ id: TENANT, name: TENANT }).onConflictDoNothing();
  const box = new SecretBox(randomBytes(32).toString('base64'));
  // A fresh router per run (its sealed secrets belong to this run's key).
  const old = await db.select({ id: schema.routers.id }).from(schema.routers).where(eq(schema.routers.host, ADDRESS));
  for (const r of old) {
    await db.delete(schema.radiusSessions).where(eq(schema.radiusSessions.routerId, r.id));
    await db.delete(schema.routers).where(eq(schema.routers.id, r.id));
  }
  const registry = new RouterRegistry(db, box);
  const added = await registry.add(TENANT, { name: 'bench', host: ADDRESS, apiPort: 8728, apiTls: false, coaPort: 3799, apiUser: 'api', apiPassword: 'x',
    radiusSecret: SECRET, requestsPerMinuteMax: 100, backupIntervalSeconds: 86_400 });
  if (!added.ok) throw new Error(added.message);
  // Sessions carry the Class of an Access-Accept; the voucher ids need not exist for accounting (the quota consumer is not running here).
  const sessions = Array.from({ length: SESSIONS }, (_, i) => ({
    acctSessionId: `${ctx.runId}-${i.toString(16)}`, userName: `BENCH${i}`,
    className: encodeClass(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, null),
  }));

  ctx.say(`radius: ceiling (bare UDP echo), ${ctx.options.seconds} s`);
  const ceiling = await echoCeiling(ctx, sessions);

  const kafka = connectKafka(config.kafkaBrokers, 'bench-radius', ctx.log);
  const kafkaProducer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 16 });
  await kafkaProducer.connect();
  ctx.onCleanup('radius kafka', () => kafkaProducer.disconnect());
  const producer = new EventProducer(kafkajsSender(kafkaProducer), {
    topic: TOPICS.usageEvents, partitionCount: await topicPartitionCount(kafka, TOPICS.usageEvents), lingerMs: 2, batchEventsMax: 1000, queueEventsMax: 200_000,
  });
  const store = new SessionStore(db);
  const server = new RadiusServer({ db, registry, sessions: store, publisher: producer, log: ctx.log }, {
    host: '127.0.0.1', authPort: 0, acctPort: 0, interimIntervalSeconds: 60, requireMessageAuthenticator: true, inFlightPacketsMax: 50_000,
  });
  await server.start();
  ctx.onCleanup('radius server', () => server.stop());
  ctx.say(`radius: gateway (Kafka ack + Postgres session write), ${ctx.options.seconds} s`);
  const cpu = new CpuMeter({}).start();
  const load = await runLoad({ address: ADDRESS, targetHost: '127.0.0.1', targetPort: server.ports.acct, secret: SECRET, seconds: ctx.options.seconds,
    warmupSeconds: 2, socketCount: SOCKETS, sessions });
  const gatewayCpu = cpu.stop().self ?? 0;
  await producer.flush();
  await store.flush();

  // Where the time of one packet goes: means of the gateway's own histograms over the run.
  const histograms = await metricsRegistry.getMetricsAsJSON();
  const meanMs = (name: string): number => {
    const values = (histograms.find((m) => m.name === name)?.values ?? []) as { metricName?: string; value: number }[];
    const sum = values.find((v) => v.metricName === `${name}_sum`)?.value ?? 0;
    const count = values.find((v) => v.metricName === `${name}_count`)?.value ?? 0;
    return count > 0 ? Math.round((sum / count) * 10_000) / 10 : 0;
  };
  const ceilingFigure: Figure = {
    id: 'udp_echo_packets_per_s', label: 'bare UDP echo of the same packets (same load generator)', value: ceiling.load.answered / ceiling.load.wallSeconds,
    unit: 'packets/s', role: 'ceiling', comparisons: [],
  };
  const value = load.answered / load.wallSeconds;
  const gatewayFigure: Figure = {
    id: 'accounting_packets_per_s', label: 'Accounting-Request → Kafka ack + session write → Accounting-Response', value, unit: 'packets/s', role: 'measure',
    comparisons: [compareTo(value, 'radius', ceilingFigure)].filter((c) => c !== undefined),
    target: { bar: 20_000, goal: 20_000 },
  };
  return {
    ok: true,
    figures: [ceilingFigure, gatewayFigure],
    details: {
      sessions: SESSIONS, windowPackets: SOCKETS * 256, gatewayCpuPercent: Math.round(gatewayCpu), echoCpuPercent: Math.round(ceiling.cpuPercent),
      resentByLoad: load.resent, echoResent: ceiling.load.resent,
      accountingMeanMs: meanMs('tollgate_radius_accounting_seconds'), kafkaProduceMeanMs: meanMs('tollgate_ingest_produce_seconds'),
      sessionWriteMeanMs: meanMs('tollgate_radius_session_write_seconds'), loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
    },
    notes: [
      'The load generator runs in a worker thread of the bench process; the gateway runs on the main thread (one event loop, as in production).',
      'The voucher-quota consumer and the rater are not running during the measurement: this is the accounting path up to the Kafka ack.',
    ],
  };
}

/**
 * kafka-ceiling: raw kafkajs produce to the local broker, records packed the
 * way ingest packs them (msgpackr with records, 1000 WireEvents per record,
 * the same headers), acks = -1, one produce in flight per lane and 6 lanes
 * (ingest keeps one in flight per partition of usage.events' 6).
 * Written to its own topic (bench.kafka-ceiling, 48 partitions) so the rater
 * never sees it, and bounded in data: each partition stays under the mock's
 * ≈5 MB (DESIGN §10), counting what earlier runs left there.
 * Its own ceiling: packing alone (CPU, no broker).
 */
import { Packr } from 'msgpackr';
import { connectKafka, topicPartitionCount } from '../../platform/kafka.ts';
import { WIRE_SCHEMA_VERSION, type WireEvent } from '../../schemas/event.ts';
import { BenchContext, KAFKA_CEILING_TOPIC, PARTITION_BYTES_BUDGET } from '../context.ts';
import { contentionNote, CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { benchSubjects, wireEvents } from '../events.ts';
import { comparisons, compareTo, type Figure, type ScenarioOutcome } from '../report.ts';
import { percentiles } from '../stats.ts';

const EVENTS_PER_RECORD = 1000;
const LANES = 6;
/** Record batch + record + header bytes the broker stores on top of the value (generous). */
const RECORD_OVERHEAD_BYTES = 200;

function packRecord(packr: Packr, events: WireEvent[]): Buffer {
  // Copied, as ingest does: msgpackr hands out views of a buffer it reuses.
  return Buffer.from(packr.pack(events));
}

function packOnlyRate(events: WireEvent[], seconds: number): number {
  const packr = new Packr({ useRecords: true });
  for (let i = 0; i < 20; i++) packRecord(packr, events); // warm-up
  const started = performance.now();
  let records = 0;
  while (performance.now() - started < seconds * 1000) {
    packRecord(packr, events);
    records++;
  }
  return (records * events.length) / ((performance.now() - started) / 1000);
}

export async function runKafkaCeiling(ctx: BenchContext): Promise<ScenarioOutcome> {
  const endpoints = await ctx.infra();
  const kafka = connectKafka(endpoints.kafkaBrokers, 'tollgate-bench', ctx.log);
  const partitionCount = await topicPartitionCount(kafka, KAFKA_CEILING_TOPIC).catch((err: unknown) => {
    throw new Error(`the running broker has no topic ${KAFKA_CEILING_TOPIC} (${err instanceof Error ? err.message : String(err)}): it was started ` +
      'without the bench\'s topics (e.g. by scripts/infra.ts up with TOLLGATE_STATE_DIR=.state/bench); stop the bench infrastructure and run again');
  });
  const events = wireEvents(EVENTS_PER_RECORD, 'default', 'bench-kafka-ceiling', benchSubjects(100, 'cust_42'), `kc-${ctx.runId}`);
  const packr = new Packr({ useRecords: true });
  const recordBytes = packRecord(packr, events).length + RECORD_OVERHEAD_BYTES;

  // What earlier runs (with --keep-infra) left in each partition counts against the budget.
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(KAFKA_CEILING_TOPIC).finally(() => admin.disconnect());
  const remaining = new Map<number, number>();
  for (const o of offsets) {
    const stored = Number(BigInt(o.high) - BigInt(o.low));
    remaining.set(o.partition, Math.max(0, Math.floor((PARTITION_BYTES_BUDGET - stored * recordBytes) / recordBytes)));
  }
  const budgetRecords = [...remaining.values()].reduce((s, n) => s + n, 0);
  if (budgetRecords < LANES * 10) {
    throw new Error(`${KAFKA_CEILING_TOPIC} is nearly full from earlier runs (room for ${budgetRecords} records); restart the bench infrastructure (run once without --keep-infra)`);
  }

  ctx.say(`kafka-ceiling: pack-only for 1 s`);
  const packEventsPerSecond = packOnlyRate(events, 1);

  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 16 });
  await producer.connect();
  const latencies: number[] = [];
  let recordsSent = 0;
  let bytesSent = 0;
  let stoppedBy: 'time' | 'data budget' = 'data budget';
  const send = async (partition: number): Promise<void> => {
    const value = packRecord(packr, events);
    const started = performance.now();
    await producer.send({
      topic: KAFKA_CEILING_TOPIC, acks: -1, timeout: 10_000,
      messages: [{ partition, key: String(partition), value, headers: { 'schema-version': WIRE_SCHEMA_VERSION, 'ingested-at': String(Date.now()), 'event-count': String(events.length) } }],
    });
    latencies.push(performance.now() - started);
    remaining.set(partition, remaining.get(partition)! - 1);
    recordsSent++;
    bytesSent += value.length;
  };
  const lanePartitions = (lane: number): number[] => Array.from({ length: partitionCount }, (_, p) => p).filter((p) => p % LANES === lane);
  try {
    // Warm-up: one record per lane (metadata, connections), not measured.
    await Promise.all(Array.from({ length: LANES }, (_, lane) => {
      const partition = lanePartitions(lane).find((p) => remaining.get(p)! > 0);
      return partition === undefined ? undefined : send(partition);
    }));
    recordsSent = 0;
    bytesSent = 0;
    latencies.length = 0;

    ctx.say(`kafka-ceiling: producing for up to ${ctx.options.seconds} s (${LANES} lanes, ${partitionCount} partitions, ≤ ${(PARTITION_BYTES_BUDGET / 1048576).toFixed(0)} MB each)`);
    const cpuMeter = new CpuMeter(infraProcesses(ctx.stateDir)).start();
    const started = performance.now();
    const deadline = started + ctx.options.seconds * 1000;
    await Promise.all(Array.from({ length: LANES }, async (_, lane) => {
      const mine = lanePartitions(lane);
      let turn = 0;
      while (performance.now() < deadline) {
        const candidates = mine.filter((p) => remaining.get(p)! > 0);
        if (candidates.length === 0) return;
        await send(candidates[turn++ % candidates.length]!);
      }
      stoppedBy = 'time';
    }));
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = cpuMeter.stop();
    const otherCpu = otherCpuPercent(cpu);

    const eventsPerSecond = (recordsSent * events.length) / wallSeconds;
    const latency = percentiles(latencies);
    const packFigure: Figure = {
      id: 'pack_events_per_s', label: 'msgpack pack only (1000-event records)', value: packEventsPerSecond, unit: 'events/s', role: 'ceiling', comparisons: [],
      reference: 'DESIGN §10: msgpackr default pack 1.4–1.6M events/s per thread',
    };
    const packRecordsFigure: Figure = { ...packFigure, id: 'pack_records_per_s', value: packEventsPerSecond / events.length, unit: 'records/s', reference: `${events.length} events per record` };
    const figures: Figure[] = [
      packFigure,
      {
        id: 'produce_events_per_s', label: 'kafkajs produce, acks=-1', value: eventsPerSecond, unit: 'events/s', role: 'ceiling',
        comparisons: comparisons(compareTo(eventsPerSecond, 'kafka-ceiling', packFigure)),
      },
      packRecordsFigure,
      {
        id: 'produce_records_per_s', label: 'kafkajs produce, acks=-1', value: recordsSent / wallSeconds, unit: 'records/s', role: 'ceiling',
        comparisons: comparisons(compareTo(recordsSent / wallSeconds, 'kafka-ceiling', packRecordsFigure)),
      },
    ];
    return {
      ok: recordsSent > 0,
      figures,
      details: {
        'records sent': recordsSent,
        'events per record': events.length,
        'record bytes (avg value)': recordsSent > 0 ? bytesSent / recordsSent : 0,
        'MB/s': bytesSent / wallSeconds / 1048576,
        'measured seconds': wallSeconds,
        'stopped by': stoppedBy,
        'produce latency p50 / p99 / max ms': `${latency.p50.toFixed(1)} / ${latency.p99.toFixed(1)} / ${latency.max.toFixed(1)}`,
        'CPU % bench (kafkajs + pack)': cpu.self ?? null,
        'CPU % broker (librdkafka mock)': cpu.kafka ?? null,
        'CPU % other processes on the host': otherCpu,
        topic: `${KAFKA_CEILING_TOPIC} (${partitionCount} partitions, ${LANES} lanes)`,
      },
      notes: [
        ...(stoppedBy === 'data budget' ? ['stopped by the per-partition data budget before --seconds ran out: a shorter measurement'] : []),
        ...[contentionNote(otherCpu, 'the produce phase')].filter((n): n is string => n !== undefined),
      ],
    };
  } finally {
    await producer.disconnect();
  }
}

/**
 * ingest: the ingest tier alone (a node without a rater), batched HTTP and
 * WebSocket, each acknowledged only after Kafka acked (acks = all).
 *   HTTP: autocannon in its own process, --connections × --seconds, bodies of
 *         --batch events (the same body shape as uws-ceiling).
 *   WS:   a forked client, 8 sockets × 16 frames in flight of --batch events.
 * Compared with uws-ceiling (bare uWS + JSON.parse of the same body) and
 * kafka-ceiling from the same run. No consumer reads these events, so the
 * mock broker's per-partition retention does not matter here.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSingleNode } from '../../cli/single-node.ts';
import { benchLogger, type BenchContext, type LogTally } from '../context.ts';
import { CpuMeter, infraProcesses, otherCpuPercent } from '../cpu.ts';
import { batchBody, benchSubjects } from '../events.ts';
import { prepareLoad } from '../load/run-load.ts';
import type { Percentiles } from '../stats.ts';
import { comparisons, compareWith, type ScenarioName, type ScenarioOutcome, type ScenarioResult } from '../report.ts';

const WS_CLIENT = fileURLToPath(new URL('../load/ws-load-client.ts', import.meta.url));
const WS_CONNECTIONS = 8;
const WS_WINDOW_FRAMES = 16;

interface WsResult {
  ackedEvents: number;
  errorAcks: number;
  frames: number;
  wallSeconds: number;
  latencyMs: Percentiles;
  cpuPercent: number;
}

function runWsLoad(url: string, seconds: number, eventsJson: string): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WS_CLIENT, [url, '', String(WS_CONNECTIONS), String(WS_WINDOW_FRAMES), String(seconds), eventsJson],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    child.on('exit', (code) => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as WsResult);
      } catch {
        reject(new Error(`WebSocket load client exited ${code} without a result`));
      }
    });
  });
}

const ms = (p: Percentiles): string => `${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}`;

export async function runIngest(ctx: BenchContext, prior: ReadonlyMap<ScenarioName, ScenarioResult>): Promise<ScenarioOutcome> {
  const o = ctx.options;
  // Keyless requests (optional auth) keep the comparison with the bare uWS server like for like.
  const config = await ctx.config({ TOLLGATE_AUTH_MODE: 'optional' });
  const nodeLog: LogTally = { errors: 0, warnings: 0, samples: [] };
  const node = await startSingleNode(config, benchLogger(config.logLevel, nodeLog),
    { embeddedBrokerIncarnation: (await ctx.infra()).kafkaIncarnation, rater: false });
  try {
    const body = batchBody({ idPrefix: `ingest-${ctx.runId}`, source: `bench-ingest-${ctx.runId}`, subjects: benchSubjects(100, 'cust_42'), eventsPerRequest: o.batch }, 0);
    ctx.say(`ingest: HTTP, ${o.connections} connections × ${o.seconds} s`);
    const load = await prepareLoad({
      url: `${node.url}/v1/events`, contentType: 'application/json', connections: o.connections, seconds: o.seconds, warmupSeconds: 1,
      bodies: { kind: 'static', body }, countAccepted: true, requestTimeoutSeconds: 30,
    });
    const processes = infraProcesses(ctx.stateDir);
    let cpu = new CpuMeter(processes).start();
    let http;
    try {
      http = await load.go(() => { cpu.stop(); cpu = new CpuMeter(processes).start(); });
    } finally {
      load.kill();
    }
    const httpCpu = cpu.stop();
    const httpEventsPerSecond = (http.acceptedEvents ?? 0) / http.wallSeconds;

    ctx.say(`ingest: WebSocket, ${WS_CONNECTIONS} sockets × ${WS_WINDOW_FRAMES} frames in flight × ${o.seconds} s`);
    cpu = new CpuMeter(processes).start();
    const ws = await runWsLoad(`${node.url.replace('http', 'ws')}/v1/stream`, o.seconds, body);
    const wsCpu = cpu.stop();
    const wsEventsPerSecond = ws.ackedEvents / ws.wallSeconds;

    const uws = prior.get('uws-ceiling');
    const kafka = prior.get('kafka-ceiling');
    const statuses = Object.entries(http.statusCounts).map(([code, n]) => `${code}×${n}`).join(' ');
    const problems: string[] = [];
    if (http.responses2xx !== http.responses) problems.push(`HTTP answered other than 202: ${statuses}`);
    if (ws.errorAcks > 0) problems.push(`${ws.errorAcks} WebSocket frames were refused`);
    if (nodeLog.errors > 0) problems.push(`the node logged ${nodeLog.errors} errors, e.g. ${nodeLog.samples.join(', ')}`);
    return {
      ok: problems.length === 0,
      ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
      figures: [
        {
          id: 'http_events_per_s', label: `HTTP batched (${o.batch} events/request) → Kafka ack`, value: httpEventsPerSecond, unit: 'events/s', role: 'measure',
          comparisons: comparisons(
            compareWith(httpEventsPerSecond, uws, 'parse_events_per_s', { target: { bar: 0.5, goal: 0.8 } }),
            compareWith(httpEventsPerSecond, kafka, 'produce_events_per_s'),
          ),
          target: { bar: 100_000, goal: 1_000_000 },
        },
        {
          id: 'ws_events_per_s', label: `WebSocket frames of ${o.batch} events → Kafka ack`, value: wsEventsPerSecond, unit: 'events/s', role: 'measure',
          comparisons: comparisons(
            compareWith(wsEventsPerSecond, uws, 'parse_events_per_s'),
            compareWith(wsEventsPerSecond, kafka, 'produce_events_per_s'),
          ),
          target: { bar: 100_000, goal: 1_000_000 },
        },
      ],
      details: {
        'HTTP requests (statuses)': `${http.responses} (${statuses})`,
        'HTTP ack latency p50 / p99 ms': `${http.latencyMs.p50.toFixed(1)} / ${http.latencyMs.p99.toFixed(1)}`,
        'WebSocket frames acked / refused': `${ws.frames - ws.errorAcks} / ${ws.errorAcks}`,
        'WebSocket ack latency p50 / p99 ms': ms(ws.latencyMs),
        'CPU % during HTTP: node / load generator / other': `${(httpCpu.self ?? 0).toFixed(0)} / ${http.cpuPercent.toFixed(0)} / ${otherCpuPercent(httpCpu, http.cpuPercent).toFixed(0)}`,
        'CPU % during WebSocket: node / load generator / other': `${(wsCpu.self ?? 0).toFixed(0)} / ${ws.cpuPercent.toFixed(0)} / ${otherCpuPercent(wsCpu, ws.cpuPercent).toFixed(0)}`,
        'ingest linger ms / events per record max': `${config.ingestLingerMs} / ${config.ingestBatchEventsMax}`,
        'request body bytes': http.bodyBytesAvg,
      },
      notes: ['The node runs no rater here: this is ingest → Kafka ack alone. `skeleton` measures ingest with rating beside it.'],
    };
  } finally {
    await node.close();
  }
}

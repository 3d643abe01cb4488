/**
 * The load generator: a child process (its own core) driving autocannon.
 * Protocol (IPC): parent sends `prepare` with a LoadSpec → child builds the
 * bodies and answers `ready` → parent sends `go` → child runs and answers
 * `result` (or `error`), then exits.
 */
import autocannon, { type AutocannonOptions, type AutocannonRequest } from 'autocannon';
import { batchBody } from '../events.ts';
import { percentiles } from '../stats.ts';
import type { ChildMessage, LoadResult, LoadSpec, ParentMessage } from './protocol.ts';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

function prepareBodies(spec: LoadSpec): Buffer[] {
  const source = spec.bodies;
  if (source.kind === 'static') return [Buffer.from(source.body)];
  // A few spare bodies: each connection builds its first request up front.
  const count = source.requests + spec.connections + 8;
  const timeIso = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => Buffer.from(batchBody(source.batch, i, timeIso)));
}

async function run(spec: LoadSpec, bodies: Buffer[]): Promise<LoadResult> {
  const headers = { ...spec.headers, 'content-type': spec.contentType };
  const base: AutocannonOptions = { url: spec.url, connections: spec.connections, pipelining: 1, timeout: spec.requestTimeoutSeconds, method: 'POST', headers };
  if (spec.warmupSeconds > 0 && spec.bodies.kind === 'static') {
    await autocannon({ ...base, body: bodies[0]!, duration: spec.warmupSeconds });
  }
  await send({ type: 'measuring' });
  let next = 0;
  let accepted = 0;
  const request: AutocannonRequest = { method: 'POST', path: new URL(spec.url).pathname, headers };
  if (spec.bodies.kind === 'static') request.body = bodies[0]!;
  else request.setupRequest = (req) => ({ ...req, body: bodies[next++ % bodies.length]! });
  if (spec.countAccepted) {
    request.onResponse = (status, body) => {
      if (status < 200 || status >= 300) return;
      const match = /"accepted":(\d+)/.exec(String(body));
      if (match) accepted += Number(match[1]);
    };
  }
  const options: AutocannonOptions = { ...base, requests: [request] };
  if (spec.requests !== undefined) options.amount = spec.requests;
  else options.duration = spec.seconds;

  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const startedAtMs = Date.now();
  const started = performance.now();
  const instance = autocannon(options);
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    latencies.push(responseTimeMs);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  // Amount-bounded runs still end by the clock: a stuck server must not hang the bench.
  const hardStop = spec.requests !== undefined ? setTimeout(() => instance.stop(), spec.seconds * 1000) : undefined;
  const result = await instance;
  if (hardStop) clearTimeout(hardStop);
  const wallSeconds = (performance.now() - started) / 1000;
  const finishedAtMs = Date.now();
  const cpu = process.cpuUsage(cpuBefore);

  const responses2xx = Object.entries(statusCounts).filter(([code]) => code.startsWith('2')).reduce((sum, [, n]) => sum + n, 0);
  const sent = spec.bodies.kind === 'static' ? bodies[0]!.length : bodies.slice(0, Math.max(1, next)).reduce((s, b) => s + b.length, 0) / Math.max(1, next);
  return {
    startedAtMs, finishedAtMs, wallSeconds,
    responses: latencies.length, responses2xx, statusCounts,
    errors: result.errors, timeouts: result.timeouts,
    acceptedEvents: spec.countAccepted ? accepted : null,
    bodyBytesAvg: sent,
    latencyMs: percentiles(latencies),
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallSeconds,
  };
}

let spec: LoadSpec | undefined;
let bodies: Buffer[] = [];

process.on('message', (message: ParentMessage) => {
  if (message.type === 'prepare') {
    spec = message.spec;
    bodies = prepareBodies(spec);
    void send({ type: 'ready', bodies: bodies.length, bodyBytesAvg: bodies.reduce((s, b) => s + b.length, 0) / bodies.length });
    return;
  }
  const done = spec
    ? run(spec, bodies).then((result) => send({ type: 'result', result }),
      (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }))
    : send({ type: 'error', message: 'go before prepare' });
  void done.finally(() => process.disconnect());
});
process.on('disconnect', () => process.exit(0));

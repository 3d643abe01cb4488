/**
 * uws-ceiling: the fastest an HTTP tier on this box can take batched events.
 * A bare uWS server (the same platform/uws.ts wrapper ingest uses) reads each
 * POST body and answers 202 like ingest would:
 *   - /echo:  read the body, discard it (transport ceiling; innermost),
 *   - /parse: read the body and JSON.parse it (what ingest is compared to, DESIGN §9).
 * autocannon drives it from a separate process, --connections connections,
 * --seconds per phase after a 1 s warm-up.
 */
import { createApp, listen, readBody, sendJson, trackAbort, type TemplatedApp } from '../../platform/uws.ts';
import { batchBody, benchSubjects } from '../events.ts';
import { prepareLoad } from '../load/run-load.ts';
import type { LoadResult } from '../load/protocol.ts';
import { contentionNote, CpuMeter, otherCpuPercent } from '../cpu.ts';
import type { BenchContext } from '../context.ts';
import { comparisons, compareTo, type Figure, type ScenarioOutcome } from '../report.ts';

const BODY_BYTES_MAX = 64 * 1024 * 1024;

function registerRoutes(app: TemplatedApp): void {
  app.post('/echo', (res) => {
    const state = trackAbort(res);
    readBody(res, BODY_BYTES_MAX).then(() => {
      sendJson(res, state, { status: 202, body: { accepted: 0, rejected: [] } });
    }, () => sendJson(res, state, { status: 413, body: {} }));
  });
  app.post('/parse', (res) => {
    const state = trackAbort(res);
    readBody(res, BODY_BYTES_MAX).then((body) => {
      const events = JSON.parse(body.toString('utf8')) as unknown[];
      sendJson(res, state, { status: 202, body: { accepted: events.length, rejected: [] } });
    }, () => sendJson(res, state, { status: 413, body: {} }));
  });
}

interface Phase {
  load: LoadResult;
  serverCpuPercent: number;
  otherCpuPercent: number;
}

async function runPhase(ctx: BenchContext, url: string, body: string): Promise<Phase> {
  const load = await prepareLoad({
    url, contentType: 'application/json', connections: ctx.options.connections, seconds: ctx.options.seconds, warmupSeconds: 1,
    bodies: { kind: 'static', body }, countAccepted: false, requestTimeoutSeconds: 10,
  });
  try {
    let cpuMeter = new CpuMeter({}).start();
    const result = await load.go(() => {
      cpuMeter.stop();
      cpuMeter = new CpuMeter({}).start();
    });
    const cpu = cpuMeter.stop();
    return { load: result, serverCpuPercent: cpu.self ?? 0, otherCpuPercent: otherCpuPercent(cpu, result.cpuPercent) };
  } finally {
    load.kill();
  }
}

export async function runUwsCeiling(ctx: BenchContext): Promise<ScenarioOutcome> {
  const { batch, connections, seconds } = ctx.options;
  const body = batchBody({ idPrefix: `ceiling-${ctx.runId}`, source: 'bench-uws-ceiling', subjects: benchSubjects(100, 'cust_42'), eventsPerRequest: batch }, 0);
  const app = createApp();
  registerRoutes(app);
  const listener = await listen(app, '127.0.0.1', 0);
  const base = `http://127.0.0.1:${listener.port}`;
  try {
    ctx.say(`uws-ceiling: echo phase, ${connections} connections, ${seconds} s`);
    const echo = await runPhase(ctx, `${base}/echo`, body);
    ctx.say(`uws-ceiling: parse phase, ${connections} connections, ${seconds} s`);
    const parse = await runPhase(ctx, `${base}/parse`, body);
    const echoRps = echo.load.responses2xx / echo.load.wallSeconds;
    const parseRps = parse.load.responses2xx / parse.load.wallSeconds;
    const echoFigure: Figure = {
      id: 'echo_requests_per_s', label: 'bare uWS: read body, discard', value: echoRps, unit: 'req/s', role: 'ceiling', comparisons: [],
      reference: 'DESIGN §9: bare uWS echo ≈ 69k req/s (wrk, 50 connections)',
    };
    const echoEventsFigure: Figure = {
      id: 'echo_events_per_s', label: 'bare uWS: read body, discard', value: echoRps * batch, unit: 'events/s', role: 'ceiling', comparisons: [],
      reference: `${batch} events per request`,
    };
    const figures: Figure[] = [
      echoFigure,
      echoEventsFigure,
      {
        id: 'parse_requests_per_s', label: 'bare uWS: read body + JSON.parse', value: parseRps, unit: 'req/s', role: 'ceiling',
        comparisons: comparisons(compareTo(parseRps, 'uws-ceiling', echoFigure)),
        reference: 'DESIGN §9: bare uWS + JSON.parse ≈ 11k req/s',
      },
      {
        id: 'parse_events_per_s', label: 'bare uWS: read body + JSON.parse', value: parseRps * batch, unit: 'events/s', role: 'ceiling',
        comparisons: comparisons(compareTo(parseRps * batch, 'uws-ceiling', echoEventsFigure)),
        reference: 'DESIGN §9: ≈ 1.1M events/s on one core',
      },
    ];
    const errors = echo.load.errors + parse.load.errors + (echo.load.responses - echo.load.responses2xx) + (parse.load.responses - parse.load.responses2xx);
    return {
      ok: errors === 0 && parse.load.responses2xx > 0 && echo.load.responses2xx > 0,
      ...(errors > 0 ? { error: `${errors} failed requests` } : {}),
      figures,
      details: {
        'body bytes': parse.load.bodyBytesAvg,
        'events per request': batch,
        'event bytes (avg)': parse.load.bodyBytesAvg / batch,
        connections,
        'echo latency p50 / p99 ms': `${echo.load.latencyMs.p50.toFixed(2)} / ${echo.load.latencyMs.p99.toFixed(2)}`,
        'parse latency p50 / p99 ms': `${parse.load.latencyMs.p50.toFixed(2)} / ${parse.load.latencyMs.p99.toFixed(2)}`,
        'echo CPU % server / load generator': `${echo.serverCpuPercent.toFixed(0)} / ${echo.load.cpuPercent.toFixed(0)}`,
        'parse CPU % server / load generator': `${parse.serverCpuPercent.toFixed(0)} / ${parse.load.cpuPercent.toFixed(0)}`,
        'CPU % other processes on the host (echo / parse)': `${echo.otherCpuPercent.toFixed(0)} / ${parse.otherCpuPercent.toFixed(0)}`,
        'failed requests': errors,
      },
      notes: [
        'CPU % is of one core; a load generator near 100% means the client, not the server, bounded the figure.',
        ...[contentionNote(echo.otherCpuPercent, 'echo'), contentionNote(parse.otherCpuPercent, 'parse')].filter((n): n is string => n !== undefined),
      ],
    };
  } finally {
    listener.close();
  }
}

/**
 * Synthetic traffic for `tollgate dev --demo`: posts CloudEvents to a node's
 * public `POST /v1/events`, the same path real clients take, so everything
 * downstream (Kafka, rater, ClickHouse, the live page, dashboards) sees
 * ordinary data. One request in flight at a time, a fixed tick: the rate is
 * bounded by `eventsPerSecond` and by the node's answers, never queued up.
 */
import type { Logger } from '../platform/log.ts';
import { DEMO } from '../cli/demo-data.ts';
import { DEMO_CUSTOMERS } from './demo-world.ts';

export interface DemoTrafficOptions {
  baseUrl: string;
  eventsPerSecond: number;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  log: Logger;
  tickMs?: number;
}

export interface DemoTraffic {
  stop: () => Promise<void>;
  /** Events the node accepted / rejected / requests that failed so far. */
  stats: () => { accepted: number; rejected: number; failedRequests: number };
}

const MODELS = ['small', 'medium', 'large'] as const;
const TOKENS_BY_MODEL = { small: 300, medium: 1200, large: 4000 } as const;

/** Subjects repeated by weight, so a uniform pick yields a few big customers and a tail. */
const WEIGHTED_SUBJECTS: readonly string[] = DEMO_CUSTOMERS.flatMap((c) => Array.from({ length: c.weight }, () => c.subject));

export function demoEvent(runId: string, n: number, now: Date): Record<string, unknown> {
  // A deterministic spread (no Math.random): the same n gives the same event, which keeps runs comparable.
  const model = MODELS[(n * 7) % MODELS.length]!;
  const tokens = Math.max(1, Math.round(TOKENS_BY_MODEL[model] * (0.5 + ((n * 7919) % 1000) / 1000)));
  return {
    specversion: '1.0', id: `demo-${runId}-${n.toString(36)}`, source: 'demo-traffic', type: DEMO.eventType,
    subject: WEIGHTED_SUBJECTS[(n * 31) % WEIGHTED_SUBJECTS.length], time: now.toISOString(), data: { tokens, model },
  };
}

export function startDemoTraffic(options: DemoTrafficOptions): DemoTraffic {
  const tickMs = options.tickMs ?? 1000;
  const perTick = Math.max(1, Math.round((options.eventsPerSecond * tickMs) / 1000));
  const runId = Date.now().toString(36);
  const totals = { accepted: 0, rejected: 0, failedRequests: 0 };
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
  let n = 0;
  let stopped = false;
  let inFlight: Promise<void> | undefined;
  let warned = false;

  const tick = async (): Promise<void> => {
    const now = new Date();
    const events = Array.from({ length: perTick }, () => demoEvent(runId, n++, now));
    try {
      const response = await fetch(`${options.baseUrl}/v1/events`, { method: 'POST', headers, body: JSON.stringify(events), signal: AbortSignal.timeout(10_000) });
      const body = await response.json() as { accepted?: number; rejected?: unknown[] };
      if (response.status !== 202) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
      totals.accepted += body.accepted ?? 0;
      totals.rejected += body.rejected?.length ?? 0;
      warned = false;
    } catch (err) {
      totals.failedRequests++;
      // One warning per run of failures: a node that is starting or draining should not flood the log.
      if (!warned) options.log.warn({ err }, 'demo traffic: request failed; retrying each tick');
      warned = true;
    }
  };
  const timer = setInterval(() => {
    if (stopped || inFlight) return;
    inFlight = tick().finally(() => { inFlight = undefined; });
  }, tickMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
    stats: () => ({ ...totals }),
  };
}

/**
 * Synthetic usage events for the benchmarks: CloudEvents of ≈200 bytes (the
 * shape of DESIGN §2), request bodies of a batch of them, and the Kafka wire
 * form ingest produces (WireEvent, msgpack with records).
 */
import type { WireEvent } from '../schemas/event.ts';

export const EVENT_TYPE = 'api_request';
const MODELS = ['small', 'medium', 'large'] as const;

export function benchSubject(index: number): string {
  return `bench_cust_${index.toString().padStart(5, '0')}`;
}

/** The subjects a run spreads its events over: N seeded bench customers, or the demo customer alone. */
export function benchSubjects(customers: number, demoSubject: string): string[] {
  if (customers <= 0) return [demoSubject];
  return Array.from({ length: customers }, (_, i) => benchSubject(i));
}

/** Deterministic token count of event n: 1..2000. */
export function tokensOf(n: number): number {
  return 1 + ((n * 7919) % 2000);
}

export interface EventShape {
  id: string;
  source: string;
  subject: string;
  timeIso: string;
  n: number;
}

/** One CloudEvent as JSON text (≈200 bytes). */
export function cloudEventJson(e: EventShape): string {
  return JSON.stringify({
    specversion: '1.0',
    id: e.id,
    source: e.source,
    type: EVENT_TYPE,
    subject: e.subject,
    time: e.timeIso,
    data: { tokens: tokensOf(e.n), model: MODELS[e.n % MODELS.length] },
  });
}

export interface BatchSpec {
  /** Prefix of event ids; ids are `${idPrefix}-${n}` with n the global event number. */
  idPrefix: string;
  source: string;
  subjects: readonly string[];
  eventsPerRequest: number;
}

/** The JSON array body of request number `request` (events request*size … +size-1). */
export function batchBody(spec: BatchSpec, request: number, timeIso = new Date().toISOString()): string {
  const parts: string[] = [];
  const first = request * spec.eventsPerRequest;
  for (let n = first; n < first + spec.eventsPerRequest; n++) {
    parts.push(cloudEventJson({ id: `${spec.idPrefix}-${n.toString(36)}`, source: spec.source, subject: spec.subjects[n % spec.subjects.length]!, timeIso, n }));
  }
  return `[${parts.join(',')}]`;
}

/** Events as ingest puts them on Kafka (after validation). */
export function wireEvents(count: number, tenant: string, source: string, subjects: readonly string[], idPrefix: string): WireEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, n) => ({
    tenant,
    id: `${idPrefix}-${n.toString(36)}`,
    source,
    type: EVENT_TYPE,
    subject: subjects[n % subjects.length]!,
    timeMs: now,
    ingestedAtMs: now,
    data: { tokens: tokensOf(n), model: MODELS[n % MODELS.length] },
  }));
}

/**
 * What HTTP and WebSocket ingest share: validate each candidate event, charge
 * the key's rate limit, publish the accepted ones and wait for Kafka's ack.
 * The answer is transport-neutral; each transport maps it to its own frames.
 */
import type { Logger } from '../platform/log.ts';
import { counter } from '../platform/metrics.ts';
import type { ApiError, EventRejection } from '../schemas/errors.ts';
import type { WireEvent } from '../schemas/event.ts';
import type { Principal } from './auth/authenticator.ts';
import type { EventRateLimiter } from './auth/rate-limiter.ts';
import { KafkaUnavailableError, OverloadedError, type EventProducer } from './event-producer.ts';
import { validateEvent, type DataLimits } from './validate-event.ts';

export type AcceptOutcome =
  | { ok: true; accepted: number; rejected: EventRejection[] }
  | { ok: false; status: 400 | 429 | 503; error: ApiError; rejected: EventRejection[]; retryAfterSeconds?: number };

export interface AcceptDeps {
  producer: EventProducer;
  rateLimiter: EventRateLimiter;
  dataLimits: DataLimits;
  log: Logger;
}

const metrics = {
  accepted: counter('tollgate_ingest_events_accepted_total', 'events acknowledged after Kafka acked them'),
  rejected: counter('tollgate_ingest_events_rejected_total', 'events rejected by code', ['code']),
};

export function countRejection(code: string, events = 1): void {
  metrics.rejected.inc({ code }, events);
}

export async function acceptEvents(candidates: unknown[], principal: Principal, deps: AcceptDeps): Promise<AcceptOutcome> {
  const nowMs = Date.now();
  const accepted: WireEvent[] = [];
  const rejected: EventRejection[] = [];
  for (let index = 0; index < candidates.length; index++) {
    const result = validateEvent(candidates[index], index, principal.tenantId, nowMs, deps.dataLimits);
    if (result.ok) accepted.push(result.event);
    else {
      rejected.push(result.rejection);
      countRejection(result.rejection.code);
    }
  }
  if (accepted.length === 0) {
    return { ok: false, status: 400, error: { code: 'TG_ALL_EVENTS_REJECTED', message: `all ${rejected.length} events were rejected` }, rejected };
  }
  const rateKey = principal.keyId ?? `tenant:${principal.tenantId}`;
  const allowed = deps.rateLimiter.take(rateKey, accepted.length, principal.eventsPerSecondMax);
  if (!allowed.ok) {
    countRejection('TG_RATE_LIMITED', accepted.length);
    return { ok: false, status: 429, error: { code: 'TG_RATE_LIMITED', message: `over ${principal.eventsPerSecondMax} events/s for this key` },
      rejected, retryAfterSeconds: Math.max(1, Math.ceil(allowed.retryAfterMs / 1000)) };
  }
  try {
    await deps.producer.publish(accepted);
  } catch (err) {
    if (err instanceof OverloadedError) {
      countRejection('TG_OVERLOADED', accepted.length);
      return { ok: false, status: 503, error: { code: 'TG_OVERLOADED', message: err.message }, rejected, retryAfterSeconds: 1 };
    }
    countRejection('TG_KAFKA_UNAVAILABLE', accepted.length);
    deps.log.warn({ err, events: accepted.length }, 'Kafka did not acknowledge events');
    const message = err instanceof KafkaUnavailableError ? err.message : 'Kafka produce failed';
    return { ok: false, status: 503, error: { code: 'TG_KAFKA_UNAVAILABLE', message }, rejected, retryAfterSeconds: 2 };
  }
  metrics.accepted.inc(accepted.length);
  return { ok: true, accepted: accepted.length, rejected };
}

/** `POST /v1/events`: parse, validate per event, publish to Kafka, answer after the ack. */
import { apiError, type EventRejection } from '../schemas/errors.ts';
import type { WireEvent } from '../schemas/event.ts';
import type { Logger } from '../platform/log.ts';
import { counter, histogram, SIZE_BUCKETS } from '../platform/metrics.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { bodyFormat, parseBody, SUPPORTED_MEDIA_TYPES } from './parse-body.ts';
import { validateEvent } from './validate-event.ts';
import { KafkaUnavailableError, OverloadedError, type EventProducer } from './event-producer.ts';

export interface IngestLimits {
  bodyBytesMax: number;
  batchLengthMax: number;
}

const metrics = {
  requests: counter('tollgate_ingest_requests_total', 'ingest HTTP requests by status', ['status']),
  accepted: counter('tollgate_ingest_events_accepted_total', 'events acknowledged after Kafka acked them'),
  rejected: counter('tollgate_ingest_events_rejected_total', 'events rejected by code', ['code']),
  requestEvents: histogram('tollgate_ingest_request_events', 'events per request', SIZE_BUCKETS),
};

export interface IngestRouteDeps {
  producer: EventProducer;
  limits: IngestLimits;
  tenantOf: (authorization: string) => string;
  log: Logger;
}

export function registerIngestRoutes(app: TemplatedApp, deps: IngestRouteDeps): void {
  app.post('/v1/events', (res, req) => {
    const state = trackAbort(res);
    const contentType = req.getHeader('content-type');
    const tenant = deps.tenantOf(req.getHeader('authorization'));
    const reply = (status: number, body: unknown, headers?: Record<string, string>): void => {
      metrics.requests.inc({ status: String(status) });
      sendJson(res, state, headers ? { status, body, headers } : { status, body });
    };
    const format = bodyFormat(contentType);
    if (!format) {
      res.onData(() => undefined);
      reply(415, apiError('TG_CONTENT_TYPE_UNSUPPORTED', `Content-Type "${contentType}" is not accepted; use one of ${SUPPORTED_MEDIA_TYPES.join(', ')}`));
      return;
    }
    readBody(res, deps.limits.bodyBytesMax).then((body) => {
      const parsed = parseBody(format, body, deps.limits.batchLengthMax);
      if (!parsed.ok) {
        metrics.rejected.inc({ code: parsed.error.code });
        reply(parsed.status, { error: parsed.error });
        return;
      }
      const nowMs = Date.now();
      const accepted: WireEvent[] = [];
      const rejected: EventRejection[] = [];
      parsed.candidates.forEach((candidate, index) => {
        const result = validateEvent(candidate, index, tenant, nowMs);
        if (result.ok) accepted.push(result.event);
        else {
          rejected.push(result.rejection);
          metrics.rejected.inc({ code: result.rejection.code });
        }
      });
      metrics.requestEvents.observe(parsed.candidates.length);
      if (accepted.length === 0) {
        reply(400, { ...apiError('TG_ALL_EVENTS_REJECTED', `all ${rejected.length} events were rejected`), accepted: 0, rejected });
        return;
      }
      let published: Promise<void>;
      try {
        published = deps.producer.publish(accepted);
      } catch (err) {
        if (err instanceof OverloadedError) {
          reply(503, { ...apiError('TG_OVERLOADED', err.message), accepted: 0 }, { 'Retry-After': '1' });
          return;
        }
        throw err;
      }
      published.then(() => {
        metrics.accepted.inc(accepted.length);
        reply(202, { accepted: accepted.length, rejected });
      }, (err: unknown) => {
        const message = err instanceof KafkaUnavailableError ? err.message : 'Kafka produce failed';
        deps.log.warn({ err, events: accepted.length }, 'Kafka did not acknowledge events');
        reply(503, { ...apiError('TG_KAFKA_UNAVAILABLE', message), accepted: 0 }, { 'Retry-After': '2' });
      });
    }, (err: unknown) => {
      if (err instanceof BodyTooLargeError) {
        reply(413, apiError('TG_BODY_TOO_LARGE', err.message));
        return;
      }
      deps.log.error({ err }, 'reading the request body failed');
      reply(500, apiError('TG_INTERNAL'));
    });
  });
}

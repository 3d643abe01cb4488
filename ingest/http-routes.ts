/** `POST /v1/events`: authenticate, parse, validate per event, publish to Kafka, answer after the ack. */
import { apiError } from '../schemas/errors.ts';
import type { Logger } from '../platform/log.ts';
import { counter, histogram, SIZE_BUCKETS } from '../platform/metrics.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { bodyFormat, parseBody, SUPPORTED_MEDIA_TYPES } from './parse-body.ts';
import { acceptEvents, countRejection, type AcceptDeps } from './accept-events.ts';
import type { Authenticator } from './auth/authenticator.ts';

export interface IngestLimits {
  bodyBytesMax: number;
  batchLengthMax: number;
}

const metrics = {
  requests: counter('tollgate_ingest_requests_total', 'ingest HTTP requests by status', ['status']),
  requestEvents: histogram('tollgate_ingest_request_events', 'events per request', SIZE_BUCKETS),
};

export interface IngestRouteDeps extends AcceptDeps {
  limits: IngestLimits;
  authenticator: Authenticator;
  log: Logger;
}

export function registerIngestRoutes(app: TemplatedApp, deps: IngestRouteDeps): void {
  app.post('/v1/events', (res, req) => {
    const state = trackAbort(res);
    // uWS: headers must be read and the body reader attached before the first await.
    const contentType = req.getHeader('content-type');
    const authorization = req.getHeader('authorization');
    const reply = (status: number, body: unknown, headers?: Record<string, string>): void => {
      metrics.requests.inc({ status: String(status) });
      sendJson(res, state, headers ? { status, body, headers } : { status, body });
    };
    const format = bodyFormat(contentType);
    if (!format) {
      res.onData(() => undefined);
      countRejection('TG_CONTENT_TYPE_UNSUPPORTED');
      reply(415, apiError('TG_CONTENT_TYPE_UNSUPPORTED', `Content-Type "${contentType}" is not accepted; use one of ${SUPPORTED_MEDIA_TYPES.join(', ')}`));
      return;
    }
    const body = readBody(res, deps.limits.bodyBytesMax);
    const auth = deps.authenticator.authenticate(authorization);
    Promise.all([auth, body]).then(async ([authResult, bytes]) => {
      if (!authResult.ok) {
        countRejection(authResult.error.code);
        reply(authResult.status, { error: authResult.error });
        return;
      }
      const parsed = parseBody(format, bytes, deps.limits.batchLengthMax);
      if (!parsed.ok) {
        countRejection(parsed.error.code);
        reply(parsed.status, { error: parsed.error });
        return;
      }
      metrics.requestEvents.observe(parsed.candidates.length);
      const outcome = await acceptEvents(parsed.candidates, authResult.principal, deps);
      if (outcome.ok) {
        reply(202, { accepted: outcome.accepted, rejected: outcome.rejected });
        return;
      }
      const headers = outcome.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(outcome.retryAfterSeconds) };
      reply(outcome.status, { error: outcome.error, accepted: 0, rejected: outcome.rejected }, headers);
    }).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) {
        countRejection('TG_BODY_TOO_LARGE');
        reply(413, apiError('TG_BODY_TOO_LARGE', err.message));
        return;
      }
      deps.log.error({ err }, 'ingest request failed');
      reply(500, apiError('TG_INTERNAL'));
    });
  });
}

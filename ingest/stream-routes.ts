/**
 * `GET /v1/stream` (WebSocket). Protocol, both directions binary msgpack:
 *   server → client on open: {hello: {inFlightFramesMax, frameEventsMax, frameBytesMax}}
 *   client → server:          {seq, events: CloudEvent[]}   seq = 1, 2, 3 … per connection
 *   server → client per frame, in seq order, after Kafka acked:
 *                             {seq, accepted, rejected: [{index, code, field, message}]}
 *                          or {seq, error: {code, message}, retryable, retryAfterMs?}
 * A frame that cannot be read or breaks the seq order is a protocol error:
 * {error: {code: TG_FRAME_INVALID…}} and the connection is closed (1008).
 * Backpressure: at most `inFlightFramesMax` frames wait for Kafka per
 * connection, and none are taken while the client is not reading its acks
 * (uWS buffered amount over `ackBufferBytesMax`); both answer TG_OVERLOADED,
 * retryable.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { Logger } from '../platform/log.ts';
import { counter, gauge } from '../platform/metrics.ts';
import type { TemplatedApp, WebSocket } from '../platform/uws.ts';
import type { ApiError, ErrorCode, EventRejection } from '../schemas/errors.ts';
import { acceptEvents, countRejection, type AcceptDeps } from './accept-events.ts';
import type { Authenticator, Principal } from './auth/authenticator.ts';

export interface StreamLimits {
  inFlightFramesMax: number;
  frameEventsMax: number;
  frameBytesMax: number;
  ackBufferBytesMax: number;
}

export interface StreamRouteDeps extends AcceptDeps {
  authenticator: Authenticator;
  limits: StreamLimits;
  log: Logger;
}

type Ack =
  | { seq: number; accepted: number; rejected: EventRejection[] }
  | { seq: number; error: ApiError; retryable: boolean; retryAfterMs?: number };

interface Connection {
  principal: Principal;
  lastSeq: number;
  nextAckSeq: number;
  ready: Map<number, Ack>;
  inFlight: number;
  closed: boolean;
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['TG_OVERLOADED', 'TG_KAFKA_UNAVAILABLE', 'TG_RATE_LIMITED']);
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const packr = new Packr({ useRecords: false });

const metrics = {
  connections: gauge('tollgate_ingest_ws_connections', 'open WebSocket ingest connections'),
  frames: counter('tollgate_ingest_ws_frames_total', 'WebSocket frames by outcome', ['outcome']),
};

function send(ws: WebSocket<Connection>, message: unknown): void {
  if (ws.getUserData().closed) return;
  ws.send(packr.pack(message), true);
}

/** Sends every ack that is ready, in seq order. */
function flushAcks(ws: WebSocket<Connection>): void {
  const conn = ws.getUserData();
  if (conn.closed) return;
  ws.cork(() => {
    for (let ack = conn.ready.get(conn.nextAckSeq); ack; ack = conn.ready.get(conn.nextAckSeq)) {
      conn.ready.delete(conn.nextAckSeq);
      conn.nextAckSeq += 1;
      send(ws, ack);
    }
  });
}

function protocolError(ws: WebSocket<Connection>, message: string): void {
  metrics.frames.inc({ outcome: 'protocol_error' });
  countRejection('TG_FRAME_INVALID');
  send(ws, { error: { code: 'TG_FRAME_INVALID', message } });
  ws.end(1008, 'TG_FRAME_INVALID');
}

function readFrame(bytes: Buffer): { seq: number; events: unknown } | string {
  let frame: unknown;
  try {
    frame = unpackr.unpack(bytes);
  } catch (err) {
    return `frame is not valid msgpack: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return 'frame must be a map {seq, events}';
  const { seq, events } = frame as { seq?: unknown; events?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'seq must be a positive integer';
  return { seq, events };
}

export function registerStreamRoutes(app: TemplatedApp, deps: StreamRouteDeps): void {
  const { limits } = deps;
  app.ws<Connection>('/v1/stream', {
    // Frames up to twice the limit are read and refused with a coded error; beyond that uWS closes the connection.
    maxPayloadLength: limits.frameBytesMax * 2,
    maxBackpressure: limits.ackBufferBytesMax * 4,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      let aborted = false;
      res.onAborted(() => { aborted = true; });
      const authorization = req.getHeader('authorization');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      deps.authenticator.authenticate(authorization).then((auth) => {
        if (aborted) return;
        res.cork(() => {
          if (!auth.ok) {
            countRejection(auth.error.code);
            res.writeStatus('401 Unauthorized').writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: auth.error }));
            return;
          }
          const conn: Connection = { principal: auth.principal, lastSeq: 0, nextAckSeq: 1, ready: new Map(), inFlight: 0, closed: false };
          res.upgrade(conn, key, protocol, extensions, context);
        });
      }, (err: unknown) => {
        deps.log.error({ err }, 'WebSocket authentication failed');
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
      });
    },
    open: (ws) => {
      metrics.connections.inc();
      send(ws, { hello: { inFlightFramesMax: limits.inFlightFramesMax, frameEventsMax: limits.frameEventsMax, frameBytesMax: limits.frameBytesMax } });
    },
    message: (ws, message) => {
      const conn = ws.getUserData();
      // Copied: uWS neuters the ArrayBuffer when this callback returns.
      const frameBytes = message.byteLength;
      const frame = readFrame(Buffer.from(message.slice(0)));
      if (typeof frame === 'string') return protocolError(ws, frame);
      if (frame.seq !== conn.lastSeq + 1) return protocolError(ws, `seq ${frame.seq} out of order; expected ${conn.lastSeq + 1}`);
      conn.lastSeq = frame.seq;
      const finish = (ack: Ack, outcome: string): void => {
        metrics.frames.inc({ outcome });
        conn.ready.set(ack.seq, ack);
        flushAcks(ws);
      };
      const refuse = (code: ErrorCode, text: string, retryAfterMs?: number): void => {
        countRejection(code);
        const ack: Ack = { seq: frame.seq, error: { code, message: text }, retryable: RETRYABLE.has(code) };
        finish(retryAfterMs === undefined ? ack : { ...ack, retryAfterMs }, code);
      };
      if (frameBytes > limits.frameBytesMax) return refuse('TG_BODY_TOO_LARGE', `frame of ${frameBytes} bytes; the limit is ${limits.frameBytesMax}`);
      if (!Array.isArray(frame.events)) return refuse('TG_BODY_NOT_EVENTS', 'events must be an array of events');
      if (frame.events.length === 0) return refuse('TG_BODY_EMPTY', 'the frame holds no events');
      if (frame.events.length > limits.frameEventsMax) {
        return refuse('TG_BATCH_TOO_LONG', `${frame.events.length} events in one frame; the limit is ${limits.frameEventsMax}`);
      }
      if (conn.inFlight >= limits.inFlightFramesMax || ws.getBufferedAmount() > limits.ackBufferBytesMax) {
        return refuse('TG_OVERLOADED', `more than ${limits.inFlightFramesMax} frames in flight or acks unread; wait for acks`, 100);
      }
      conn.inFlight += 1;
      acceptEvents(frame.events, conn.principal, deps).then((outcome) => {
        conn.inFlight -= 1;
        if (outcome.ok) finish({ seq: frame.seq, accepted: outcome.accepted, rejected: outcome.rejected }, 'accepted');
        else {
          const ack: Ack = { seq: frame.seq, error: outcome.error, retryable: RETRYABLE.has(outcome.error.code) };
          finish(outcome.retryAfterSeconds === undefined ? ack : { ...ack, retryAfterMs: outcome.retryAfterSeconds * 1000 }, outcome.error.code);
        }
      }, (err: unknown) => {
        conn.inFlight -= 1;
        deps.log.error({ err }, 'WebSocket frame failed');
        finish({ seq: frame.seq, error: { code: 'TG_INTERNAL', message: 'internal error' }, retryable: true }, 'TG_INTERNAL');
      });
    },
    close: (ws) => {
      ws.getUserData().closed = true;
      metrics.connections.dec();
    },
  });
}

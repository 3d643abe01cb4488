// k6 twin of the Node harness' WebSocket ingest load (bench/load/ws-load-client.ts,
// bench/scenarios/ingest.ts): CONNECTIONS sockets to GET /v1/stream, each
// keeping WINDOW frames of BATCH CloudEvents in flight for SECONDS. Frames and
// acks are binary msgpack (protocol: ingest/stream-routes.ts):
//   server → client on open: {hello: {inFlightFramesMax, frameEventsMax, frameBytesMax}}
//   client → server:          {seq, events}        seq = 1, 2, 3 … per connection
//   server → client per frame, in seq order, after Kafka acked: {seq, accepted, rejected} or {seq, error, retryable}
//
//   k6 run -e WS_URL=ws://127.0.0.1:8080/v1/stream -e CUSTOMERS=0 bench/k6/ingest-ws.js
//   k6 run -e WS_URL=... -e API_KEY=tg_… -e CONNECTIONS=8 -e WINDOW=16 -e BATCH=100 -e SECONDS=10 bench/k6/ingest-ws.js
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { decode, encode } from './lib/msgpack.js';
import { benchEvents } from './lib/events.js';

const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8080/v1/stream';
const API_KEY = __ENV.API_KEY || '';
const CONNECTIONS = Number(__ENV.CONNECTIONS || 8);
const WINDOW = Number(__ENV.WINDOW || 16);
const BATCH = Number(__ENV.BATCH || 100);
const SECONDS = Number(__ENV.SECONDS || 10);
const CUSTOMERS = Number(__ENV.CUSTOMERS || 100);
const RUN_ID = __ENV.RUN_ID || `k6ws${Date.now().toString(36)}`;
const SOURCE = `bench-k6-${RUN_ID}`;

const eventsAccepted = new Counter('events_accepted');
const eventsRejected = new Counter('events_rejected');
const errorAcks = new Counter('error_acks');
const ackLatency = new Trend('frame_ack_ms', true);

export const options = {
  scenarios: {
    stream_ingest: { executor: 'per-vu-iterations', vus: CONNECTIONS, iterations: 1, maxDuration: `${SECONDS + 30}s` },
  },
  thresholds: {
    checks: ['rate==1'],
    events_rejected: ['count==0'],
    error_acks: ['count==0'],
    // DESIGN §9 near-term bar for ingest → Kafka ack: 100k events/s.
    events_accepted: ['rate>=100000'],
    // An ack waits for Kafka (linger + produce) and for the frames before it.
    frame_ack_ms: ['p(50)<100', 'p(99)<500'],
  },
};

export default function () {
  // Event numbers unique across VUs: each VU owns a range of 2^32 events.
  let n = (__VU - 1) * 2 ** 32;
  let seq = 0;
  let helloSeen = false;
  const sentAt = {};
  let inFlight = 0;
  const params = API_KEY ? { headers: { Authorization: `Bearer ${API_KEY}` } } : {};
  const response = ws.connect(WS_URL, params, (socket) => {
    const deadline = Date.now() + SECONDS * 1000;
    const sendMore = () => {
      while (inFlight < WINDOW && Date.now() < deadline) {
        seq += 1;
        const events = benchEvents(RUN_ID, SOURCE, n, BATCH, CUSTOMERS, new Date().toISOString());
        n += BATCH;
        sentAt[seq] = Date.now();
        inFlight += 1;
        socket.sendBinary(encode({ seq, events }));
      }
      if (inFlight === 0) socket.close();
    };
    socket.on('binaryMessage', (data) => {
      const message = decode(data);
      if (message.hello) {
        helloSeen = true;
        sendMore();
        return;
      }
      if (message.seq === undefined) {
        // A connection-level protocol error ({error}); the server closes the socket.
        errorAcks.add(1);
        return;
      }
      ackLatency.add(Date.now() - sentAt[message.seq]);
      delete sentAt[message.seq];
      inFlight -= 1;
      if (message.error) {
        errorAcks.add(1);
        eventsRejected.add(BATCH);
      } else {
        eventsAccepted.add(message.accepted);
        eventsRejected.add(message.rejected.length);
      }
      sendMore();
    });
    socket.setTimeout(() => socket.close(), (SECONDS + 20) * 1000);
  });
  check(response, { 'upgraded (101)': (r) => r && r.status === 101 });
  check(helloSeen, { 'hello received': (seen) => seen === true });
}

// k6 twin of the Node harness' batched ingest load (bench/scenarios/skeleton.ts,
// bench/load/load-client.ts, bench/events.ts): POST /v1/events with JSON
// arrays of BATCH CloudEvents of ≈200 bytes, every id unique, subjects spread
// over CUSTOMERS customers, on CONNECTIONS connections, EVENTS events in all.
// Ingest answers 202 only after Kafka acknowledged every event (acks=all), so
// the accepted-events rate is the "ingest → Kafka ack" figure.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=tg_… bench/k6/ingest-http.js
//   k6 run -e BASE_URL=... -e API_KEY=... -e EVENTS=100000 -e BATCH=100 -e CONNECTIONS=50 -e CUSTOMERS=100 bench/k6/ingest-http.js
//
// API_KEY: a key of the tenant (`tollgate keys create --tenant default --name k6`),
// sent as "Authorization: Bearer <key>" as the harness does; leave it empty
// only against a node whose TOLLGATE_AUTH_MODE is optional (`npm start`).
//
// Keep in step with the Node harness: the event shape of bench/events.ts
// (cloudEventJson, tokensOf, benchSubject; mirrored in lib/events.js and
// compared by ops/k6-lib.test.ts), the defaults of bench/options.ts,
// and the DESIGN §9 bars in the thresholds. CUSTOMERS=0 posts for the demo
// customer cust_42 alone (as `npm start` seeds it); bench_cust_NNNNN subjects
// are rated only where the bench seeded them, but ingest accepts them anyway.
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { benchEvents } from './lib/events.js';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const API_KEY = __ENV.API_KEY || '';
const EVENTS = Number(__ENV.EVENTS || 100000);
const BATCH = Number(__ENV.BATCH || 100);
const CONNECTIONS = Number(__ENV.CONNECTIONS || 50);
const CUSTOMERS = Number(__ENV.CUSTOMERS || 100);
const RUN_ID = __ENV.RUN_ID || `k6${Date.now().toString(36)}`;
const SOURCE = `bench-k6-${RUN_ID}`;

const eventsAccepted = new Counter('events_accepted');
const eventsRejected = new Counter('events_rejected');
const eventsPerRequest = new Trend('events_per_request');

export const options = {
  scenarios: {
    batched_ingest: {
      executor: 'shared-iterations',
      vus: CONNECTIONS,
      iterations: Math.floor(EVENTS / BATCH),
      maxDuration: '120s',
    },
  },
  discardResponseBodies: false,
  thresholds: {
    // Every request answered 202 with every event accepted.
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    events_rejected: ['count==0'],
    // DESIGN §9 near-term bar: 100k events/s from ingest to Kafka ack, batched.
    events_accepted: ['rate>=100000'],
    // A request waits for the Kafka ack of its events (linger + produce).
    'http_req_duration{expected_response:true}': ['p(50)<50', 'p(99)<250'],
  },
};

function batchBody(request, timeIso) {
  return JSON.stringify(benchEvents(RUN_ID, SOURCE, request * BATCH, BATCH, CUSTOMERS, timeIso));
}

export default function () {
  // Unique across VUs in a shared-iterations scenario: request n carries events n*BATCH … n*BATCH+BATCH-1.
  const request = exec.scenario.iterationInTest;
  const response = http.post(`${BASE_URL}/v1/events`, batchBody(request, new Date().toISOString()), {
    headers: API_KEY ? { 'Content-Type': 'application/json', Authorization: `Bearer ${API_KEY}` } : { 'Content-Type': 'application/json' },
    tags: { name: 'POST /v1/events' },
  });
  let accepted = 0;
  let rejected = BATCH;
  if (response.status === 202) {
    const body = response.json();
    accepted = body.accepted;
    rejected = body.rejected.length;
  }
  eventsAccepted.add(accepted);
  eventsRejected.add(rejected);
  eventsPerRequest.add(accepted);
  check(response, {
    'status is 202': (r) => r.status === 202,
    'every event accepted': () => accepted === BATCH,
  });
}

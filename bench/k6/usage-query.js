// k6 load on the usage query API: GET /v1/usage?subject=&meter=[&from=&to=]
// for random customers, as dashboards and the SDK's access checks ask it
// (answered from ClickHouse usage_rated, rater/usage-query.ts).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e CUSTOMERS=0 bench/k6/usage-query.js
//   k6 run -e BASE_URL=... -e API_KEY=tg_… -e VUS=20 -e DURATION=30s -e CUSTOMERS=100 bench/k6/usage-query.js
//   k6 run -e BASE_URL=... -e CUSTOMERS=0 -e LOOKBACK_HOURS=24 -e WINDOW=HOUR bench/k6/usage-query.js
//
// Seed data first (e.g. `npm start -- --demo`, or bench/k6/ingest-http.js with the same CUSTOMERS),
// otherwise every answer is a valid zero total.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { subjectOf } from './lib/events.js';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const API_KEY = __ENV.API_KEY || '';
const METER = __ENV.METER || 'tokens';
const CUSTOMERS = Number(__ENV.CUSTOMERS || 100);
const VUS = Number(__ENV.VUS || 10);
const DURATION = __ENV.DURATION || '30s';
/** Query the last LOOKBACK_HOURS hours (0 = everything so far, no from/to). */
const LOOKBACK_HOURS = Number(__ENV.LOOKBACK_HOURS || 0);
/** MINUTE | HOUR | DAY: windowed rows from the aggregates (usage_by_*); empty = one total. */
const WINDOW = __ENV.WINDOW || '';

const nonZeroTotals = new Counter('non_zero_totals');

export const options = {
  scenarios: { usage_queries: { executor: 'constant-vus', vus: VUS, duration: DURATION } },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    // Interactive use: a dashboard tile or an access check waits for this answer.
    'http_req_duration{name:GET /v1/usage}': ['p(50)<50', 'p(95)<200', 'p(99)<500'],
    // The seeded data is there: most answers carry usage (not a run against an empty store).
    non_zero_totals: ['count>0'],
  },
};

export default function () {
  const subject = subjectOf(Math.floor(Math.random() * Math.max(1, CUSTOMERS)), CUSTOMERS);
  let query = `subject=${encodeURIComponent(subject)}&meter=${encodeURIComponent(METER)}`;
  if (LOOKBACK_HOURS > 0) {
    const to = new Date();
    const from = new Date(to.getTime() - LOOKBACK_HOURS * 3600 * 1000);
    query += `&from=${from.toISOString()}&to=${to.toISOString()}`;
  }
  if (WINDOW) query += `&windowSize=${WINDOW}`;
  const response = http.get(`${BASE_URL}/v1/usage?${query}`, {
    headers: API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {},
    tags: { name: 'GET /v1/usage' },
  });
  let body = null;
  if (response.status === 200) body = response.json();
  if (body && body.events > 0) nonZeroTotals.add(1);
  check(response, {
    'status is 200': (r) => r.status === 200,
    'a total for the asked subject and meter': () => body !== null && body.subject === subject && body.meter === METER
      && (body.amountMicros === null || /^-?\d+$/.test(body.amountMicros)) && typeof body.events === 'number',
  });
}

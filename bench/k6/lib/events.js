// The synthetic CloudEvents of the k6 scripts, kept identical to the Node
// harness' (bench/events.ts: cloudEventJson, tokensOf, benchSubject) so k6
// and `npm run bench` load the same bytes. ops/k6-lib.test.ts compares them.

export const EVENT_TYPE = 'api_request';
const MODELS = ['small', 'medium', 'large'];

/** CUSTOMERS=0 posts for the demo customer cust_42 alone (as `npm start -- --demo` seeds it). */
export function subjectOf(n, customers) {
  if (customers <= 0) return 'cust_42';
  return `bench_cust_${String(n % customers).padStart(5, '0')}`;
}

export function tokensOf(n) {
  return 1 + ((n * 7919) % 2000);
}

/** Event number n of a run, as an object (the WebSocket script packs it with msgpack). */
export function benchEvent(runId, source, n, customers, timeIso) {
  return {
    specversion: '1.0',
    id: `k6-${runId}-${n.toString(36)}`,
    source,
    type: EVENT_TYPE,
    subject: subjectOf(n, customers),
    time: timeIso,
    data: { tokens: tokensOf(n), model: MODELS[n % MODELS.length] },
  };
}

/** Events first … first+count-1. */
export function benchEvents(runId, source, first, count, customers, timeIso) {
  const events = [];
  for (let n = first; n < first + count; n++) events.push(benchEvent(runId, source, n, customers, timeIso));
  return events;
}

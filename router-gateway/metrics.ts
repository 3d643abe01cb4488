/** Router gateway metrics (names fixed with the dashboards). */
import { counter, gauge, histogram, LATENCY_BUCKETS_SECONDS } from '../platform/metrics.ts';

export const gatewayMetrics = {
  /** kind: access | accounting | disconnect | unknown; result: accept, reject, counted, duplicate, stale, or the drop reason. */
  packets: counter('tollgate_radius_packets_total', 'RADIUS packets by router, kind and result', ['router', 'kind', 'result']),
  activeSessions: gauge('tollgate_radius_active_sessions', 'hotspot sessions with a Start and no Stop', ['router']),
  octets: counter('tollgate_radius_accounting_octets_total', 'octets metered from accounting (in = from the user, out = to the user)', ['router', 'direction']),
  cutoffs: counter('tollgate_router_cutoffs_total', 'session cutoffs by method and outcome', ['router', 'method', 'outcome']),
  routerUp: gauge('tollgate_router_up', '1 when the last health check reached the router\'s RouterOS API', ['router']),
  accountingSeconds: histogram('tollgate_radius_accounting_seconds', 'Accounting-Request to Accounting-Response (Kafka ack + session write)', LATENCY_BUCKETS_SECONDS),
  apiCalls: counter('tollgate_router_api_calls_total', 'RouterOS API calls by outcome (ok, error, rate_limited)', ['router', 'outcome']),
  sessionWriteSeconds: histogram('tollgate_radius_session_write_seconds', 'one batched upsert of session totals', LATENCY_BUCKETS_SECONDS),
  inFlight: gauge('tollgate_radius_in_flight_packets', 'accounting packets waiting for Kafka and Postgres'),
};

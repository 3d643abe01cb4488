/**
 * Figures for the live page (`/`): the rate of events this ingest node had
 * acknowledged by Kafka, the rate of events rated into ClickHouse (all rater
 * nodes), and the top customers by amount over the last hour.
 *
 * The ingest rate is sampled from this process' own counter
 * (`tollgate_ingest_events_accepted_total`) each time the figures are asked
 * for, so it needs no timer; with several ingest nodes each page shows its
 * node's share, while the rated rate and the top customers cover everything.
 */
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import { registry } from '../platform/metrics.ts';

export const ACCEPTED_EVENTS_METRIC = 'tollgate_ingest_events_accepted_total';
/** The rate is measured over the samples of this window. */
const RATE_WINDOW_MS = 10_000;
/** A rate over a shorter span than this would mostly show request timing. */
const RATE_SPAN_MS_MIN = 900;
const SAMPLES_MAX = 64;
const TOP_CUSTOMERS_MAX = 10;

export interface TopCustomer {
  subject: string;
  currency: string;
  events: number;
  /** Exact, as a decimal string of micro-units. */
  amountMicros: string;
}

export interface LiveFigures {
  at: string;
  /** Events per second this ingest node acknowledged (null until two samples a second apart exist). */
  ingestEventsPerSecond: number | null;
  /** Metered events per second the rater stored in ClickHouse over the last minute (event time), all nodes. */
  ratedEventsPerSecond: number;
  /** Customers with metered events in the last hour. */
  activeCustomers: number;
  topCustomers: TopCustomer[];
}

interface Sample { atMs: number; value: number }

export class IngestRateSampler {
  private readonly samples: Sample[] = [];

  constructor(private readonly read: () => Promise<number> = readAcceptedEvents) {}

  async rate(nowMs: number): Promise<number | null> {
    this.samples.push({ atMs: nowMs, value: await this.read() });
    while (this.samples.length > SAMPLES_MAX || (this.samples.length > 2 && nowMs - this.samples[1]!.atMs >= RATE_WINDOW_MS)) this.samples.shift();
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const spanMs = last.atMs - first.atMs;
    if (spanMs < RATE_SPAN_MS_MIN) return null;
    return Math.max(0, (last.value - first.value) * 1000 / spanMs);
  }
}

async function readAcceptedEvents(): Promise<number> {
  const metric = registry.getSingleMetric(ACCEPTED_EVENTS_METRIC);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

const RATED_WINDOW_SECONDS = 60;

export type RatedFigures = Pick<LiveFigures, 'ratedEventsPerSecond' | 'activeCustomers' | 'topCustomers'>;

export async function queryRatedFigures(clickhouse: ClickHouseClient, tenant: string): Promise<RatedFigures> {
  // events_raw holds one row per event the rater processed (usage_rated one per event and meter).
  const rated = await clickhouse.query({
    query: `SELECT countIf(time >= now64(3, 'UTC') - INTERVAL ${RATED_WINDOW_SECONDS} SECOND) AS events,
              dateDiff('millisecond', minIf(time, time >= now64(3, 'UTC') - INTERVAL ${RATED_WINDOW_SECONDS} SECOND), now64(3, 'UTC')) AS span_ms,
              uniqExact(subject) AS customers
            FROM events_raw
            WHERE tenant = {tenant:String} AND metered AND time >= now64(3, 'UTC') - INTERVAL 1 HOUR`,
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  const [ratedRow] = await rated.json<{ events: string | number; span_ms: string | number; customers: string | number }>();
  // Over the span the events actually cover (traffic that started 20 s ago is not spread over a minute), at least 1 s.
  const spanSeconds = Math.min(RATED_WINDOW_SECONDS, Math.max(1, Number(ratedRow?.span_ms ?? 0) / 1000));
  const top = await clickhouse.query({
    // One event rated by two meters is two rows: count events by their identity.
    query: `SELECT subject, currency, uniqExact(source, id) AS events, toString(sum(amount_micros)) AS amount_micros_text
            FROM usage_rated
            WHERE tenant = {tenant:String} AND time >= now64(3, 'UTC') - INTERVAL 1 HOUR
            GROUP BY subject, currency
            -- the alias differs from the column: ClickHouse would otherwise sum the string alias
            ORDER BY sum(amount_micros) DESC, events DESC, subject
            LIMIT ${TOP_CUSTOMERS_MAX}`,
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  const rows = await top.json<{ subject: string; currency: string; events: string | number; amount_micros_text: string }>();
  return {
    ratedEventsPerSecond: Number(ratedRow?.events ?? 0) / spanSeconds,
    activeCustomers: Number(ratedRow?.customers ?? 0),
    topCustomers: rows.map((r) => ({ subject: r.subject, currency: r.currency, events: Number(r.events), amountMicros: r.amount_micros_text })),
  };
}

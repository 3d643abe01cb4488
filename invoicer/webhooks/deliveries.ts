/**
 * Signed webhook delivery, reusable by any service: events are enqueued in
 * the caller's transaction (one row per subscribed endpoint, so the event and
 * its deliveries commit or vanish together), and `deliverDueWebhooks` POSTs
 * the due ones with retries: exponential backoff with jitter, at most
 * `attemptsMax` attempts, then the dead-letter state (`dead`), from which
 * `redeliverWebhook` brings one back by hand. Higher `priority` goes first.
 *
 * Claiming uses `FOR UPDATE SKIP LOCKED` and a lease (the next attempt time is
 * pushed past the request timeout before the request), so several workers
 * never send one delivery at once and a worker that dies mid-request leaves
 * the delivery to be retried after the lease. Delivery is at least once: a
 * receiver de-duplicates by the `Tollgate-Event-Id` header.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/postgres.ts';
import { counter, gauge } from '../../platform/metrics.ts';
import { signPayload } from './signature.ts';

type Queryable = Pick<Database, 'execute'>;

export interface WebhookEvent {
  /** Unique per event: the receiver's de-duplication key. */
  id: string;
  type: string;
  tenantId: string;
  correlationId: string;
  /** Higher is delivered first (e.g. payments before informational events). */
  priority: number;
  payload: unknown;
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export interface DeliveryOptions {
  nowMs?: number;
  /** Deliveries claimed per pass. */
  batchMax?: number;
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  /** [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export const WEBHOOK_ATTEMPTS_MAX_DEFAULT = 8;
export const WEBHOOK_BACKOFF_DEFAULT: BackoffPolicy = { baseMs: 5_000, capMs: 3_600_000 };
const BATCH_MAX_DEFAULT = 50;
const TIMEOUT_MS_DEFAULT = 10_000;
const ERROR_TEXT_MAX = 500;

const metrics = {
  deliveries: counter('tollgate_webhook_deliveries_total', 'Webhook delivery attempts by outcome (delivered, retried, dead)', ['outcome']),
  deadLetters: gauge('tollgate_webhook_dead_letters', 'Webhook deliveries in the dead-letter state'),
};

/** Delay before attempt `attempt + 1` after `attempt` failures: half of the capped exponential, plus up to the other half at random. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** One delivery row per active endpoint of the event's tenant that takes its type; an event already enqueued is not again. */
export async function enqueueWebhookDeliveries(tx: Queryable, events: readonly WebhookEvent[], attemptsMax = WEBHOOK_ATTEMPTS_MAX_DEFAULT): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ tenant_id: e.tenantId, event_id: e.id, event_type: e.type, payload: e.payload,
    correlation_id: e.correlationId, priority: e.priority }));
  // One statement for the whole batch (jsonb_to_recordset): cost per batch, not per event.
  await tx.execute(sql`
    INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload, correlation_id, priority, attempts_max)
    SELECT e.tenant_id, w.id, e.event_id, e.event_type, e.payload, e.correlation_id, e.priority, ${attemptsMax}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS e(tenant_id text, event_id text, event_type text, payload jsonb, correlation_id text, priority int)
    JOIN webhook_endpoints w ON w.tenant_id = e.tenant_id AND w.active = 1
      AND (cardinality(w.event_types) = 0 OR e.event_type = ANY(w.event_types))
    ON CONFLICT (endpoint_id, event_id) DO NOTHING`);
}

interface ClaimedDelivery extends Record<string, unknown> {
  id: string;
  event_id: string;
  event_type: string;
  payload: unknown;
  correlation_id: string;
  attempts: number;
  attempts_max: number;
  url: string;
  secret: string;
}

export interface DeliveryPassResult {
  delivered: number;
  retried: number;
  dead: number;
}

/** One pass: claims up to `batchMax` due deliveries, sends them concurrently, records each outcome. */
export async function deliverDueWebhooks(db: Database, options: DeliveryOptions = {}): Promise<DeliveryPassResult> {
  const nowMs = options.nowMs ?? Date.now();
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const backoff = options.backoff ?? WEBHOOK_BACKOFF_DEFAULT;
  const leaseUntil = new Date(nowMs + timeoutMs * 2).toISOString();
  const claimed = await db.transaction(async (tx) => {
    const rows = await tx.execute<ClaimedDelivery>(sql`
      SELECT d.id, d.event_id, d.event_type, d.payload, d.correlation_id, d.attempts, d.attempts_max, w.url, w.secret
      FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${new Date(nowMs).toISOString()}::timestamptz
      ORDER BY d.priority DESC, d.next_attempt_at, d.id
      LIMIT ${options.batchMax ?? BATCH_MAX_DEFAULT} FOR UPDATE OF d SKIP LOCKED`);
    if (rows.rows.length > 0) {
      await tx.execute(sql`UPDATE webhook_deliveries SET next_attempt_at = ${leaseUntil}::timestamptz
        WHERE id = ANY(${sql.param(rows.rows.map((r) => r.id))}::uuid[])`);
    }
    return rows.rows;
  });
  const result: DeliveryPassResult = { delivered: 0, retried: 0, dead: 0 };
  await Promise.all(claimed.map(async (d) => {
    const outcome = await attempt(d, nowMs, timeoutMs);
    const attempts = d.attempts + 1;
    if (outcome.ok) {
      result.delivered += 1;
      await db.execute(sql`UPDATE webhook_deliveries SET status = 'delivered', attempts = ${attempts}, delivered_at = now(),
        last_status_code = ${outcome.status}, last_error = NULL WHERE id = ${d.id}`);
      return;
    }
    const dead = attempts >= d.attempts_max;
    if (dead) result.dead += 1; else result.retried += 1;
    const next = new Date(nowMs + backoffDelayMs(attempts, backoff, options.random)).toISOString();
    await db.execute(sql`UPDATE webhook_deliveries SET status = ${dead ? 'dead' : 'pending'}, attempts = ${attempts},
      next_attempt_at = ${next}::timestamptz, last_status_code = ${outcome.status ?? null}, last_error = ${outcome.error.slice(0, ERROR_TEXT_MAX)}
      WHERE id = ${d.id}`);
  }));
  metrics.deliveries.inc({ outcome: 'delivered' }, result.delivered);
  metrics.deliveries.inc({ outcome: 'retried' }, result.retried);
  metrics.deliveries.inc({ outcome: 'dead' }, result.dead);
  if (claimed.length > 0) metrics.deadLetters.set(await deadLetterCount(db));
  return result;
}

type AttemptOutcome = { ok: true; status: number } | { ok: false; status?: number; error: string };

async function attempt(d: ClaimedDelivery, nowMs: number, timeoutMs: number): Promise<AttemptOutcome> {
  const body = JSON.stringify({ id: d.event_id, type: d.event_type, correlationId: d.correlation_id, data: d.payload });
  try {
    const response = await fetch(d.url, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'tollgate-signature': signPayload(d.secret, body, Math.floor(nowMs / 1000)),
        'tollgate-event-id': d.event_id,
        'tollgate-event-type': d.event_type,
        'tollgate-correlation-id': d.correlation_id,
        'tollgate-delivery-attempt': String(d.attempts + 1),
      },
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

export async function deadLetterCount(db: Queryable): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'dead'`);
  return rows.rows[0]?.n ?? 0;
}

/** Puts a delivery (dead, delivered or pending) back in the queue for an immediate attempt; false when the tenant has no such delivery. */
export async function redeliverWebhook(db: Queryable, tenantId: string, deliveryId: string): Promise<boolean> {
  const rows = await db.execute(sql`UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
    WHERE id = ${deliveryId} AND tenant_id = ${tenantId} RETURNING id`);
  return rows.rows.length > 0;
}

export interface WebhookEndpointInput {
  tenantId: string;
  url: string;
  secret: string;
  eventTypes: readonly string[];
}

export async function createWebhookEndpoint(db: Queryable, input: WebhookEndpointInput): Promise<string> {
  const rows = await db.execute<{ id: string }>(sql`INSERT INTO webhook_endpoints (tenant_id, url, secret, event_types)
    VALUES (${input.tenantId}, ${input.url}, ${input.secret}, ${sql.param([...input.eventTypes])}::text[]) RETURNING id`);
  return rows.rows[0]!.id;
}

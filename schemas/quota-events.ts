/**
 * `quota.exceeded` (Kafka topic TOPICS.quotaExceeded, JSON value, key =
 * `<tenant>:<subject>`): a customer's usage of a meter reached an entitlement
 * limit in a billing period. Emitted once per (customer, meter, period,
 * limit) by the rater after the batch that reached it was checkpointed;
 * delivery is at least once, so consumers de-duplicate by `id`.
 */
export interface QuotaExceededEvent {
  type: 'quota.exceeded';
  /** Unique per crossing; stable across redeliveries. */
  id: string;
  tenant: string;
  subject: string;
  customerId: string;
  /** Meter slug (the entitlement's "feature"). */
  meter: string;
  /** Billing period, UTC calendar month: `YYYY-MM-DD` first day, `periodEnd` exclusive. */
  periodStart: string;
  periodEnd: string;
  /** Decimal strings in meter units (up to 9 decimals). */
  limit: string;
  /** Usage of the period right after the event that reached the limit (≥ limit). */
  usage: string;
  /** `hard`: access is denied until the period ends; `soft`: report only. */
  enforcement: 'hard' | 'soft';
  /** The event that reached the limit. */
  event: { source: string; id: string; time: string };
}

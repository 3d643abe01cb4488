/** Shapes of HTTP API answers shared by the server and the SDK. */

/** Window sizes of `GET /v1/usage?windowSize=` (UTC; a DAY is 24 h). */
export type UsageWindowSize = 'MINUTE' | 'HOUR' | 'DAY';

/** Dimensions `GET /v1/usage?groupBy=` splits rows by: the event's subject, the meter, or a data property the meter groups by. */
export type UsageGroupBy = 'subject' | 'meter' | (string & {});

/** One row of a usage answer: one subject, meter and currency, in one window when windowed. */
export interface UsageRow {
  /** RFC 3339 start of the window (inclusive); null without windowSize. A window may reach outside from/to: only its part inside counts. */
  windowStart: string | null;
  /** RFC 3339 end of the window (exclusive); null without windowSize. */
  windowEnd: string | null;
  subject: string;
  meter: string;
  /** Null for usage rated without a price (no currency). */
  currency: string | null;
  /** Values of the data properties in `groupBy` (only when grouped by any; '' where an event lacks one). */
  dimensions?: Record<string, string>;
  /** Exact decimal string. */
  quantity: string;
  /** Integer micro-units of `currency`, as a string (it may exceed 2^53). */
  amountMicros: string;
  events: number;
}

/**
 * `GET /v1/usage`: rated usage over [from, to). The top level is the total of
 * `rows`. Money and quantities are decimal strings: no float rounding.
 */
export interface UsageTotal {
  /** The subject filter; null when grouped by subject without one. */
  subject: string | null;
  /** The meter filter; null when grouped by meter without one. */
  meter: string | null;
  /** RFC 3339, inclusive. */
  from: string;
  /** RFC 3339, exclusive. */
  to: string;
  /** Exact decimal string; null when the rows span several meters (units differ). */
  quantity: string | null;
  /** Integer micro-units of `currency`, as a string; null when the rows span several currencies. */
  amountMicros: string | null;
  /** Null when no rated usage names a currency yet, or when the rows span several. */
  currency: string | null;
  events: number;
  windowSize: UsageWindowSize | null;
  groupBy: UsageGroupBy[];
  rows: UsageRow[];
}

/**
 * `GET /v1/entitlements/{subject}/{feature}`: may the subject use the feature
 * (a meter) now, and how much of the billing period's limit is left.
 */
export interface EntitlementAccess {
  subject: string;
  /** The meter slug asked about. */
  feature: string;
  /** False only when a hard limit is reached; a soft limit never denies. */
  hasAccess: boolean;
  /** Null when no limit applies. */
  enforcement: 'hard' | 'soft' | null;
  /** Decimal meter units per billing period; null = no limit. */
  limit: string | null;
  /** Decimal meter units used in the billing period so far (as of the rater's last checkpoint). */
  usage: string;
  /** Decimal meter units left; null = no limit. */
  remaining: string | null;
  /** First day of the billing period (UTC calendar month), `YYYY-MM-DD`, inclusive. */
  periodStart: string;
  /** First day of the next billing period, `YYYY-MM-DD`, exclusive. */
  periodEnd: string;
}

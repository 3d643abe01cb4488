/** Shapes of HTTP API answers shared by the server and the SDK. */

/** `GET /v1/usage`: one subject's total for one meter. Money and quantities are decimal strings: no float rounding. */
export interface UsageTotal {
  subject: string;
  meter: string;
  /** RFC 3339, inclusive. */
  from: string;
  /** RFC 3339, exclusive. */
  to: string;
  /** Exact decimal string. */
  quantity: string;
  /** Integer micro-units of `currency`, as a string (it may exceed 2^53). */
  amountMicros: string;
  /** Null when no rated usage names a currency yet. */
  currency: string | null;
  events: number;
}

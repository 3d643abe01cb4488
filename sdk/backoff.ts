/** Retry timing: exponential backoff with full jitter, and the server's `Retry-After`. Pure: no clock, no timers. */

export interface RetryPolicy {
  /** Attempts per batch, the first send included; then the events are reported as failed. */
  attemptsMax: number;
  /** Ceiling of the first retry's delay; it doubles per retry. */
  delayMsBase: number;
  /** Ceiling of any backoff delay. */
  delayMsMax: number;
  /** A server's `Retry-After` is honoured up to this; a larger one is cut to it. */
  retryAfterMsMax: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attemptsMax: 10,
  delayMsBase: 100,
  delayMsMax: 30_000,
  retryAfterMsMax: 60_000,
};

/**
 * Delay before retry number `retry` (1 = the first retry). Full jitter: a
 * uniform draw below the exponential ceiling, so that clients that failed
 * together do not come back together.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer ≥ 1, got ${retry}`);
  // 2 ** 1024 is Infinity; the cap applies long before the exponent matters.
  const ceilingMs = Math.min(policy.delayMsMax, policy.delayMsBase * 2 ** Math.min(retry - 1, 52));
  const draw = random();
  if (!(draw >= 0 && draw <= 1)) throw new RangeError(`random() must return a number in [0, 1], got ${draw}`);
  return Math.floor(draw * ceilingMs);
}

/** The wait before a retry: the longer of the server's `Retry-After` (capped) and our own backoff. */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const backoffMs = backoffDelayMs(retry, policy, random);
  if (retryAfterMs === undefined) return backoffMs;
  return Math.max(Math.min(retryAfterMs, policy.retryAfterMsMax), backoffMs);
}

/**
 * `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Anything else is ignored (undefined) rather than trusted.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse is lenient ("1.5" is a date to it): only a string shaped like an HTTP-date is parsed.
  if (!/^[A-Za-z]{3,9}, \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const dateMs = Date.parse(value);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

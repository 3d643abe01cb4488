import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs, retryDelayMs, type RetryPolicy } from './backoff.ts';

const policy: RetryPolicy = { attemptsMax: 10, delayMsBase: 100, delayMsMax: 5_000, retryAfterMsMax: 60_000 };

describe('backoffDelayMs', () => {
  const cases: { retry: number; draw: number; expected: number; why: string }[] = [
    { retry: 1, draw: 1, expected: 100, why: 'the first retry waits at most delayMsBase' },
    { retry: 2, draw: 1, expected: 200, why: 'the ceiling doubles per retry' },
    { retry: 4, draw: 1, expected: 800, why: '100 × 2³' },
    { retry: 7, draw: 1, expected: 5_000, why: '100 × 2⁶ = 6,400 is cut to delayMsMax' },
    { retry: 2000, draw: 1, expected: 5_000, why: 'a huge retry count neither overflows nor exceeds the cap' },
    { retry: 4, draw: 0.5, expected: 400, why: 'full jitter: a uniform draw below the ceiling' },
    { retry: 4, draw: 0, expected: 0, why: 'full jitter may retry at once' },
  ];
  it.each(cases)('retry $retry, draw $draw → $expected ms ($why)', ({ retry, draw, expected }) => {
    expect(backoffDelayMs(retry, policy, () => draw)).toBe(expected);
  });

  it('refuses a retry number below 1 and a random source outside [0, 1]', () => {
    expect(() => backoffDelayMs(0, policy, () => 0.5)).toThrow(RangeError);
    expect(() => backoffDelayMs(1, policy, () => 2)).toThrow(RangeError);
  });
});

describe('retryDelayMs', () => {
  const cases: { retryAfterMs: number | undefined; expected: number; why: string }[] = [
    { retryAfterMs: undefined, expected: 400, why: 'no Retry-After: the backoff alone' },
    { retryAfterMs: 2_000, expected: 2_000, why: 'the server asked for longer than our backoff' },
    { retryAfterMs: 100, expected: 400, why: 'our backoff is longer than the server asked' },
    { retryAfterMs: 3_600_000, expected: 60_000, why: 'an hour-long Retry-After is capped at retryAfterMsMax' },
  ];
  it.each(cases)('Retry-After $retryAfterMs ms → $expected ms ($why)', ({ retryAfterMs, expected }) => {
    expect(retryDelayMs(3, policy, () => 1, retryAfterMs)).toBe(expected);
  });
});

describe('parseRetryAfterMs', () => {
  const nowMs = Date.UTC(2026, 10, 23, 10, 0, 0);
  const cases: { header: string | null; expected: number | undefined; why: string }[] = [
    { header: '2', expected: 2_000, why: 'delay-seconds' },
    { header: ' 0 ', expected: 0, why: 'zero, with whitespace' },
    { header: 'Mon, 23 Nov 2026 10:00:30 GMT', expected: 30_000, why: 'an HTTP-date 30 s ahead' },
    { header: 'Mon, 23 Nov 2026 09:00:00 GMT', expected: 0, why: 'an HTTP-date in the past means now' },
    { header: '1.5', expected: undefined, why: 'fractions are not delay-seconds' },
    { header: 'soon', expected: undefined, why: 'garbage is ignored, not trusted' },
    { header: null, expected: undefined, why: 'no header' },
  ];
  it.each(cases)('$header → $expected ($why)', ({ header, expected }) => {
    expect(parseRetryAfterMs(header, nowMs)).toBe(expected);
  });
});

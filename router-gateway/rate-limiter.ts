/**
 * Per-router limit on RouterOS API calls (default 100 a minute): a token
 * bucket per router that refills continuously. Refusals are counted by the
 * caller; nothing queues here, so a flood cannot build an unbounded backlog.
 */
export class RouterRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Takes one call from the router's budget; false when it is spent. */
  tryTake(routerId: string, perMinuteMax: number): boolean {
    const now = this.nowMs();
    const bucket = this.buckets.get(routerId) ?? { tokens: perMinuteMax, atMs: now };
    bucket.tokens = Math.min(perMinuteMax, bucket.tokens + ((now - bucket.atMs) * perMinuteMax) / 60_000);
    bucket.atMs = now;
    this.buckets.set(routerId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

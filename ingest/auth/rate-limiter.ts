/**
 * Token buckets per API key, in events: a key may send `eventsPerSecondMax`
 * events per second on average and a burst of one second's worth. Bounded:
 * at most `keysMax` buckets, the least recently used dropped first.
 */
export class EventRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAtMs: number }>();

  constructor(private readonly keysMax = 100_000, private readonly nowMs: () => number = Date.now) {}

  /** Takes `events` tokens, or answers how many ms until they would be there. */
  take(keyId: string, events: number, eventsPerSecondMax: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.nowMs();
    const bucket = this.buckets.get(keyId) ?? { tokens: eventsPerSecondMax, updatedAtMs: now };
    this.buckets.delete(keyId);
    bucket.tokens = Math.min(eventsPerSecondMax, bucket.tokens + ((now - bucket.updatedAtMs) / 1000) * eventsPerSecondMax);
    bucket.updatedAtMs = now;
    this.buckets.set(keyId, bucket);
    if (this.buckets.size > this.keysMax) this.buckets.delete(this.buckets.keys().next().value!);
    // A request larger than the whole bucket could never pass: let it through once the bucket is full.
    const needed = Math.min(events, eventsPerSecondMax);
    if (bucket.tokens >= needed) {
      bucket.tokens -= events;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((needed - bucket.tokens) / eventsPerSecondMax) * 1000) };
  }
}

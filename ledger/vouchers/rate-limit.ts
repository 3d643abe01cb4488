/**
 * The `Mikrotik-Rate-Limit` RADIUS attribute (vendor 14988, type 8) as
 * RouterOS reads it:
 *
 *   rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
 *     [rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]]
 *
 * Rates are integers with an optional k, M or G suffix (bits per second),
 * burst times are seconds, priority is 1..8. Stored as text exactly as it will
 * be sent (whitespace collapsed), validated here so a typo is refused when the
 * profile is saved rather than ignored by the router at login.
 */
export const RATE_LIMIT_TEXT_LENGTH_MAX = 128;

const RATE = /^(\d{1,10})([kKMG]?)$/;
const SECONDS = /^\d{1,6}$/;
const MULTIPLIERS: Record<string, bigint> = { '': 1n, k: 1_000n, K: 1_000n, M: 1_000_000n, G: 1_000_000_000n };

export interface RateLimit {
  /** The attribute's text, normalized. */
  text: string;
  rxBitsPerSecond: bigint;
  txBitsPerSecond: bigint;
}

export type RateLimitParse = { ok: true; value: RateLimit } | { ok: false; reason: string };

function rateBits(text: string): bigint | null {
  const match = RATE.exec(text);
  return match ? BigInt(match[1]!) * MULTIPLIERS[match[2]!]! : null;
}

/** One `rx[/tx]` group; `part` checks each side. */
function pair(group: string, part: (side: string) => boolean): boolean {
  const sides = group.split('/');
  return sides.length <= 2 && sides.every((side) => side !== '' && part(side));
}

const GROUP_NAMES = ['rate', 'burst rate', 'burst threshold', 'burst time', 'priority', 'minimum rate'];

export function parseRateLimit(input: string): RateLimitParse {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text === '') return { ok: false, reason: 'rate limit is empty' };
  if (text.length > RATE_LIMIT_TEXT_LENGTH_MAX) return { ok: false, reason: `rate limit is longer than ${RATE_LIMIT_TEXT_LENGTH_MAX} characters` };
  const groups = text.split(' ');
  if (groups.length > GROUP_NAMES.length) return { ok: false, reason: `rate limit has ${groups.length} groups; RouterOS reads at most ${GROUP_NAMES.length}` };
  for (const [i, group] of groups.entries()) {
    const valid = i === 3 ? pair(group, (s) => SECONDS.test(s))
      : i === 4 ? /^[1-8]$/.test(group)
        : pair(group, (s) => rateBits(s) !== null);
    if (!valid) return { ok: false, reason: `"${group}" is not a valid ${GROUP_NAMES[i]}` };
  }
  const [rx, tx = rx] = groups[0]!.split('/');
  return { ok: true, value: { text, rxBitsPerSecond: rateBits(rx!)!, txBitsPerSecond: rateBits(tx!)! } };
}

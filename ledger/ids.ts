/**
 * Deterministic 128-bit ids (UUID text form) from a name, so that retries and
 * replays of the same fact produce the same account or transfer id and the
 * ledger's idempotency turns them into no-ops.
 */
import { createHash } from 'node:crypto';

export function idFromName(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

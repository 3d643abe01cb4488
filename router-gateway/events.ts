/**
 * What the gateway puts on Kafka: hotspot usage on `usage.events` (rated like
 * any usage; a meter on `hotspot.session.usage` summing `bytes` or `seconds`
 * prices it), and voucher exhaustion on `quota.exceeded` in the shared
 * QuotaExceededEvent shape (schemas/quota-events.ts) with subject
 * `voucher:<id>` and meter `hotspot.voucher`.
 */
import type { QuotaExceededEvent } from '../schemas/quota-events.ts';

export const HOTSPOT_USAGE_EVENT_TYPE = 'hotspot.session.usage';
export const VOUCHER_QUOTA_METER = 'hotspot.voucher';
export const VOUCHER_SUBJECT_PREFIX = 'voucher:';

/** The `data` of a hotspot usage event (deltas since the session's previous report). */
export interface HotspotUsageData {
  voucherId: string;
  routerId: string;
  sessionId: string;
  sequence: number;
  status: string;
  bytesIn: number;
  bytesOut: number;
  bytes: number;
  seconds: number;
}

export function isHotspotUsageData(data: Record<string, unknown>): data is Record<string, unknown> & HotspotUsageData {
  return typeof data.voucherId === 'string' && typeof data.routerId === 'string' && typeof data.sessionId === 'string' &&
    typeof data.sequence === 'number' && typeof data.bytesIn === 'number' && typeof data.bytesOut === 'number' && typeof data.seconds === 'number';
}

export function voucherQuotaExceeded(input: { tenant: string; voucherId: string; customerId: string | null; activatedAt: Date | null; expiresAt: Date | null;
  limitBytes: bigint | null; usedBytes: bigint; cause: { source: string; id: string; timeMs: number } }): QuotaExceededEvent {
  return {
    type: 'quota.exceeded',
    // One per voucher: it is used up once.
    id: `voucher-exhausted:${input.voucherId}`,
    tenant: input.tenant,
    subject: `${VOUCHER_SUBJECT_PREFIX}${input.voucherId}`,
    customerId: input.customerId ?? '',
    meter: VOUCHER_QUOTA_METER,
    periodStart: (input.activatedAt ?? new Date(input.cause.timeMs)).toISOString().slice(0, 10),
    periodEnd: (input.expiresAt ?? new Date(input.cause.timeMs)).toISOString().slice(0, 10),
    limit: (input.limitBytes ?? input.usedBytes).toString(),
    usage: input.usedBytes.toString(),
    enforcement: 'hard',
    event: { source: input.cause.source, id: input.cause.id, time: new Date(input.cause.timeMs).toISOString() },
  };
}

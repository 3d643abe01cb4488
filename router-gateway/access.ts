/**
 * Access-Request → Access-Accept / Access-Reject for hotspot vouchers. Pure:
 * the voucher service's answer in, the reply's attributes out.
 *
 * The Accept carries `Class` = `tg1:<voucherId>:<customerId|->`; a NAS echoes
 * Class in every accounting packet of the session (RFC 2865 §5.25), so
 * accounting knows the voucher without a lookup.
 */
import type { SessionLimits, VoucherErrorCode } from '../ledger/index.ts';
import { mikrotik, type AttributeList } from './radius/codec.ts';

export const CLASS_PREFIX = 'tg1:';

export type AccessDecision = { accept: true; attributes: AttributeList } | { accept: false; reason: string; result: string };

/** Reply-Message texts are what the hotspot login page shows the user. */
const REJECTIONS: Partial<Record<VoucherErrorCode, [string, string]>> = {
  TG_VOUCHER_NOT_FOUND: ['unknown', 'Unknown voucher code'],
  TG_VOUCHER_EXPIRED: ['expired', 'This voucher has expired'],
  TG_VOUCHER_DISABLED: ['disabled', 'This voucher has been disabled'],
  TG_VOUCHER_ALREADY_USED: ['exhausted', 'This voucher has no data or time left'],
  TG_VOUCHER_NOT_SOLD: ['not_sold', 'This voucher has not been sold yet'],
};

export function rejectionFor(code: VoucherErrorCode): AccessDecision {
  const [result, reason] = REJECTIONS[code] ?? ['error', 'Login is not possible right now'];
  return { accept: false, reason, result };
}

export function encodeClass(voucherId: string, customerId: string | null): string {
  return `${CLASS_PREFIX}${voucherId}:${customerId ?? '-'}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decodeClass(value: string | undefined): { voucherId: string; customerId: string | null } | undefined {
  if (value === undefined || !value.startsWith(CLASS_PREFIX)) return undefined;
  const [voucherId, customerId] = value.slice(CLASS_PREFIX.length).split(':');
  if (voucherId === undefined || !UUID.test(voucherId)) return undefined;
  return { voucherId, customerId: customerId !== undefined && UUID.test(customerId) ? customerId : null };
}

/** RFC 2865 §5.27: Session-Timeout is 32-bit. */
const SESSION_TIMEOUT_MAX = 2 ** 32 - 1;

export function acceptFor(limits: SessionLimits, voucher: { id: string; customerId: string | null }, interimIntervalSeconds: number): AccessDecision {
  if (limits.dataRemainingBytes === 0n || limits.sessionTimeoutSeconds === 0) return { accept: false, reason: 'This voucher has no data or time left', result: 'exhausted' };
  const attributes: AttributeList = [
    ['Class', Buffer.from(encodeClass(voucher.id, voucher.customerId), 'latin1')],
    ['Acct-Interim-Interval', interimIntervalSeconds],
  ];
  if (limits.sessionTimeoutSeconds !== null) attributes.push(['Session-Timeout', Math.min(limits.sessionTimeoutSeconds, SESSION_TIMEOUT_MAX)]);
  if (limits.totalLimit !== null && limits.totalLimitGigawords !== null) {
    attributes.push(mikrotik('Mikrotik-Total-Limit', limits.totalLimit));
    attributes.push(mikrotik('Mikrotik-Total-Limit-Gigawords', limits.totalLimitGigawords));
  }
  if (limits.rateLimit !== null) attributes.push(mikrotik('Mikrotik-Rate-Limit', limits.rateLimit));
  return { accept: true, attributes };
}

/**
 * Webhook signatures: `Tollgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is signed so a captured request cannot be replayed later than
 * the receiver's tolerance. Verification compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'tollgate-signature';
export const SIGNATURE_TOLERANCE_SECONDS_DEFAULT = 300;

export function signPayload(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'malformed' | 'mismatch' | 'too_old' };

export function verifySignature(secret: string, body: string, header: string, nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS_DEFAULT): SignatureCheck {
  const parts = new Map(header.split(',').map((p) => { const i = p.indexOf('='); return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const; }));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'too_old' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return timingSafeEqual(expected, Buffer.from(v1)) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** RADIUS authenticators, the RouterOS word codec and the credential box (pure). */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { acceptFor, decodeClass, encodeClass } from './access.ts';
import {
  checkFraming, decodePacket, decryptUserPassword, emptyAccountingResponse, encodeReply, encodeRequest, messageAuthenticatorValid, requestAuthenticatorValid,
  responseAuthenticatorValid, ZERO_AUTHENTICATOR,
} from './radius/codec.ts';
import { RouterRateLimiter } from './rate-limiter.ts';
import { attributesOf, encodeLength, encodeSentence, SentenceReader } from './routeros/protocol.ts';
import { SecretBox, SecretBoxError } from './secret-box.ts';
import { parseUptime } from './health.ts';

describe('RADIUS codec', () => {
  it('Accounting-Request: the request authenticator holds for the right secret only', () => {
    const packet = encodeRequest('Accounting-Request', 1, [['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'a']], 'secret-1');
    expect(requestAuthenticatorValid(packet, 'secret-1')).toBe(true);
    expect(requestAuthenticatorValid(packet, 'secret-2')).toBe(false);
  });
  it('Disconnect-Request with Message-Authenticator: both authenticators verify (RFC 5176 order)', () => {
    const packet = encodeRequest('Disconnect-Request', 9, [['User-Name', 'u'], ['Acct-Session-Id', 's']], 'k', { messageAuthenticator: true });
    const framing = checkFraming(packet);
    expect(framing.ok).toBe(true);
    if (!framing.ok) return;
    expect(requestAuthenticatorValid(packet, 'k')).toBe(true);
    expect(messageAuthenticatorValid(packet, framing.messageAuthenticatorAt, 'k', ZERO_AUTHENTICATOR)).toBe(true);
  });
  it('Access-Request: Message-Authenticator verifies and User-Password decrypts', () => {
    const packet = encodeRequest('Access-Request', 2, [['User-Name', 'CODE'], ['User-Password', 'a-password-longer-than-16']], 'shh');
    const framing = checkFraming(packet);
    if (!framing.ok) throw new Error('framing');
    expect(messageAuthenticatorValid(packet, framing.messageAuthenticatorAt, 'shh')).toBe(true);
    expect(messageAuthenticatorValid(packet, framing.messageAuthenticatorAt, 'other')).toBe(false);
    const decoded = decodePacket(packet)!;
    const encrypted = decoded.raw.raw_attributes.find((a) => a[0] === 2)![1] as Buffer;
    expect(decryptUserPassword(encrypted, 'shh', decoded.authenticator)).toBe('a-password-longer-than-16');
  });
  it('framing refuses short, overlong, zero-length-attribute and doubled Message-Authenticator packets', () => {
    const good = encodeRequest('Accounting-Request', 1, [['Acct-Session-Id', 'a']], 's');
    expect(checkFraming(good.subarray(0, 19))).toEqual({ ok: false, fault: 'truncated' });
    const long = Buffer.from(good); long.writeUInt16BE(5000, 2);
    expect(checkFraming(long)).toEqual({ ok: false, fault: 'malformed' });
    const zero = Buffer.concat([good, Buffer.from([1, 0])]); zero.writeUInt16BE(zero.length, 2);
    expect(checkFraming(zero)).toEqual({ ok: false, fault: 'malformed' });
    const ma = Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)]);
    const twice = Buffer.concat([good, ma, ma]); twice.writeUInt16BE(twice.length, 2);
    expect(checkFraming(twice)).toEqual({ ok: false, fault: 'malformed' });
  });
  it('the hand-written empty Accounting-Response equals the codec\'s and verifies', () => {
    const request = decodePacket(encodeRequest('Accounting-Request', 42, [['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'a']], 'k'))!;
    const fast = emptyAccountingResponse(request, 'k');
    expect(fast).toEqual(encodeReply(request, 'Accounting-Response', [], 'k'));
    expect(responseAuthenticatorValid(fast, request.authenticator, 'k')).toBe(true);
  });
  it('decoding never throws on random bytes', () => {
    for (let i = 0; i < 3000; i++) expect(() => decodePacket(randomBytes(20 + (i % 200)))).not.toThrow();
  });
});

describe('Access-Accept attributes', () => {
  const limits = { sessionTimeoutSeconds: 3600, dataRemainingBytes: 5n * 2n ** 32n + 7n, totalLimit: 7, totalLimitGigawords: 5, rateLimit: '2M/2M', sharedUsers: 1 };
  it('carries Class, interim interval, Session-Timeout and the MikroTik limits', () => {
    const decision = acceptFor(limits, { id: '0b5e1a2c-1111-4222-8333-944445555666', customerId: null }, 60);
    expect(decision.accept).toBe(true);
    if (!decision.accept) return;
    const encoded = encodeRequest('Accounting-Request', 1, decision.attributes, 's');
    const { attributes, vendor } = decodePacket(encoded)!;
    expect(attributes).toMatchObject({ 'Acct-Interim-Interval': 60, 'Session-Timeout': 3600 });
    expect(vendor).toMatchObject({ 'Mikrotik-Total-Limit': 7, 'Mikrotik-Total-Limit-Gigawords': 5, 'Mikrotik-Rate-Limit': '2M/2M' });
  });
  it('rejects a voucher with nothing left', () => {
    expect(acceptFor({ ...limits, dataRemainingBytes: 0n }, { id: 'x', customerId: null }, 60)).toMatchObject({ accept: false, result: 'exhausted' });
  });
  it('Class round-trips and refuses foreign values', () => {
    const id = '0b5e1a2c-1111-4222-8333-944445555666';
    expect(decodeClass(encodeClass(id, null))).toEqual({ voucherId: id, customerId: null });
    expect(decodeClass('tg1:not-a-uuid:-')).toBeUndefined();
    expect(decodeClass('something-else')).toBeUndefined();
  });
});

describe('RouterOS API words', () => {
  it('length prefixes for every size class round-trip, even fed one byte at a time', () => {
    for (const length of [1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000]) {
      const word = 'x'.repeat(length);
      const bytes = encodeSentence([word, 'next']);
      const reader = new SentenceReader();
      const sentences: string[][] = [];
      if (length < 0x4000) for (const b of bytes) sentences.push(...reader.push(Buffer.from([b])));
      else sentences.push(...reader.push(bytes));
      expect(sentences).toEqual([[word, 'next']]);
    }
    expect(encodeLength(0x10000000)).toHaveLength(5);
  });
  it('an empty word ends a sentence', () => {
    expect(new SentenceReader().push(Buffer.concat([encodeSentence(['!done']), encodeSentence(['!re', '=a=b'])]))).toEqual([['!done'], ['!re', '=a=b']]);
  });
  it('attributes come from =key=value words', () => {
    expect(attributesOf(['!re', '=.id=*1', '=address=10.0.0.1', '=comment=a=b'])).toEqual({ '.id': '*1', address: '10.0.0.1', comment: 'a=b' });
  });
  it('uptime text becomes seconds', () => {
    expect(parseUptime('1w2d3h4m5s')).toBe(604_800n + 2n * 86_400n + 3n * 3600n + 4n * 60n + 5n);
  });
});

describe('credentials at rest', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));
  it('opens what it sealed, for the same context only', () => {
    const sealed = box.seal('p@ss', 'router:t:r1:api');
    expect(sealed).not.toContain('p@ss');
    expect(box.open(sealed, 'router:t:r1:api')).toBe('p@ss');
    expect(() => box.open(sealed, 'router:t:r2:api')).toThrow(SecretBoxError);
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed, 'router:t:r1:api')).toThrow(SecretBoxError);
  });
  it('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(SecretBoxError);
  });
});

describe('per-router rate limit', () => {
  it('allows the budget per minute and refills with time', () => {
    let now = 0;
    const limiter = new RouterRateLimiter(() => now);
    const taken = Array.from({ length: 101 }, () => limiter.tryTake('r', 100)).filter(Boolean).length;
    expect(taken).toBe(100);
    expect(limiter.tryTake('other', 100)).toBe(true);
    now += 600; // 0.6 s = one call at 100/min
    expect(limiter.tryTake('r', 100)).toBe(true);
    expect(limiter.tryTake('r', 100)).toBe(false);
  });
});

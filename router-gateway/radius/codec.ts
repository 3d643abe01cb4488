/**
 * RADIUS packets (RFC 2865/2866/5176) over the `radius` npm codec with the
 * MikroTik dictionary (vendor 14988). The codec decodes and encodes
 * attributes; framing, the request authenticators and Message-Authenticator
 * are checked here on bytes, because the codec compares authenticators as
 * UTF-8 strings (lossy: distinct bytes can compare equal; and not constant
 * time). Pure: no sockets.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import radius from 'radius';

radius.add_dictionary(fileURLToPath(new URL('./dictionary.mikrotik', import.meta.url)));

export const RADIUS_CODE = {
  accessRequest: 1, accessAccept: 2, accessReject: 3, accountingRequest: 4, accountingResponse: 5,
  disconnectRequest: 40, disconnectAck: 41, disconnectNak: 42,
} as const;

export const HEADER_BYTES = 20;
/** RFC 2865 §3: the largest packet. */
export const PACKET_BYTES_MAX = 4096;
const ATTR_MESSAGE_AUTHENTICATOR = 80;

/** Why a packet was dropped before any of its content was trusted; the metric's `result` label. */
export type PacketFault = 'truncated' | 'malformed' | 'bad_authenticator' | 'bad_message_authenticator' | 'missing_message_authenticator' | 'undecodable';

export type Attributes = Record<string, unknown>;

export interface DecodedPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: Attributes;
  vendor: Attributes;
  /** The codec's parse, needed to encode the reply. */
  raw: ReturnType<typeof radius.decode>;
}

/**
 * Header and attribute framing: the length field within 20..4096 and the
 * datagram, every attribute at least 2 bytes and ending exactly at the end.
 * Returns the offset of the Message-Authenticator value, -1 if absent.
 */
export function checkFraming(packet: Buffer): { ok: true; messageAuthenticatorAt: number } | { ok: false; fault: PacketFault } {
  if (packet.length < HEADER_BYTES) return { ok: false, fault: 'truncated' };
  const length = packet.readUInt16BE(2);
  if (length < HEADER_BYTES || length > PACKET_BYTES_MAX) return { ok: false, fault: 'malformed' };
  if (length > packet.length) return { ok: false, fault: 'truncated' };
  let offset = HEADER_BYTES;
  let messageAuthenticatorAt = -1;
  while (offset < length) {
    if (offset + 2 > length) return { ok: false, fault: 'malformed' };
    const type = packet[offset]!;
    const attrLength = packet[offset + 1]!;
    if (attrLength < 2 || offset + attrLength > length) return { ok: false, fault: 'malformed' };
    if (type === ATTR_MESSAGE_AUTHENTICATOR) {
      if (attrLength !== 18 || messageAuthenticatorAt !== -1) return { ok: false, fault: 'malformed' };
      messageAuthenticatorAt = offset + 2;
    }
    offset += attrLength;
  }
  return { ok: true, messageAuthenticatorAt };
}

function md5(...parts: (Buffer | string)[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Accounting-Request, Disconnect-Request (RFC 2866 §3, RFC 5176 §2.3): MD5 over the packet with a zero authenticator + secret. */
export function requestAuthenticatorValid(packet: Buffer, secret: string): boolean {
  const length = packet.readUInt16BE(2);
  const copy = Buffer.from(packet.subarray(0, length));
  copy.fill(0, 4, HEADER_BYTES);
  return sameBytes(md5(copy, secret), packet.subarray(4, HEADER_BYTES));
}

/** A reply's authenticator: MD5(code, id, length, the request's authenticator, attributes, secret). */
export function responseAuthenticatorValid(response: Buffer, requestAuthenticator: Buffer, secret: string): boolean {
  const length = response.readUInt16BE(2);
  const copy = Buffer.from(response.subarray(0, length));
  requestAuthenticator.copy(copy, 4);
  return sameBytes(md5(copy, secret), response.subarray(4, HEADER_BYTES));
}

/**
 * RFC 3579 §3.2: HMAC-MD5 over the packet with the attribute zeroed. For a
 * reply the authenticator field holds the request's authenticator; for
 * Accounting/Disconnect requests it is zero.
 */
export function messageAuthenticatorValid(packet: Buffer, at: number, secret: string, authenticatorField?: Buffer): boolean {
  const length = packet.readUInt16BE(2);
  const copy = Buffer.from(packet.subarray(0, length));
  copy.fill(0, at, at + 16);
  if (authenticatorField) authenticatorField.copy(copy, 4);
  return sameBytes(createHmac('md5', secret).update(copy).digest(), packet.subarray(at, at + 16));
}

/** Decodes attributes; the codec's own secret checks are off (done above, on bytes). */
export function decodePacket(packet: Buffer): DecodedPacket | undefined {
  try {
    const raw = radius.decode_without_secret({ packet });
    const attributes = raw.attributes as Attributes;
    const vendorSpecific = attributes['Vendor-Specific'];
    const vendor = (typeof vendorSpecific === 'object' && vendorSpecific !== null && !Buffer.isBuffer(vendorSpecific) ? vendorSpecific : {}) as Attributes;
    return { code: packet[0]!, identifier: packet[1]!, authenticator: Buffer.from(packet.subarray(4, HEADER_BYTES)), attributes, vendor, raw };
  } catch {
    return undefined;
  }
}

/** RFC 2865 §5.2: User-Password is XORed with MD5(secret + authenticator) chained per 16 bytes. */
export function decryptUserPassword(encrypted: Buffer, secret: string, authenticator: Buffer): string | undefined {
  if (encrypted.length === 0 || encrypted.length % 16 !== 0 || encrypted.length > 128) return undefined;
  const plain = Buffer.alloc(encrypted.length);
  let previous = authenticator;
  for (let i = 0; i < encrypted.length; i += 16) {
    const key = md5(secret, previous);
    for (let j = 0; j < 16; j++) plain[i + j] = encrypted[i + j]! ^ key[j]!;
    previous = encrypted.subarray(i, i + 16);
  }
  const end = plain.indexOf(0);
  return plain.subarray(0, end === -1 ? plain.length : end).toString('utf8');
}

/** RFC 1994 CHAP as RADIUS carries it (RFC 2865 §5.3): CHAP-Password = id + MD5(id, password, challenge). */
export function chapPasswordMatches(chapPassword: Buffer, challenge: Buffer, password: string): boolean {
  if (chapPassword.length !== 17) return false;
  return sameBytes(md5(chapPassword.subarray(0, 1), password, challenge), chapPassword.subarray(1));
}

export type AttributeList = ([string, unknown] | [string, number, AttributeList] | [number, Buffer])[];

/** Encodes a reply to `request` (Proxy-State copied, Message-Authenticator added when the request had one). */
export function encodeReply(request: DecodedPacket, code: 'Access-Accept' | 'Access-Reject' | 'Accounting-Response' | 'Disconnect-ACK' | 'Disconnect-NAK',
  attributes: AttributeList, secret: string): Buffer {
  return radius.encode_response({ packet: request.raw, code, secret, attributes });
}

/**
 * An empty Accounting-Response (RFC 2866 §4.2), written directly: the hot
 * path answers every accounting packet, and the codec's encoder allocates and
 * walks attributes for a reply that has none. Only for requests without
 * Proxy-State or Message-Authenticator (those go through `encodeReply`).
 */
export function emptyAccountingResponse(request: DecodedPacket, secret: string): Buffer {
  const reply = Buffer.alloc(HEADER_BYTES);
  reply[0] = RADIUS_CODE.accountingResponse;
  reply[1] = request.identifier;
  reply.writeUInt16BE(HEADER_BYTES, 2);
  request.authenticator.copy(reply, 4);
  md5(reply, secret).copy(reply, 4);
  return reply;
}

/** An all-zero authenticator: what Message-Authenticator is computed over in Accounting and Disconnect requests. */
export const ZERO_AUTHENTICATOR = Buffer.alloc(16);

/**
 * Encodes a request with correct authenticators. For Accounting-Request and
 * Disconnect-Request with Message-Authenticator, RFC 5176 §3.3 computes it
 * with the authenticator field zeroed and the Request Authenticator after it;
 * the codec does it the other way round (its checksum then fails), so those
 * two steps are done here.
 */
export function encodeRequest(code: 'Access-Request' | 'Accounting-Request' | 'Disconnect-Request', identifier: number, attributes: AttributeList, secret: string,
  options: { messageAuthenticator?: boolean } = {}): Buffer {
  const withMa = options.messageAuthenticator ?? code === 'Access-Request';
  if (code === 'Access-Request' || !withMa) return radius.encode({ code, identifier, attributes, secret, add_message_authenticator: withMa });
  const packet = radius.encode({ code, identifier, attributes: [...attributes, ['Message-Authenticator', Buffer.alloc(16)]], secret, add_message_authenticator: false });
  const at = packet.length - 16;
  packet.fill(0, 4, HEADER_BYTES);
  createHmac('md5', secret).update(packet).digest().copy(packet, at);
  md5(packet, secret).copy(packet, 4);
  return packet;
}

/** A MikroTik vendor attribute (one per Vendor-Specific attribute, the form every NAS reads). */
export function mikrotik(name: string, value: string | number): [string, number, AttributeList] {
  return ['Vendor-Specific', 14988, [[name, value]]];
}

export function textAttribute(attributes: Attributes, name: string): string | undefined {
  const value = attributes[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

export function integerAttribute(attributes: Attributes, name: string): number | undefined {
  const value = attributes[name];
  return typeof value === 'number' ? value : undefined;
}

export function bufferAttribute(attributes: Attributes, name: string): Buffer | undefined {
  const value = attributes[name];
  return Buffer.isBuffer(value) ? value : undefined;
}

/**
 * The RouterOS API wire format (TCP 8728, TLS 8729): a sentence is a list of
 * words ending with an empty word; a word is a variable-length length prefix
 * and UTF-8 bytes. Replies are `!re` (one item), `!done`, `!trap` (error,
 * `=message=`) and `!fatal`; attribute words are `=key=value`, queries `?…`,
 * tags `.tag=`. Shared by the client and the simulator's server. Pure.
 *
 * Why our own codec and not an npm client: the gateway needs both sides (the
 * simulator serves the protocol), and the maintained clients pin their
 * dependencies at `*` and bring connection pools we do not want; the format
 * is five length cases and a sentence terminator.
 */
export const WORD_BYTES_MAX = 16 * 1024 * 1024;

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x4000) return Buffer.from([(length >> 8) | 0x80, length & 0xff]);
  if (length < 0x200000) return Buffer.from([(length >> 16) | 0xc0, (length >> 8) & 0xff, length & 0xff]);
  if (length < 0x10000000) return Buffer.from([((length >>> 24) & 0xff) | 0xe0, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = 0xf0;
  out.writeUInt32BE(length, 1);
  return out;
}

export function encodeSentence(words: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const word of words) {
    const bytes = Buffer.from(word, 'utf8');
    parts.push(encodeLength(bytes.length), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Reads a length prefix at `offset`: [length, prefix bytes], or undefined when more bytes are needed. */
function decodeLength(buf: Buffer, offset: number): [number, number] | undefined {
  const first = buf[offset];
  if (first === undefined) return undefined;
  const need = first < 0x80 ? 1 : first < 0xc0 ? 2 : first < 0xe0 ? 3 : first < 0xf0 ? 4 : 5;
  if (offset + need > buf.length) return undefined;
  if (need === 1) return [first, 1];
  if (need === 2) return [((first & 0x3f) << 8) | buf[offset + 1]!, 2];
  if (need === 3) return [((first & 0x1f) << 16) | (buf[offset + 1]! << 8) | buf[offset + 2]!, 3];
  if (need === 4) return [((first & 0x0f) * 0x1000000) + (buf[offset + 1]! << 16) + (buf[offset + 2]! << 8) + buf[offset + 3]!, 4];
  return [buf.readUInt32BE(offset + 1), 5];
}

export class ProtocolError extends Error {}

/** Accumulates bytes from a stream and yields complete sentences. */
export class SentenceReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[][] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const sentences: string[][] = [];
    let offset = 0;
    let words: string[] = [];
    let sentenceStart = 0;
    for (;;) {
      const length = decodeLength(this.buffer, offset);
      if (!length) break;
      const [wordBytes, prefix] = length;
      if (wordBytes > WORD_BYTES_MAX) throw new ProtocolError(`word of ${wordBytes} bytes exceeds ${WORD_BYTES_MAX}`);
      if (offset + prefix + wordBytes > this.buffer.length) break;
      offset += prefix;
      if (wordBytes === 0) {
        sentences.push(words);
        words = [];
        sentenceStart = offset;
        continue;
      }
      words.push(this.buffer.toString('utf8', offset, offset + wordBytes));
      offset += wordBytes;
    }
    this.buffer = this.buffer.subarray(sentenceStart);
    return sentences;
  }
}

/** `=key=value` words of a sentence as a record. */
export function attributesOf(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of words) {
    if (!word.startsWith('=')) continue;
    const eq = word.indexOf('=', 1);
    if (eq === -1) continue;
    out[word.slice(1, eq)] = word.slice(eq + 1);
  }
  return out;
}

/**
 * Voucher codes: unguessable (CSPRNG with rejection sampling, so every
 * character of the alphabet is equally likely), readable (no look-alike
 * characters), distinct within a batch, and looked up without timing leaks.
 *
 * Codes are stored in clear because operators print them (CSV export); lookups
 * go through a SHA-256 digest of (tenant, code), so the index search compares
 * digests and reveals nothing about how much of a guessed code was right, and
 * the final comparison uses `timingSafeEqual`. Codes are never logged.
 */
import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { voucherError, type VoucherErrorInfo } from './errors.ts';

/** Upper-case letters and digits without 0/O and 1/I/L, which are misread on printed cards. */
export const DEFAULT_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const DEFAULT_CODE_LENGTH = 10;
export const CODE_LENGTH_MAX = 32;
export const CODE_PREFIX_LENGTH_MAX = 8;
/**
 * With 10,000 live codes in a tenant and a router allowing 100 logins a
 * minute, 40 bits leave an attacker about a 0.1 % chance per day of hitting
 * any code; the default format (31^10 ≈ 49.5 bits) about 0.0002 %.
 */
export const CODE_ENTROPY_BITS_MIN = 40;
/** Characters that one group's members are mistaken for each other; an alphabet may hold one of each group. */
const LOOK_ALIKE_GROUPS = ['0O', '1IL'];
const CODE_CHARACTERS = /^[0-9A-Z]+$/;

export interface CodeFormat {
  alphabet: string;
  length: number;
  /** Printed before the random part; not secret and adds no entropy. */
  prefix: string;
}

export const DEFAULT_CODE_FORMAT: CodeFormat = { alphabet: DEFAULT_CODE_ALPHABET, length: DEFAULT_CODE_LENGTH, prefix: '' };

export function codeEntropyBits(format: Pick<CodeFormat, 'alphabet' | 'length'>): number {
  return format.length * Math.log2(format.alphabet.length);
}

/** Why a code format is unacceptable, or null when it is fine. */
export function checkCodeFormat(format: CodeFormat): VoucherErrorInfo | null {
  const { alphabet, length, prefix } = format;
  if (alphabet.length < 2 || alphabet.length > 36 || !CODE_CHARACTERS.test(alphabet)) {
    return voucherError('TG_VOUCHER_CODE_ALPHABET_INVALID', 'alphabet must be 2-36 characters from 0-9 and A-Z (upper case)', 'alphabet');
  }
  if (new Set(alphabet).size !== alphabet.length) {
    return voucherError('TG_VOUCHER_CODE_ALPHABET_INVALID', 'alphabet repeats a character', 'alphabet');
  }
  for (const group of LOOK_ALIKE_GROUPS) {
    const present = [...group].filter((c) => alphabet.includes(c));
    if (present.length > 1) {
      return voucherError('TG_VOUCHER_CODE_ALPHABET_INVALID', `alphabet holds look-alike characters ${present.join(', ')}`, 'alphabet');
    }
  }
  if (!Number.isInteger(length) || length < 4 || length > CODE_LENGTH_MAX) {
    return voucherError('TG_VOUCHER_INPUT_INVALID', `codeLength must be an integer 4..${CODE_LENGTH_MAX}`, 'codeLength');
  }
  if (prefix.length > CODE_PREFIX_LENGTH_MAX || (prefix !== '' && !CODE_CHARACTERS.test(prefix))) {
    return voucherError('TG_VOUCHER_INPUT_INVALID', `prefix must be at most ${CODE_PREFIX_LENGTH_MAX} characters from 0-9 and A-Z`, 'prefix');
  }
  const bits = codeEntropyBits(format);
  if (bits < CODE_ENTROPY_BITS_MIN) {
    return voucherError('TG_VOUCHER_CODE_ENTROPY_TOO_LOW',
      `${alphabet.length} characters × ${length} give ${bits.toFixed(1)} bits; at least ${CODE_ENTROPY_BITS_MIN} are needed`, 'codeLength');
  }
  return null;
}

export type RandomBytes = (size: number) => Buffer;

/**
 * A stream of uniformly distributed alphabet indexes from random bytes. A byte
 * is used only if it falls below the largest multiple of the alphabet size
 * that fits in 256; otherwise `byte % size` would favour the first characters.
 */
class UniformIndexes {
  private pool: Buffer = Buffer.alloc(0);
  private at = 0;
  private readonly limit: number;

  constructor(private readonly size: number, private readonly randomBytes: RandomBytes, private readonly poolBytes: number) {
    this.limit = 256 - (256 % size);
  }

  next(): number {
    for (;;) {
      if (this.at >= this.pool.length) {
        this.pool = this.randomBytes(this.poolBytes);
        this.at = 0;
      }
      const byte = this.pool[this.at++]!;
      if (byte < this.limit) return byte % this.size;
    }
  }
}

/**
 * `count` distinct codes of the given format. Distinct within the call only:
 * the database's unique digest index catches the (astronomically rare) clash
 * with an existing code, and generation asks for replacements.
 */
export function generateCodes(count: number, format: CodeFormat, randomBytes: RandomBytes = cryptoRandomBytes): string[] {
  const problem = checkCodeFormat(format);
  if (problem) throw new Error(`invalid code format: ${problem.message}`);
  const { alphabet, length, prefix } = format;
  const indexes = new UniformIndexes(alphabet.length, randomBytes, Math.min(65_536, Math.max(256, count * length * 2)));
  const codes = new Set<string>();
  // Bounded: with ≥ 40 bits per code a repeat is rare; far more attempts than codes means a broken RNG.
  const attemptsMax = count * 2 + 100;
  for (let attempt = 0; codes.size < count; attempt++) {
    if (attempt >= attemptsMax) throw new Error(`generated ${codes.size} distinct codes in ${attempt} attempts; the random source repeats itself`);
    let code = prefix;
    for (let i = 0; i < length; i++) code += alphabet[indexes.next()];
    codes.add(code);
  }
  return [...codes];
}

/** The form a typed-in code is looked up by: upper case, without spaces or dashes. Null if it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const code = input.replace(/[\s-]+/g, '').toUpperCase();
  if (code.length < 4 || code.length > CODE_PREFIX_LENGTH_MAX + CODE_LENGTH_MAX || !CODE_CHARACTERS.test(code)) return null;
  return code;
}

/** The lookup key of a normalized code: SHA-256 of tenant and code, hex. */
export function codeDigest(tenantId: string, code: string): string {
  return createHash('sha256').update(tenantId).update('\n').update(code).digest('hex');
}

/** Compares two codes in time that depends on their length only. */
export function codesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** What lists show instead of the code: enough to tell two vouchers apart when talking to a customer. */
export function codeHint(code: string): string {
  return `…${code.slice(-4)}`;
}

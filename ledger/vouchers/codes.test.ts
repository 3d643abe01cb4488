import { describe, expect, it } from 'vitest';
import {
  CODE_ENTROPY_BITS_MIN, DEFAULT_CODE_ALPHABET, DEFAULT_CODE_FORMAT, checkCodeFormat, codeDigest, codeEntropyBits, codeHint, codesEqual,
  generateCodes, normalizeCode, type CodeFormat,
} from './codes.ts';

describe('voucher code generation', () => {
  it('generates 10,000 distinct codes in one call, each of the configured length and only from the default alphabet', () => {
    const codes = generateCodes(10_000, DEFAULT_CODE_FORMAT);
    expect(codes).toHaveLength(10_000);
    expect(new Set(codes).size).toBe(10_000);
    const allowed = new RegExp(`^[${DEFAULT_CODE_ALPHABET}]{${DEFAULT_CODE_FORMAT.length}}$`);
    for (const code of codes) expect(code).toMatch(allowed);
  });

  it('uses no look-alike characters by default (0 O 1 I L)', () => {
    expect(DEFAULT_CODE_ALPHABET).not.toMatch(/[01OIL]/);
    expect(generateCodes(2000, DEFAULT_CODE_FORMAT).join('')).not.toMatch(/[01OIL]/);
  });

  it('puts the prefix in front of the random part and honours a custom alphabet and length', () => {
    const codes = generateCodes(500, { alphabet: '23456789', length: 14, prefix: 'BIL' });
    for (const code of codes) expect(code).toMatch(/^BIL[2-9]{14}$/);
  });

  it('draws every character equally often: rejection sampling removes the modulo bias', () => {
    // A 31-character alphabet over bytes would favour the first 8 characters by 9/8 if bytes were reduced modulo 31.
    const counts = new Map<string, number>();
    for (const code of generateCodes(20_000, DEFAULT_CODE_FORMAT)) for (const c of code) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (20_000 * 10) / DEFAULT_CODE_ALPHABET.length;
    // Chi-square with 30 degrees of freedom: 59.7 is the 0.1 % critical value.
    const chiSquare = [...DEFAULT_CODE_ALPHABET].reduce((sum, c) => sum + ((counts.get(c) ?? 0) - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(59.7);
  });

  it('skips bytes at or above the largest multiple of the alphabet size and uses the others modulo the size', () => {
    // Alphabet of 3: 256 % 3 = 1, so byte 255 is skipped and bytes 0..254 map evenly onto A, B, C.
    const bytes = [255, 4, 255, 254, 0, 1];
    const random = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => bytes[i % bytes.length]!));
    const [code] = generateCodes(1, { alphabet: 'ABC', length: 26, prefix: '' }, random);
    // Accepted bytes in order: 4 → B, 254 → C, 0 → A, 1 → B.
    expect(code!.slice(0, 4)).toBe('BCAB');
  });

  it('fails loudly when the random source keeps repeating itself', () => {
    const stuck = (size: number): Buffer => Buffer.alloc(size, 7);
    expect(() => generateCodes(2, DEFAULT_CODE_FORMAT, stuck)).toThrow(/random source repeats/);
  });
});

describe('voucher code format checks', () => {
  const rows: { format: CodeFormat; code: string | null; why: string }[] = [
    { format: DEFAULT_CODE_FORMAT, code: null, why: 'the default format (≈ 49.5 bits) is accepted' },
    { format: { alphabet: '0123456789', length: 13, prefix: '' }, code: null, why: 'digits only need 13 characters for 40 bits; 0 and 1 have no look-alike among digits' },
    { format: { alphabet: '0123456789', length: 12, prefix: '' }, code: 'TG_VOUCHER_CODE_ENTROPY_TOO_LOW', why: '12 digits are 39.9 bits' },
    { format: { alphabet: DEFAULT_CODE_ALPHABET, length: 8, prefix: '' }, code: 'TG_VOUCHER_CODE_ENTROPY_TOO_LOW', why: '8 characters of 31 are 39.6 bits' },
    { format: { alphabet: '0O23456789ABCDEF', length: 12, prefix: '' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: '0 and O are misread for each other' },
    { format: { alphabet: '1I23456789ABCDEF', length: 12, prefix: '' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: '1 and I are misread for each other' },
    { format: { alphabet: 'abcdefghjkmnpqrstuvwxyz', length: 12, prefix: '' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: 'lookups are case-insensitive, so codes are upper case' },
    { format: { alphabet: 'AABCDEFGH', length: 16, prefix: '' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: 'a repeated character skews the distribution' },
    { format: { alphabet: 'AB-CDEFGH', length: 16, prefix: '' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: 'dashes are stripped when a code is typed in' },
    { format: { alphabet: DEFAULT_CODE_ALPHABET, length: 33, prefix: '' }, code: 'TG_VOUCHER_INPUT_INVALID', why: 'longer than any card should print' },
    { format: { alphabet: DEFAULT_CODE_ALPHABET, length: 10, prefix: 'BIL-' }, code: 'TG_VOUCHER_INPUT_INVALID', why: 'the prefix follows the code character rules' },
    { format: { alphabet: DEFAULT_CODE_ALPHABET, length: 10, prefix: 'TOOLONGPFX' }, code: 'TG_VOUCHER_INPUT_INVALID', why: 'prefixes are at most 8 characters' },
  ];
  for (const { format, code, why } of rows) {
    it(`${code ?? 'accepts'} for ${format.alphabet.length} characters × ${format.length}${format.prefix ? ` prefix ${format.prefix}` : ''}: ${why}`, () => {
      expect(checkCodeFormat(format)?.code ?? null).toBe(code);
    });
  }

  it('states entropy as length × log2(alphabet size)', () => {
    expect(codeEntropyBits({ alphabet: '0123456789ABCDEF', length: 10 })).toBe(40);
    expect(CODE_ENTROPY_BITS_MIN).toBe(40);
  });
});

describe('voucher code lookup', () => {
  it('normalizes typed codes: upper case, no spaces or dashes', () => {
    expect(normalizeCode(' abcd-efgh 2345 ')).toBe('ABCDEFGH2345');
    expect(normalizeCode('ab')).toBeNull();
    expect(normalizeCode("ABCD'; DROP TABLE vouchers")).toBeNull();
  });

  it('derives the lookup digest from tenant and code, so equal codes of two tenants never meet', () => {
    expect(codeDigest('t1', 'ABCDEFGH23')).toMatch(/^[0-9a-f]{64}$/);
    expect(codeDigest('t1', 'ABCDEFGH23')).toBe(codeDigest('t1', 'ABCDEFGH23'));
    expect(codeDigest('t1', 'ABCDEFGH23')).not.toBe(codeDigest('t2', 'ABCDEFGH23'));
  });

  it('compares codes for equality, including codes of different lengths', () => {
    expect(codesEqual('ABCDEFGH23', 'ABCDEFGH23')).toBe(true);
    expect(codesEqual('ABCDEFGH23', 'ABCDEFGH24')).toBe(false);
    expect(codesEqual('ABCDEFGH23', 'ABCDEFGH2')).toBe(false);
  });

  it('shows only the last four characters in lists', () => {
    expect(codeHint('BILABCDEFGH23')).toBe('…GH23');
  });
});

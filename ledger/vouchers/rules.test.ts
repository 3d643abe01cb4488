/** Table-driven tests of the voucher module's pure rules: rate limits, inputs, CSV, session limits. */
import { describe, expect, it } from 'vitest';
import { csvCell, formatBytes, formatDuration, formatMicros, voucherCsvHeader, voucherCsvLine } from './csv.ts';
import { BATCH_COUNT_MAX, maskRecipient, parseBatchRequest, parseProfileChanges, parseProfileInput, parseRecipient } from './inputs.ts';
import { parseRateLimit } from './rate-limit.ts';
import { quotaExhausted, sessionLimits } from './session-limits.ts';
import { backoffMs, renderVoucherMessage, OUTBOX_BACKOFF_MAX_MS } from './outbox.ts';

describe('Mikrotik-Rate-Limit text', () => {
  const accepted: { text: string; normalized: string; rx: bigint; tx: bigint; why: string }[] = [
    { text: '2M/2M', normalized: '2M/2M', rx: 2_000_000n, tx: 2_000_000n, why: 'the usual rx/tx pair' },
    { text: '512k', normalized: '512k', rx: 512_000n, tx: 512_000n, why: 'one rate applies to both directions' },
    { text: '1M/4M 2M/8M 768k/3M 16/16 8 256k/1M', normalized: '1M/4M 2M/8M 768k/3M 16/16 8 256k/1M', rx: 1_000_000n, tx: 4_000_000n, why: 'every group RouterOS reads' },
    { text: '  1M/2M   4M/8M ', normalized: '1M/2M 4M/8M', rx: 1_000_000n, tx: 2_000_000n, why: 'whitespace is collapsed to what is sent' },
    { text: '1G/1G', normalized: '1G/1G', rx: 1_000_000_000n, tx: 1_000_000_000n, why: 'gigabit suffix' },
    { text: '64000/128000', normalized: '64000/128000', rx: 64_000n, tx: 128_000n, why: 'plain bits per second' },
  ];
  for (const row of accepted) {
    it(`accepts "${row.text}": ${row.why}`, () => {
      expect(parseRateLimit(row.text)).toEqual({ ok: true, value: { text: row.normalized, rxBitsPerSecond: row.rx, txBitsPerSecond: row.tx } });
    });
  }
  const refusedRows: { text: string; why: string }[] = [
    { text: '', why: 'empty' },
    { text: '2MB/2MB', why: 'bytes are not a RouterOS rate unit' },
    { text: '2M/2M/2M', why: 'a group has at most rx and tx' },
    { text: '2M/', why: 'a missing tx side' },
    { text: '1M/1M 2M/2M 1M/1M 10/10 9', why: 'priority is 1..8' },
    { text: '1M/1M 2M/2M 1M/1M 10s/10s', why: 'burst time is whole seconds' },
    { text: '1M 1M 1M 1 1 1M 1M', why: 'seven groups' },
    { text: '-1M', why: 'negative rates' },
    { text: `${'1'.repeat(130)}`, why: 'longer than the attribute allows' },
  ];
  for (const row of refusedRows) {
    it(`refuses "${row.text.slice(0, 30)}": ${row.why}`, () => {
      expect(parseRateLimit(row.text).ok).toBe(false);
    });
  }
});

describe('voucher profile input', () => {
  const valid = { name: '1GB-DAILY', currency: 'UGX', priceMicros: '5000000000', dataQuotaBytes: String(1024 ** 3), validitySeconds: 86_400, rateLimit: '2M/2M' };

  it('accepts a profile with bigint money and quotas, filling defaults', () => {
    expect(parseProfileInput(valid)).toEqual({ ok: true, value: {
      name: '1GB-DAILY', currency: 'UGX', priceMicros: 5_000_000_000n, dataQuotaBytes: 1_073_741_824n, timeQuotaSeconds: null,
      validitySeconds: 86_400n, rateLimit: '2M/2M', sharedUsers: 1,
    } });
  });

  const refusals: { change: Record<string, unknown>; field: string; why: string }[] = [
    { change: { name: 'bad name' }, field: 'name', why: 'names are printed and used in URLs' },
    { change: { currency: 'usd' }, field: 'currency', why: 'ISO 4217 upper case' },
    { change: { priceMicros: 1.5 }, field: 'priceMicros', why: 'money is never a float' },
    { change: { priceMicros: '-1' }, field: 'priceMicros', why: 'no negative prices' },
    { change: { dataQuotaBytes: 0 }, field: 'dataQuotaBytes', why: 'a zero quota is no voucher; null means unlimited' },
    { change: { validitySeconds: undefined }, field: 'validitySeconds', why: 'validity is required' },
    { change: { rateLimit: '2 Mbps' }, field: 'rateLimit', why: 'not RouterOS syntax' },
    { change: { sharedUsers: 0 }, field: 'sharedUsers', why: 'at least one login' },
    { change: { timeQuotaSeconds: '99999999999999' }, field: 'timeQuotaSeconds', why: 'beyond ten years' },
  ];
  for (const { change, field, why } of refusals) {
    it(`refuses ${JSON.stringify(change)} naming ${field}: ${why}`, () => {
      expect(parseProfileInput({ ...valid, ...change })).toMatchObject({ ok: false, error: { code: 'TG_VOUCHER_INPUT_INVALID', field } });
    });
  }

  it('changes only the fields given and refuses renames and unknown fields', () => {
    expect(parseProfileChanges({ priceMicros: '1', rateLimit: null })).toEqual({ ok: true, value: { priceMicros: 1n, rateLimit: null } });
    expect(parseProfileChanges({ name: 'X' })).toMatchObject({ ok: false, error: { field: 'name' } });
    expect(parseProfileChanges({ colour: 'red' })).toMatchObject({ ok: false, error: { field: 'colour' } });
  });
});

describe('batch requests', () => {
  it('fills the default code format and upper-cases the prefix', () => {
    expect(parseBatchRequest({ profile: '1GB-DAILY', count: 500, prefix: 'bil' })).toMatchObject({ ok: true, value: {
      profileName: '1GB-DAILY', count: 500, format: { length: 10, prefix: 'BIL' }, requestId: null,
    } });
  });

  const refusals: { body: Record<string, unknown>; code: string; why: string }[] = [
    { body: { profile: '1GB-DAILY', count: BATCH_COUNT_MAX + 1 }, code: 'TG_VOUCHER_BATCH_TOO_LARGE', why: 'one call, one bounded transaction' },
    { body: { profile: '1GB-DAILY', count: 0 }, code: 'TG_VOUCHER_INPUT_INVALID', why: 'at least one voucher' },
    { body: { profile: '1GB-DAILY', count: 10, codeLength: 6 }, code: 'TG_VOUCHER_CODE_ENTROPY_TOO_LOW', why: 'six characters are guessable' },
    { body: { profile: '1GB-DAILY', count: 10, alphabet: 'O0ABCDEFGH' }, code: 'TG_VOUCHER_CODE_ALPHABET_INVALID', why: 'look-alikes' },
    { body: { count: 10 }, code: 'TG_VOUCHER_INPUT_INVALID', why: 'a profile is required' },
  ];
  for (const { body, code, why } of refusals) {
    it(`refuses ${JSON.stringify(body)} with ${code}: ${why}`, () => {
      expect(parseBatchRequest(body)).toMatchObject({ ok: false, error: { code } });
    });
  }
});

describe('resend recipients', () => {
  it('accepts E.164 numbers and e-mail addresses and masks them for the audit trail', () => {
    const sms = parseRecipient('sms', '+256700123456');
    expect(sms).toEqual({ ok: true, value: { channel: 'sms', to: '+256700123456' } });
    expect(maskRecipient({ channel: 'sms', to: '+256700123456' })).toBe('+256…56');
    expect(maskRecipient({ channel: 'email', to: 'jane@example.com' })).toBe('j…@example.com');
  });
  it('refuses a local phone number, an address without domain and an unknown channel', () => {
    expect(parseRecipient('sms', '0700123456')).toMatchObject({ ok: false, error: { field: 'to' } });
    expect(parseRecipient('email', 'jane@')).toMatchObject({ ok: false, error: { field: 'to' } });
    expect(parseRecipient('fax', '+256700123456')).toMatchObject({ ok: false, error: { field: 'channel' } });
  });
});

describe('printable CSV', () => {
  const rows: { micros: bigint; text: string }[] = [
    { micros: 5_000_000_000n, text: '5000' }, { micros: 2_500_000n, text: '2.50' }, { micros: 123_456n, text: '0.123456' },
    { micros: 0n, text: '0' }, { micros: -1_500_000n, text: '-1.50' },
  ];
  for (const { micros, text } of rows) it(`prints ${micros} micros as ${text}`, () => expect(formatMicros(micros)).toBe(text));

  it('prints quotas and durations in the largest exact unit', () => {
    expect(formatBytes(1024n ** 3n)).toBe('1 GB');
    expect(formatBytes(5n * 1024n ** 3n)).toBe('5 GB');
    expect(formatBytes(1536n * 1024n * 1024n)).toBe('1536 MB');
    expect(formatBytes(1000n)).toBe('1000 B');
    expect(formatBytes(null)).toBe('unlimited');
    expect(formatDuration(86_400n)).toBe('1 day');
    expect(formatDuration(7n * 86_400n)).toBe('7 days');
    expect(formatDuration(5_400n)).toBe('90 minutes');
    expect(formatDuration(61n)).toBe('61 seconds');
  });

  it('quotes cells with commas, quotes or newlines and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
  });

  it('writes one CRLF line per voucher under the header', () => {
    expect(voucherCsvHeader()).toBe('serial,code,profile,price,currency,data,time,validity,rate_limit,shared_users,status,expires_at,batch_id,voucher_id\r\n');
    expect(voucherCsvLine({ serial: 7, code: 'BILABCDEFGH23', profileName: '1GB-DAILY', priceMicros: 5_000_000_000n, currency: 'UGX',
      dataQuotaBytes: 1024n ** 3n, timeQuotaSeconds: null, validitySeconds: 86_400n, rateLimit: '2M/2M', sharedUsers: 1, status: 'unused',
      expiresAt: null, batchId: 'b', id: 'v' })).toBe('7,BILABCDEFGH23,1GB-DAILY,5000,UGX,1 GB,unlimited,1 day,2M/2M,1,unused,,b,v\r\n');
  });
});

describe('session limits for the router', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  const base = { dataQuotaBytes: null, dataUsedBytes: 0n, timeQuotaSeconds: null, timeUsedSeconds: 0n, expiresAt: null, rateLimit: '2M/2M', sharedUsers: 1 };

  it('splits the data left into Mikrotik-Total-Limit and Gigawords', () => {
    const limits = sessionLimits({ ...base, dataQuotaBytes: 5n * 2n ** 32n + 7n, dataUsedBytes: 2n ** 32n }, now);
    expect(limits).toMatchObject({ dataRemainingBytes: 4n * 2n ** 32n + 7n, totalLimit: 7, totalLimitGigawords: 4, rateLimit: '2M/2M' });
  });

  it('times the session out at the earlier of time quota left and validity left', () => {
    const expiresAt = new Date(now.getTime() + 3_600_000);
    expect(sessionLimits({ ...base, timeQuotaSeconds: 600n, timeUsedSeconds: 100n, expiresAt }, now).sessionTimeoutSeconds).toBe(500);
    expect(sessionLimits({ ...base, timeQuotaSeconds: 7200n, expiresAt }, now).sessionTimeoutSeconds).toBe(3600);
    expect(sessionLimits(base, now).sessionTimeoutSeconds).toBeNull();
    expect(sessionLimits({ ...base, expiresAt: new Date(now.getTime() - 1000) }, now).sessionTimeoutSeconds).toBe(0);
  });

  it('calls a quota exhausted when either data or time is used up', () => {
    expect(quotaExhausted({ ...base, dataQuotaBytes: 10n, dataUsedBytes: 10n })).toBe(true);
    expect(quotaExhausted({ ...base, timeQuotaSeconds: 10n, timeUsedSeconds: 9n })).toBe(false);
    expect(quotaExhausted(base)).toBe(false);
  });
});

describe('resend messages', () => {
  it('renders the code with the voucher terms', () => {
    expect(renderVoucherMessage({ code: 'ABCDEFGH23', profileName: '1GB-DAILY', dataQuotaBytes: 1024n ** 3n, timeQuotaSeconds: null, validitySeconds: 86_400n }).text)
      .toBe('Your 1GB-DAILY hotspot voucher code: ABCDEFGH23 (data 1 GB, time unlimited, valid 1 day from first login).');
  });
  it('backs off exponentially up to a ceiling', () => {
    expect(backoffMs(1)).toBe(30_000);
    expect(backoffMs(2)).toBe(60_000);
    expect(backoffMs(40)).toBe(OUTBOX_BACKOFF_MAX_MS);
  });
});

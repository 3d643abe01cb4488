/** JSON → ledger inputs: what the HTTP API accepts and the field it names when it does not (table-driven). */
import { describe, expect, it } from 'vitest';
import { TRANSFER_FLAGS } from './account-codes.ts';
import { FieldError } from './errors.ts';
import { parseAccount, parseAmount, parseTransfer } from './http-parse.ts';

const ID = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';

describe('parseAmount', () => {
  const cases: { input: unknown; expected: bigint | 'error' }[] = [
    { input: '1500', expected: 1500n },
    { input: 1500, expected: 1500n },
    { input: '9223372036854775807', expected: 9223372036854775807n },
    { input: '9223372036854775808', expected: 'error' }, // beyond a Postgres bigint
    { input: 1.5, expected: 'error' }, // money is never a float
    { input: 2 ** 60, expected: 'error' }, // a number beyond 2^53 has already lost digits
    { input: '-1', expected: 'error' },
    { input: '0', expected: 'error' },
    { input: '1e3', expected: 'error' },
  ];
  it.each(cases)('$input → $expected', ({ input, expected }) => {
    if (expected === 'error') expect(() => parseAmount(input, 'amountMicros')).toThrow(FieldError);
    else expect(parseAmount(input, 'amountMicros')).toBe(expected);
  });
});

describe('parseTransfer', () => {
  it('normalises ids to lower case and flags from names', () => {
    const t = parseTransfer({ id: ID, debitAccountId: ID, creditAccountId: ID, amountMicros: '5', ledger: 'USD', code: 1,
      flags: ['pending', 'linked'], timeoutSeconds: 30 }, 'tenant', 'transfers[0]');
    expect(t).toMatchObject({ id: ID.toLowerCase(), flags: TRANSFER_FLAGS.pending | TRANSFER_FLAGS.linked, timeoutSeconds: 30, pendingId: '', userData: '' });
  });

  it('lets a post name only the pending transfer (amount 0 = all of it)', () => {
    const t = parseTransfer({ id: ID, pendingId: ID, flags: ['post_pending_transfer'] }, 'tenant', 'transfers[0]');
    expect(t).toMatchObject({ debitAccountId: '', creditAccountId: '', ledger: '', code: 0, amountMicros: 0n });
  });

  const bad: { name: string; input: Record<string, unknown>; field: string }[] = [
    { name: 'a missing debit account', input: { creditAccountId: ID, amountMicros: '1', ledger: 'USD' }, field: 'transfers[2].debitAccountId' },
    { name: 'a ledger with spaces', input: { debitAccountId: ID, creditAccountId: ID, amountMicros: '1', ledger: 'U S D' }, field: 'transfers[2].ledger' },
    { name: 'user data too long', input: { debitAccountId: ID, creditAccountId: ID, amountMicros: '1', ledger: 'USD', userData: 'x'.repeat(257) }, field: 'transfers[2].userData' },
    { name: 'a negative timeout', input: { debitAccountId: ID, creditAccountId: ID, amountMicros: '1', ledger: 'USD', timeoutSeconds: -1 }, field: 'transfers[2].timeoutSeconds' },
  ];
  it.each(bad)('names the field of $name', ({ input, field }) => {
    expect(() => parseTransfer({ id: ID, ...input }, 'tenant', 'transfers[2]')).toThrow(expect.objectContaining({ field }));
  });
});

describe('parseAccount', () => {
  it('refuses the account codes Tollgate keeps for its own account types', () => {
    expect(() => parseAccount({ id: ID, ledger: 'USD', code: 1 }, 't', 'accounts[0]')).toThrow(expect.objectContaining({ field: 'accounts[0].code' }));
    expect(parseAccount({ id: ID, ledger: 'USD', code: 1000, flags: ['debits_must_not_exceed_credits'] }, 't', 'accounts[0]')).toMatchObject({ code: 1000, flags: 1 });
  });
});

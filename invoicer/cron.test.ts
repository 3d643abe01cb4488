import { describe, expect, it } from 'vitest';
import { CronError, nextCronTime, parseCron } from './cron.ts';

describe('cron schedule', () => {
  const cases: [string, string, string, string][] = [
    ['monthly at 02:00 on the 1st', '0 2 1 * *', '2026-11-25T03:00:00Z', '2026-12-01T02:00:00.000Z'],
    ['every 15 minutes', '*/15 * * * *', '2026-11-25T03:07:00Z', '2026-11-25T03:15:00.000Z'],
    ['weekdays at 09:30', '30 9 * * 1-5', '2026-11-28T10:00:00Z', '2026-11-30T09:30:00.000Z'],
    ['lists', '0 0,12 * * *', '2026-11-25T00:00:00Z', '2026-11-25T12:00:00.000Z'],
  ];
  it.each(cases)('%s', (_why, expression, after, next) => {
    expect(nextCronTime(parseCron(expression), Date.parse(after)).toISOString()).toBe(next);
  });
  it('rejects malformed expressions', () => {
    expect(() => parseCron('0 2 1 *')).toThrow(CronError);
    expect(() => parseCron('61 * * * *')).toThrow(CronError);
    expect(() => parseCron('a * * * *')).toThrow(CronError);
  });
});

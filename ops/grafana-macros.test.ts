import { describe, expect, it } from 'vitest';
import { expandQuery, type QueryContext } from './grafana-macros.ts';

const ctx: QueryContext = {
  fromMs: Date.UTC(2026, 10, 24, 10, 0, 0, 250), toMs: Date.UTC(2026, 10, 25, 10, 0, 0, 750), intervalMs: 60_000,
  variables: { tenant: 'default', meter: ['tokens', 'requests'], quote: "o'neil" },
};

describe('expandQuery (Grafana variables and ClickHouse plugin macros)', () => {
  it.each([
    // [sql, expected, why]
    ['$__timeFilter(window_start)', 'window_start >= toDateTime(1795514400) AND window_start <= toDateTime(1795600800)', 'seconds, rounded down'],
    ['$__timeFilter_ms(time)', 'time >= fromUnixTimestamp64Milli(1795514400250) AND time <= fromUnixTimestamp64Milli(1795600800750)', 'milliseconds kept'],
    ['$__dateFilter(d)', "d >= toDate('2026-11-24') AND d <= toDate('2026-11-25')", 'UTC dates'],
    ['$__timeInterval(time)', 'toStartOfInterval(toDateTime(time), INTERVAL 60 second)', 'the panel interval in seconds'],
    ['$__interval_s', '60', ''],
    ["tenant = '${tenant}'", "tenant = 'default'", 'braced variable'],
    ["tenant = '$tenant'", "tenant = 'default'", 'bare variable'],
    ['meter IN (${meter:singlequote})', "meter IN ('tokens','requests')", 'multi-value, quoted'],
    ['${quote:singlequote}', "'o\\'neil'", 'quotes escaped'],
  ])('%s', (sql, expected) => {
    expect(expandQuery(sql, ctx)).toBe(expected);
  });

  it('refuses an unknown macro rather than sending it to ClickHouse', () => {
    expect(() => expandQuery('$__timeGroup(time)', ctx)).toThrow(/unknown macro/);
  });

  it('refuses a variable without a value', () => {
    expect(() => expandQuery("subject = '${customer}'", ctx)).toThrow(/no value for variable \$customer/);
  });

  it('expands Grafana\'s Postgres macros for the postgres dialect', () => {
    expect(expandQuery('$__timeFilter(q.created_at) AND x > $__timeFrom()', ctx, 'postgres'))
      .toBe("q.created_at BETWEEN '2026-11-24T10:00:00.250Z' AND '2026-11-25T10:00:00.750Z' AND x > '2026-11-24T10:00:00.250Z'");
    expect(() => expandQuery('$__timeInterval(t)', ctx, 'postgres')).toThrow(/unknown macro/);
  });

  it('checks the macro arity', () => {
    expect(() => expandQuery('$__timeFilter()', ctx)).toThrow(/takes 1 argument/);
  });
});

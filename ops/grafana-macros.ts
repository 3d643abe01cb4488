/**
 * Expands what Grafana and its ClickHouse plugin (grafana-clickhouse-datasource
 * v4) substitute in a panel's SQL before it reaches ClickHouse, so that tests
 * can run the dashboards' queries against the real schema:
 *  - template variables: `$name`, `${name}`, `${name:singlequote}`, `${name:csv}`;
 *  - the plugin's macros: `$__timeFilter(col)`, `$__timeFilter_ms(col)`,
 *    `$__fromTime`, `$__toTime`, `$__fromTime_ms`, `$__toTime_ms`,
 *    `$__dateFilter(col)`, `$__timeInterval(col)`, `$__timeInterval_ms(col)`,
 *    `$__interval_s` — with the expansions the plugin documents (seconds as
 *    `toDateTime(N)`, milliseconds as `fromUnixTimestamp64Milli(N)`).
 * For Grafana's Postgres datasource (dialect `postgres`) the macros are
 * Grafana's SQL ones: `$__timeFilter(col)` → `col BETWEEN '<from>' AND '<to>'`
 * (RFC 3339), `$__timeFrom()`, `$__timeTo()`.
 * An unknown `$__macro` or variable is an error, never left in the SQL.
 */

export interface QueryContext {
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** Variable values; an array is a multi-value selection. */
  variables: Record<string, string | string[]>;
}

const seconds = (ms: number): string => `toDateTime(${Math.floor(ms / 1000)})`;
const milliseconds = (ms: number): string => `fromUnixTimestamp64Milli(${ms})`;
const date = (ms: number): string => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;

type Macro = (ctx: QueryContext, args: string[]) => string;

const MACROS: Record<string, { arity: number; expand: Macro }> = {
  timeFilter: { arity: 1, expand: (c, [col]) => `${col} >= ${seconds(c.fromMs)} AND ${col} <= ${seconds(c.toMs)}` },
  timeFilter_ms: { arity: 1, expand: (c, [col]) => `${col} >= ${milliseconds(c.fromMs)} AND ${col} <= ${milliseconds(c.toMs)}` },
  dateFilter: { arity: 1, expand: (c, [col]) => `${col} >= ${date(c.fromMs)} AND ${col} <= ${date(c.toMs)}` },
  timeInterval: { arity: 1, expand: (c, [col]) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${Math.max(1, Math.floor(c.intervalMs / 1000))} second)` },
  timeInterval_ms: { arity: 1, expand: (c, [col]) => `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(1, c.intervalMs)} millisecond)` },
  fromTime: { arity: 0, expand: (c) => seconds(c.fromMs) },
  toTime: { arity: 0, expand: (c) => seconds(c.toMs) },
  fromTime_ms: { arity: 0, expand: (c) => milliseconds(c.fromMs) },
  toTime_ms: { arity: 0, expand: (c) => milliseconds(c.toMs) },
  interval_s: { arity: 0, expand: (c) => String(Math.max(1, Math.floor(c.intervalMs / 1000))) },
};

function formatVariable(name: string, value: string | string[], format: string | undefined): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined: case 'raw': case 'csv': return values.join(',');
    case 'singlequote': return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote': return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    default: throw new Error(`variable $${name}: format "${format}" is not supported here`);
  }
}

const iso = (ms: number): string => `'${new Date(ms).toISOString()}'`;

const POSTGRES_MACROS: Record<string, { arity: number; expand: Macro }> = {
  timeFilter: { arity: 1, expand: (c, [col]) => `${col} BETWEEN ${iso(c.fromMs)} AND ${iso(c.toMs)}` },
  timeFrom: { arity: 0, expand: (c) => iso(c.fromMs) },
  timeTo: { arity: 0, expand: (c) => iso(c.toMs) },
};

export type SqlDialect = 'clickhouse' | 'postgres';

export function expandQuery(sql: string, ctx: QueryContext, dialect: SqlDialect = 'clickhouse'): string {
  const macros = dialect === 'clickhouse' ? MACROS : POSTGRES_MACROS;
  // Macros first: `$__name(args)` or `$__name`; longest names first so `timeFilter_ms` is not read as `timeFilter`.
  let out = sql.replace(/\$__([A-Za-z_]+)(\(([^()]*)\))?/g, (whole, name: string, _paren: string | undefined, argText: string | undefined) => {
    const macro = macros[name];
    if (!macro) throw new Error(`unknown macro $__${name} in: ${whole}`);
    const args = argText === undefined ? [] : argText.split(',').map((a) => a.trim()).filter(Boolean);
    if (args.length !== macro.arity) throw new Error(`$__${name} takes ${macro.arity} argument(s), got ${args.length}`);
    return macro.expand(ctx, args);
  });
  out = out.replace(/\$\{([A-Za-z0-9_]+)(?::([a-z]+))?\}|\$([A-Za-z][A-Za-z0-9_]*)/g, (_whole, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = ctx.variables[name];
    if (value === undefined) throw new Error(`no value for variable $${name}`);
    return formatVariable(name, value, format);
  });
  return out;
}

/**
 * Usage over a time range from ClickHouse, read from the per-window aggregates
 * (usage_windows: DAY, HOUR, MINUTE rows) wherever the range allows, and from
 * `usage_rated FINAL` only for the edges finer than a minute.
 *
 * [from, to) is cut into pieces, coarsest first: whole days from the DAY rows,
 * the hours around them from HOUR rows, then minutes, then the sub-minute
 * edges from the raw rows. With a windowSize, only aggregates no coarser than
 * the window are used (a day row cannot be split into hours). Every piece is
 * grouped by the same keys and the pieces are summed: exact, since sums of
 * Decimal and Int64 are associative.
 */
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import { USAGE_WINDOWS_TABLE, usageWindowTable, type UsageWindow } from '../schemas/clickhouse/ddl.ts';
import { formatQuantity, toQuantityNanos } from './pricing/quantity.ts';
import type { UsageGroupBy, UsageRow, UsageTotal, UsageWindowSize } from '../schemas/api.ts';

export type { UsageGroupBy, UsageRow, UsageTotal, UsageWindowSize };

export interface UsageQuery {
  tenant: string;
  /** Absent only when grouped by subject. */
  subject?: string;
  /** Absent only when grouped by meter. */
  meter?: string;
  fromMs: number;
  toMs: number;
  windowSize?: UsageWindowSize;
  groupBy?: readonly UsageGroupBy[];
  /** Answers with more rows than this fail with UsageTooLargeError. */
  rowsMax?: number;
}

export const USAGE_ROWS_MAX = 10_000;

export class UsageTooLargeError extends Error {}

const WINDOW_MS: Record<UsageWindow, number> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
/** Coarsest first. */
const LEVELS: readonly UsageWindow[] = ['DAY', 'HOUR', 'MINUTE'];

/** A time range and where to read it: an aggregate table, or the raw rows (`null`). */
export interface UsagePiece {
  fromMs: number;
  toMs: number;
  window: UsageWindow | null;
}

/** Cuts [fromMs, toMs) into aligned pieces of the coarsest usable level (pure; unit-tested). */
export function planUsagePieces(fromMs: number, toMs: number, windowSize?: UsageWindow): UsagePiece[] {
  const levels = windowSize ? LEVELS.filter((l) => WINDOW_MS[l] <= WINDOW_MS[windowSize]) : LEVELS;
  const pieces: UsagePiece[] = [];
  const cut = (from: number, to: number, level: number): void => {
    if (from >= to) return;
    const window = levels[level];
    if (window === undefined) {
      pieces.push({ fromMs: from, toMs: to, window: null });
      return;
    }
    const size = WINDOW_MS[window];
    const alignedFrom = Math.ceil(from / size) * size;
    const alignedTo = Math.floor(to / size) * size;
    if (alignedFrom >= alignedTo) {
      cut(from, to, level + 1);
      return;
    }
    cut(from, alignedFrom, level + 1);
    pieces.push({ fromMs: alignedFrom, toMs: alignedTo, window });
    cut(alignedTo, to, level + 1);
  };
  cut(fromMs, toMs, 0);
  return pieces;
}

function windowExpression(windowSize: UsageWindowSize | undefined, column: string): string {
  if (!windowSize) return 'toUInt32(0)';
  return `toUInt32(toUnixTimestamp(${usageWindowTable(windowSize).startOf}(${column})))`;
}

function pieceSelect(piece: UsagePiece, index: number, q: UsageQuery, filters: string): string {
  const from = `fromUnixTimestamp64Milli({from${index}:Int64}, 'UTC')`;
  const to = `fromUnixTimestamp64Milli({to${index}:Int64}, 'UTC')`;
  if (piece.window === null) {
    return `SELECT subject, meter, currency, ${windowExpression(q.windowSize, 'time')} AS w,
        quantity, amount_micros, toUInt64(1) AS events
      FROM usage_rated FINAL
      WHERE tenant = {tenant:String}${filters} AND time >= ${from} AND time < ${to}`;
  }
  return `SELECT subject, meter, currency, ${windowExpression(q.windowSize, 'window_start')} AS w,
        quantity, amount_micros, events
      FROM ${USAGE_WINDOWS_TABLE}
      WHERE tenant = {tenant:String} AND window_size = '${piece.window}'${filters} AND window_start >= ${from} AND window_start < ${to}`;
}

interface ResultRow {
  subject: string;
  meter: string;
  currency: string;
  w: number | string;
  dims?: string[];
  quantity: string;
  amount_micros: string;
  events: number | string;
}

const EVENT_DIMENSIONS: ReadonlySet<string> = new Set(['subject', 'meter']);

/** Data properties in groupBy: the aggregates do not carry them, so such answers come from the raw rows. */
function dataDimensions(q: UsageQuery): string[] {
  return (q.groupBy ?? []).filter((g) => !EVENT_DIMENSIONS.has(g));
}

/**
 * Grouped by data properties: `usage_rated FINAL` joined to the event's data
 * in `events_raw FINAL` (same tenant, source and id), one raw piece.
 * Property paths become JSONExtractString arguments (`usage.region` → 'usage', 'region').
 */
function dimensionsSelect(q: UsageQuery, filters: string, dimensions: readonly string[]): string {
  // Strings as they are, numbers and booleans as written in the JSON, absent as ''.
  const extract = (path: string): string => {
    const at = `e.data, ${path.split('.').map((p) => `'${p}'`).join(', ')}`;
    return `if(JSONType(${at}) = 'String', JSONExtractString(${at}), JSONExtractRaw(${at}))`;
  };
  return `SELECT r.subject AS subject, r.meter AS meter, r.currency AS currency, ${windowExpression(q.windowSize, 'r.time')} AS w,
        [${dimensions.map(extract).join(', ')}] AS dims, r.quantity AS quantity, r.amount_micros AS amount_micros, toUInt64(1) AS events
      FROM usage_rated AS r FINAL
      LEFT JOIN (SELECT source, id, data FROM events_raw FINAL
                 WHERE tenant = {tenant:String} AND time >= fromUnixTimestamp64Milli({from0:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to0:Int64}, 'UTC')) AS e
        ON r.source = e.source AND r.id = e.id
      WHERE r.tenant = {tenant:String}${filters.replace(/ AND (subject|meter) =/g, ' AND r.$1 =')}
        AND r.time >= fromUnixTimestamp64Milli({from0:Int64}, 'UTC') AND r.time < fromUnixTimestamp64Milli({to0:Int64}, 'UTC')`;
}

export async function queryUsage(client: ClickHouseClient, q: UsageQuery): Promise<UsageTotal> {
  const rowsMax = q.rowsMax ?? USAGE_ROWS_MAX;
  const dimensions = dataDimensions(q);
  const pieces = dimensions.length > 0 ? [{ fromMs: q.fromMs, toMs: q.toMs, window: null }] : planUsagePieces(q.fromMs, q.toMs, q.windowSize);
  const params: Record<string, string | number> = { tenant: q.tenant };
  let filters = '';
  if (q.subject !== undefined) {
    filters += ' AND subject = {subject:String}';
    params.subject = q.subject;
  }
  if (q.meter !== undefined) {
    filters += ' AND meter = {meter:String}';
    params.meter = q.meter;
  }
  pieces.forEach((piece, i) => {
    params[`from${i}`] = piece.fromMs;
    params[`to${i}`] = piece.toMs;
  });
  // subject and meter are either filtered or grouped, so every row names both.
  const source = dimensions.length > 0 ? dimensionsSelect(q, filters, dimensions) : pieces.map((p, i) => pieceSelect(p, i, q, filters)).join('\nUNION ALL\n');
  const dims = dimensions.length > 0 ? ', dims' : '';
  const rows: ResultRow[] = pieces.length === 0 ? [] : await (await client.query({
    query: `SELECT subject, meter, currency, w${dims}, toString(sum(quantity)) AS quantity,
              toString(sum(amount_micros)) AS amount_micros, sum(events) AS events
            FROM (${source})
            GROUP BY subject, meter, currency, w${dims}
            ORDER BY w, subject, meter, currency${dims}
            LIMIT ${rowsMax + 1}`,
    query_params: params,
    format: 'JSONEachRow',
  })).json<ResultRow>();
  if (rows.length > rowsMax) throw new UsageTooLargeError(`more than ${rowsMax} rows; narrow from/to, use a larger windowSize or group by less`);
  return summarize(q, rows.map((r) => usageRow(r, q.windowSize, dimensions)));
}

function usageRow(r: ResultRow, windowSize: UsageWindowSize | undefined, dimensions: readonly string[]): UsageRow {
  const startMs = Number(r.w) * 1000;
  return {
    windowStart: windowSize ? new Date(startMs).toISOString() : null,
    windowEnd: windowSize ? new Date(startMs + WINDOW_MS[windowSize]).toISOString() : null,
    subject: r.subject,
    meter: r.meter,
    currency: r.currency === '' ? null : r.currency,
    ...(dimensions.length > 0 ? { dimensions: Object.fromEntries(dimensions.map((d, i) => [d, r.dims?.[i] ?? ''])) } : {}),
    quantity: r.quantity,
    amountMicros: r.amount_micros,
    events: Number(r.events),
  };
}

/** Top-level totals; quantity and amount only where they add up (one meter, one currency). */
function summarize(q: UsageQuery, rows: UsageRow[]): UsageTotal {
  const meters = new Set(rows.map((r) => r.meter));
  const currencies = new Set(rows.flatMap((r) => (r.currency === null ? [] : [r.currency])));
  let quantityNanos = 0n;
  let amountMicros = 0n;
  let events = 0;
  for (const row of rows) {
    quantityNanos += decimalToNanos(row.quantity);
    amountMicros += BigInt(row.amountMicros);
    events += row.events;
  }
  return {
    subject: q.subject ?? null,
    meter: q.meter ?? null,
    from: new Date(q.fromMs).toISOString(),
    to: new Date(q.toMs).toISOString(),
    quantity: meters.size > 1 ? null : formatQuantity(quantityNanos),
    amountMicros: currencies.size > 1 ? null : amountMicros.toString(),
    currency: currencies.size === 1 ? [...currencies][0]! : null,
    events,
    windowSize: q.windowSize ?? null,
    groupBy: [...(q.groupBy ?? [])],
    rows,
  };
}

/** ClickHouse prints Decimal(38, 9) sums as plain decimals ("12.5", "3"). */
function decimalToNanos(text: string): bigint {
  const parsed = toQuantityNanos(text);
  if (!parsed.ok) throw new Error(`ClickHouse returned a quantity that is not a Decimal(38, 9): ${parsed.reason}`);
  return parsed.nanos;
}

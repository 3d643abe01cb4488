/** The read APIs the client wraps: `GET /v1/usage` and `GET /v1/entitlements/{subject}/{feature}`. */
import { parseRetryAfterMs } from './backoff.ts';
import { TollgateError } from './errors.ts';
import { anySignal } from './transport.ts';
import { errorMessage, errorOf, isRecord, parseJson, withTrailingSlash } from './http-transport.ts';
import type { EntitlementAccess, UsageGroupBy, UsageRow, UsageTotal, UsageWindowSize } from '../schemas/api.ts';

export interface UsageQuery {
  /** Required unless `groupBy` includes `subject`. */
  subject?: string;
  /** A meter slug, e.g. `tokens`. Required unless `groupBy` includes `meter`. */
  meter?: string;
  /** Inclusive start; default: the beginning of time. */
  from?: Date | string;
  /** Exclusive end; default: open-ended. */
  to?: Date | string;
  /** Rows per UTC minute, hour or day; default: one row per group over the whole range. */
  windowSize?: UsageWindowSize;
  groupBy?: UsageGroupBy[];
}

export type { UsageGroupBy, UsageRow, UsageTotal, UsageWindowSize };

/** `GET /v1/entitlements/{subject}/{feature}` (schemas/api.ts). */
export type AccessCheck = EntitlementAccess;

export interface ReadApiOptions {
  baseUrl: string;
  apiKey?: string;
  requestTimeoutMs: number;
  fetch: typeof fetch;
  nowMs: () => number;
}

/** GETs `path` (relative to baseUrl) and returns its JSON body; any other answer throws a coded `TollgateError`. */
export async function getJson(options: ReadApiOptions, path: string, signal: AbortSignal): Promise<unknown> {
  const url = new URL(path, withTrailingSlash(options.baseUrl)).toString();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const timeout = anySignal([signal, AbortSignal.timeout(options.requestTimeoutMs)]);
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, { headers, signal: timeout.signal });
    text = await response.text();
  } catch (err) {
    if (signal.aborted) throw new TollgateError('TG_SDK_CLOSED', 'the client closed while the request was in flight', { cause: err });
    throw new TollgateError('TG_SDK_NETWORK', `GET ${url} failed: ${errorMessage(err)}`, { retryable: true, cause: err });
  } finally {
    timeout.dispose();
  }
  const body = parseJson(text);
  if (response.status !== 200) throw errorOf(response.status, body, parseRetryAfterMs(response.headers.get('retry-after'), options.nowMs()));
  return body;
}

export function usagePath(query: UsageQuery): string {
  const params = new URLSearchParams();
  if (query.subject !== undefined) params.set('subject', query.subject);
  if (query.meter !== undefined) params.set('meter', query.meter);
  if (query.from !== undefined) params.set('from', rfc3339(query.from));
  if (query.to !== undefined) params.set('to', rfc3339(query.to));
  if (query.windowSize !== undefined) params.set('windowSize', query.windowSize);
  if (query.groupBy !== undefined && query.groupBy.length > 0) params.set('groupBy', query.groupBy.join(','));
  return `v1/usage?${params.toString()}`;
}

export function entitlementPath(subject: string, feature: string): string {
  return `v1/entitlements/${encodeURIComponent(subject)}/${encodeURIComponent(feature)}`;
}

const stringOrNull = (value: unknown): boolean => typeof value === 'string' || value === null;

function isUsageRow(row: unknown): boolean {
  return isRecord(row)
    && ['subject', 'meter', 'quantity', 'amountMicros'].every((key) => typeof row[key] === 'string')
    && ['windowStart', 'windowEnd', 'currency'].every((key) => stringOrNull(row[key]))
    && (row.dimensions === undefined || (isRecord(row.dimensions) && Object.values(row.dimensions).every((v) => typeof v === 'string')))
    && typeof row.events === 'number';
}

export function parseUsageTotal(body: unknown): UsageTotal {
  const ok = isRecord(body)
    && ['from', 'to'].every((key) => typeof body[key] === 'string')
    && ['subject', 'meter', 'quantity', 'amountMicros', 'currency', 'windowSize'].every((key) => stringOrNull(body[key]))
    && typeof body.events === 'number'
    && Array.isArray(body.groupBy) && body.groupBy.every((g) => typeof g === 'string')
    && Array.isArray(body.rows) && body.rows.every(isUsageRow);
  if (!ok) throw new TollgateError('TG_SDK_UNEXPECTED_RESPONSE', `/v1/usage answered ${JSON.stringify(body)}`);
  return body as unknown as UsageTotal;
}

export function parseAccessCheck(body: unknown): AccessCheck {
  const stringOrNullAt = (key: string): boolean => isRecord(body) && stringOrNull(body[key]);
  const ok = isRecord(body)
    && typeof body.hasAccess === 'boolean'
    && ['subject', 'feature', 'usage', 'periodStart', 'periodEnd'].every((key) => typeof body[key] === 'string')
    && ['limit', 'remaining'].every(stringOrNullAt)
    && (body.enforcement === null || body.enforcement === 'hard' || body.enforcement === 'soft');
  if (!ok) throw new TollgateError('TG_SDK_UNEXPECTED_RESPONSE', `/v1/entitlements answered ${JSON.stringify(body)}`);
  return body as unknown as AccessCheck;
}

function rfc3339(time: Date | string): string {
  return typeof time === 'string' ? time : time.toISOString();
}

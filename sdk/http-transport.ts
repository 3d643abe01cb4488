/** `POST {baseUrl}/v1/events`: one request per batch, the answer classified for the client's retry loop. */
import type { UsageEvent } from '../schemas/event.ts';
import { parseRetryAfterMs } from './backoff.ts';
import { TollgateError, type AnyErrorCode, type WireRejection } from './errors.ts';
import { anySignal, encodeEvents, type Encoding, type SendOutcome, type Transport } from './transport.ts';

export interface HttpTransportOptions {
  baseUrl: string;
  apiKey?: string;
  encoding: Encoding;
  requestTimeoutMs: number;
  fetch: typeof fetch;
  nowMs: () => number;
}

/** Statuses worth the same request again: the server or a proxy said "later", not "no". */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

export class HttpTransport implements Transport {
  private readonly url: string;

  constructor(private readonly options: HttpTransportOptions) {
    this.url = new URL('v1/events', withTrailingSlash(options.baseUrl)).toString();
  }

  async send(events: UsageEvent[], signal: AbortSignal): Promise<SendOutcome> {
    const { body, contentType } = encodeEvents(events, this.options.encoding);
    const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/json' };
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    const timeout = anySignal([signal, AbortSignal.timeout(this.options.requestTimeoutMs)]);
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(this.url, { method: 'POST', headers, body, signal: timeout.signal });
      text = await response.text();
    } catch (err) {
      if (signal.aborted) return { kind: 'fatal', error: new TollgateError('TG_SDK_CLOSED', 'the client closed while the request was in flight', { cause: err }) };
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return {
        kind: 'retryable',
        error: timedOut
          ? new TollgateError('TG_SDK_TIMEOUT', `no answer from ${this.url} within ${this.options.requestTimeoutMs} ms`, { retryable: true, cause: err })
          : new TollgateError('TG_SDK_NETWORK', `POST ${this.url} failed: ${errorMessage(err)}`, { retryable: true, cause: err }),
      };
    } finally {
      timeout.dispose();
    }
    return classifyIngestAnswer(response.status, parseJson(text), parseRetryAfterMs(response.headers.get('retry-after'), this.options.nowMs()));
  }

  async close(): Promise<void> {
    // fetch keeps no connection of ours open that needs closing.
  }
}

/** Maps one ingest answer onto what the client does next; exported for its table test. */
export function classifyIngestAnswer(status: number, body: unknown, retryAfterMs: number | undefined): SendOutcome {
  const error = errorOf(status, body, retryAfterMs);
  if (status === 200 || status === 202) {
    const answer = ingestAnswer(body);
    if (answer) return { kind: 'answered', ...answer };
    // The events may well be in the log; sending them again is safe because their ids make it idempotent.
    return { kind: 'retryable', error: new TollgateError('TG_SDK_UNEXPECTED_RESPONSE', `a ${status} answer without {accepted, rejected}`, { status, retryable: true }) };
  }
  if (status === 400) {
    // TG_ALL_EVENTS_REJECTED names every event's fault: an answer, not a transport failure.
    const answer = ingestAnswer(body);
    if (answer && answer.rejected.length > 0) return { kind: 'answered', ...answer };
    return { kind: 'fatal', error };
  }
  if (status === 413) return { kind: 'too-large', error };
  if (RETRYABLE_STATUSES.has(status)) {
    // A 429 or 503 still names the events that failed validation: those will never be accepted.
    const rejected = isRecord(body) && Array.isArray(body.rejected) ? body.rejected.filter(isWireRejection) : [];
    return rejected.length > 0 ? { kind: 'retryable', error, rejected } : { kind: 'retryable', error };
  }
  return { kind: 'fatal', error };
}

export function errorOf(status: number, body: unknown, retryAfterMs: number | undefined): TollgateError {
  const retryable = RETRYABLE_STATUSES.has(status);
  const details = retryAfterMs === undefined ? { status, retryable } : { status, retryable, retryAfterMs };
  const apiError = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (apiError && typeof apiError.code === 'string') {
    const message = typeof apiError.message === 'string' ? apiError.message : apiError.code;
    const field = typeof apiError.field === 'string' ? apiError.field : undefined;
    return new TollgateError(apiError.code, message, field === undefined ? details : { ...details, field });
  }
  return new TollgateError(fallbackCode(status), `HTTP ${status} without a Tollgate error body`, details);
}

function fallbackCode(status: number): AnyErrorCode {
  if (status === 401 || status === 403) return 'TG_UNAUTHORIZED';
  if (status === 413) return 'TG_BODY_TOO_LARGE';
  if (status === 404) return 'TG_NOT_FOUND';
  return 'TG_SDK_UNEXPECTED_RESPONSE';
}

function ingestAnswer(body: unknown): { accepted: number; rejected: WireRejection[] } | undefined {
  if (!isRecord(body) || typeof body.accepted !== 'number') return undefined;
  const rejected = body.rejected ?? [];
  if (!Array.isArray(rejected) || !rejected.every(isWireRejection)) return undefined;
  return { accepted: body.accepted, rejected };
}

export function isWireRejection(value: unknown): value is WireRejection {
  return isRecord(value) && Number.isInteger(value.index) && typeof value.code === 'string'
    && typeof value.field === 'string' && typeof value.message === 'string';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

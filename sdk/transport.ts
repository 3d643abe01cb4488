/**
 * What a transport (HTTP or WebSocket) tells the client about one send. The
 * client owns retries, splitting and reporting; a transport only classifies
 * the server's answer, so both transports share one retry policy.
 */
import { Packr } from 'msgpackr';
import type { UsageEvent } from '../schemas/event.ts';
import type { TollgateError, WireRejection } from './errors.ts';

export type SendOutcome =
  /** The server took the batch: `accepted` events are in the log, `rejected` ones never will be. */
  | { kind: 'answered'; accepted: number; rejected: WireRejection[] }
  /** Too many events or bytes for one request or frame: send halves; one event alone is rejected with `error`. */
  | { kind: 'too-large'; error: TollgateError }
  /**
   * Send the events again after a backoff (429, 503, network, retryable frame error). `rejected`
   * names events the server already found invalid in this attempt: they are reported, not sent again.
   */
  | { kind: 'retryable'; error: TollgateError; rejected?: WireRejection[] }
  /** Sending again cannot help (401, malformed body, closed client). */
  | { kind: 'fatal'; error: TollgateError };

export interface Transport {
  /** Never rejects: every failure is an outcome. `signal` aborts when the client closes past its timeout. */
  send(events: UsageEvent[], signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

export type Encoding = 'msgpack' | 'json';

// Plain msgpack maps (no msgpackr record extension), so that any msgpack decoder can read what we send.
export const packr = new Packr({ useRecords: false });

export function encodeEvents(events: UsageEvent[], encoding: Encoding): { body: Uint8Array; contentType: string } {
  if (encoding === 'json') return { body: Buffer.from(JSON.stringify(events)), contentType: 'application/json' };
  return { body: packr.pack(events), contentType: 'application/msgpack' };
}

/**
 * One signal that aborts when any input does, and a `dispose` that detaches it
 * from the inputs (the client's long-lived signal would otherwise collect a
 * listener per request). `AbortSignal.any` needs Node 20.3; the SDK promises 18.
 */
export function anySignal(signals: AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const detach = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true, signal: detach.signal });
  }
  return { signal: controller.signal, dispose: () => detach.abort() };
}

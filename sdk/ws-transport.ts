/**
 * `ws(s)://{host}/v1/stream`: msgpack frames `{seq, events}` on one long-lived
 * connection, at most `min(framesInFlightMax, hello.inFlightFramesMax)` frames
 * unacknowledged. A broken connection answers its unacknowledged frames as
 * retryable; the client's retry loop sends them again (same event ids, so the
 * server de-duplicates), which opens a new connection whose seq restarts at 1.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { unpack } from 'msgpackr';
import WebSocket from 'ws';
import type { UsageEvent } from '../schemas/event.ts';
import { parseRetryAfterMs } from './backoff.ts';
import { TollgateError } from './errors.ts';
import { errorMessage, errorOf, isRecord, isWireRejection, parseJson, withTrailingSlash } from './http-transport.ts';
import { packr, type SendOutcome, type Transport } from './transport.ts';

export interface WebSocketTransportOptions {
  baseUrl: string;
  apiKey?: string;
  /** From opening the socket to the server's hello. */
  connectTimeoutMs: number;
  /** The client's own cap on unacknowledged frames; the server's hello may lower it. */
  framesInFlightMax: number;
  nowMs: () => number;
}

/** The server's first frame on a new connection. */
export interface StreamHello {
  inFlightFramesMax: number;
  frameEventsMax: number;
  frameBytesMax: number;
}

/** Errors that mean "this frame is too big": split it, as for HTTP 413. */
const TOO_LARGE_CODES = new Set(['TG_BATCH_TOO_LONG', 'TG_BODY_TOO_LARGE']);
/** Bytes of an upgrade refusal read for its error code; the rest is dropped. */
const REFUSAL_BYTES_MAX = 64 * 1024;

export function streamUrl(baseUrl: string): string {
  const url = new URL('v1/stream', withTrailingSlash(baseUrl));
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

export class WebSocketTransport implements Transport {
  private connecting: Promise<StreamConnection> | undefined;
  private closed = false;

  constructor(private readonly options: WebSocketTransportOptions) {}

  async send(events: UsageEvent[], signal: AbortSignal): Promise<SendOutcome> {
    if (this.closed || signal.aborted) return { kind: 'fatal', error: closedError() };
    let connection: StreamConnection;
    try {
      connection = await this.connection();
    } catch (err) {
      const error = err instanceof TollgateError ? err : new TollgateError('TG_SDK_NETWORK', errorMessage(err), { retryable: true, cause: err });
      return { kind: error.retryable ? 'retryable' : 'fatal', error };
    }
    return connection.send(events, signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    const connection = await connecting?.catch(() => undefined);
    await connection?.close();
  }

  /** The open connection, or one being opened; concurrent senders share it. */
  private connection(): Promise<StreamConnection> {
    if (this.connecting) return this.connecting;
    // Forgotten the moment it fails (not when its socket has finished closing), so the next send reconnects.
    const attempt: Promise<StreamConnection> = StreamConnection.open(this.options, () => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
    this.connecting = attempt;
    return attempt;
  }
}

type State = 'opening' | 'open' | 'closed';

class StreamConnection {
  readonly done: Promise<void>;
  private state: State = 'opening';
  private readonly socket: WebSocket;
  private netSocket: Socket | undefined;
  private hello: StreamHello | undefined;
  private seqNext = 1;
  /** Unacknowledged frames by seq, in send order. */
  private readonly pending = new Map<number, (outcome: SendOutcome) => void>();
  private slotWaiters: (() => void)[] = [];
  private failure: TollgateError | undefined;
  private readonly ready: Promise<void>;
  private settleReady!: (error?: TollgateError) => void;
  private resolveDone!: () => void;
  private readonly helloTimer: NodeJS.Timeout;

  static async open(options: WebSocketTransportOptions, onFailed: () => void): Promise<StreamConnection> {
    const connection = new StreamConnection(options, onFailed);
    await connection.ready;
    return connection;
  }

  private constructor(private readonly options: WebSocketTransportOptions, private readonly onFailed: () => void) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.done = new Promise<void>((resolve) => { this.resolveDone = resolve; });
    const headers: Record<string, string> = {};
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    const url = streamUrl(options.baseUrl);
    this.socket = new WebSocket(url, { headers, handshakeTimeout: options.connectTimeoutMs, perMessageDeflate: false });
    this.helloTimer = setTimeout(() => {
      this.fail(new TollgateError('TG_SDK_TIMEOUT', `no hello from ${url} within ${options.connectTimeoutMs} ms`, { retryable: true }));
    }, options.connectTimeoutMs);
    this.socket.on('upgrade', (response) => {
      this.netSocket = response.socket as Socket;
    });
    this.socket.on('unexpected-response', (request, response) => this.refused(request, response));
    this.socket.on('message', (data) => this.onFrame(data));
    this.socket.on('error', (err) => {
      this.fail(new TollgateError('TG_SDK_NETWORK', `WebSocket ${url}: ${errorMessage(err)}`, { retryable: true, cause: err }));
    });
    this.socket.on('close', (code) => {
      this.fail(new TollgateError('TG_SDK_NETWORK', `WebSocket ${url} closed (code ${code})`, { retryable: true }));
    });
  }

  async send(events: UsageEvent[], signal: AbortSignal): Promise<SendOutcome> {
    while (this.state === 'open' && this.pending.size >= this.windowSize()) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    if (signal.aborted || this.failure?.code === 'TG_SDK_CLOSED') return { kind: 'fatal', error: closedError() };
    if (this.state !== 'open') return { kind: 'retryable', error: this.failure ?? closedError() };
    const hello = this.hello!;
    if (events.length > hello.frameEventsMax) {
      this.wakeOneWaiter();
      return { kind: 'too-large', error: new TollgateError('TG_BATCH_TOO_LONG', `${events.length} events in one frame; the server takes ${hello.frameEventsMax}`) };
    }
    const seq = this.seqNext;
    const frame = packr.pack({ seq, events });
    if (frame.length > hello.frameBytesMax) {
      this.wakeOneWaiter();
      return { kind: 'too-large', error: new TollgateError('TG_BODY_TOO_LARGE', `a ${frame.length}-byte frame; the server takes ${hello.frameBytesMax}`) };
    }
    // Seqs go out without gaps: the server answers them in order.
    this.seqNext += 1;
    return new Promise<SendOutcome>((resolve) => {
      // Closing past the client's timeout abandons the connection, and every frame still on it.
      const onAbort = (): void => this.fail(closedError());
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(seq, (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
      this.updateRef();
      this.socket.send(frame, (err) => {
        if (err) this.fail(new TollgateError('TG_SDK_NETWORK', `sending frame ${seq} failed: ${errorMessage(err)}`, { retryable: true, cause: err }));
      });
    });
  }

  async close(): Promise<void> {
    this.fail(closedError());
    await this.done;
  }

  private windowSize(): number {
    return Math.min(this.options.framesInFlightMax, this.hello?.inFlightFramesMax ?? 1);
  }

  private onFrame(data: WebSocket.RawData): void {
    let message: unknown;
    try {
      message = unpack(toBuffer(data));
    } catch (err) {
      this.protocolError(`a frame that is not msgpack: ${errorMessage(err)}`);
      return;
    }
    if (this.state === 'opening') {
      this.onHello(message);
      return;
    }
    if (isRecord(message) && message.seq === undefined && isRecord(message.error)) {
      // The server refused the connection's frames as a whole (TG_FRAME_INVALID) and is closing it.
      const code = typeof message.error.code === 'string' ? message.error.code : 'TG_SDK_UNEXPECTED_RESPONSE';
      const text = typeof message.error.message === 'string' ? message.error.message : code;
      this.fail(new TollgateError(code, `the server closed the stream: ${text}`, { retryable: true }));
      return;
    }
    if (!isRecord(message) || typeof message.seq !== 'number') {
      this.protocolError('a frame without seq');
      return;
    }
    const resolve = this.pending.get(message.seq);
    const outcome = frameOutcome(message);
    if (!resolve || !outcome) {
      this.protocolError(resolve ? `an answer to frame ${message.seq} outside the protocol` : `an answer to frame ${message.seq}, which is not in flight`);
      return;
    }
    this.pending.delete(message.seq);
    this.updateRef();
    resolve(outcome);
    this.wakeOneWaiter();
  }

  private onHello(message: unknown): void {
    const hello = isRecord(message) && isRecord(message.hello) ? message.hello : undefined;
    const valid = hello !== undefined && ['inFlightFramesMax', 'frameEventsMax', 'frameBytesMax']
      .every((key) => Number.isInteger(hello[key]) && (hello[key] as number) > 0);
    if (!valid) {
      this.protocolError('the first frame is not {hello: {inFlightFramesMax, frameEventsMax, frameBytesMax}}');
      return;
    }
    this.hello = hello as unknown as StreamHello;
    this.state = 'open';
    clearTimeout(this.helloTimer);
    this.updateRef();
    this.settleReady();
  }

  /** The upgrade was answered with a plain HTTP status (401, 404, 503…): read its error body, then give up this socket. */
  private refused(request: { destroy: () => void }, response: IncomingMessage): void {
    const status = response.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let bytes = 0;
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= REFUSAL_BYTES_MAX) chunks.push(chunk);
    });
    const finish = (): void => {
      const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], this.options.nowMs());
      this.fail(errorOf(status, parseJson(Buffer.concat(chunks).toString('utf8')), retryAfterMs));
      request.destroy();
    };
    response.on('end', finish);
    response.on('error', finish);
  }

  private protocolError(message: string): void {
    this.fail(new TollgateError('TG_SDK_UNEXPECTED_RESPONSE', `WebSocket protocol: ${message}`, { retryable: true }));
  }

  /** Ends the connection once; frames still unacknowledged are answered with the cause, for the client to send again. */
  private fail(error: TollgateError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.failure = error;
    this.onFailed();
    clearTimeout(this.helloTimer);
    this.settleReady(error);
    const outcome: SendOutcome = error.code === 'TG_SDK_CLOSED' ? { kind: 'fatal', error } : { kind: 'retryable', error };
    for (const resolve of this.pending.values()) resolve(outcome);
    this.pending.clear();
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.once('close', () => this.resolveDone());
      this.socket.close(1000);
      // A peer that never completes the closing handshake does not hold close() up.
      setTimeout(() => this.socket.terminate(), this.options.connectTimeoutMs).unref();
    } else {
      if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
      this.resolveDone();
    }
  }

  private wakeOneWaiter(): void {
    this.slotWaiters.shift()?.();
  }

  /** An idle connection must not keep the process alive; one with frames awaiting answers must. */
  private updateRef(): void {
    if (!this.netSocket) return;
    if (this.pending.size > 0) this.netSocket.ref();
    else this.netSocket.unref();
  }
}

/** The outcome an answer frame carries, or undefined when it is neither an ack nor an error. */
function frameOutcome(message: Record<string, unknown>): SendOutcome | undefined {
  if (isRecord(message.error)) {
    const code = typeof message.error.code === 'string' ? message.error.code : 'TG_SDK_UNEXPECTED_RESPONSE';
    const text = typeof message.error.message === 'string' ? message.error.message : code;
    if (TOO_LARGE_CODES.has(code)) return { kind: 'too-large', error: new TollgateError(code, text) };
    const retryable = message.retryable === true;
    return { kind: retryable ? 'retryable' : 'fatal', error: new TollgateError(code, text, { retryable }) };
  }
  const rejected = message.rejected ?? [];
  if (typeof message.accepted !== 'number' || !Array.isArray(rejected)) return undefined;
  if (!rejected.every(isWireRejection)) return undefined;
  return { kind: 'answered', accepted: message.accepted, rejected };
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function closedError(): TollgateError {
  return new TollgateError('TG_SDK_CLOSED', 'the client closed before the server acknowledged the events');
}

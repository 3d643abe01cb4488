/**
 * The Tollgate client: `ingest()` buffers, batches leave when full or after
 * `flushIntervalMs`, each batch is retried with backoff until the server
 * answers for every event in it. What the server refuses is reported, never
 * retried; what cannot be delivered is reported, never dropped silently.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { UsageEvent } from '../schemas/event.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.ts';
import { EventBuffer, OVERFLOW_POLICIES, type OverflowPolicy, type Queued } from './event-buffer.ts';
import { checkEvent, completeEvent, type EventInput } from './event.ts';
import { TollgateError, type DeliveryFailure, type RejectedEvent, type WireRejection } from './errors.ts';
import { HttpTransport } from './http-transport.ts';
import {
  entitlementPath, getJson, parseAccessCheck, parseUsageTotal, usagePath,
  type AccessCheck, type ReadApiOptions, type UsageQuery, type UsageTotal,
} from './read-api.ts';
import type { Encoding, SendOutcome, Transport } from './transport.ts';
import { WebSocketTransport } from './ws-transport.ts';

export type DropReason = 'overflow' | 'closed' | 'exit';

/** The process events the client hooks for flush-on-exit; `process` by default. */
export type ExitEvents = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface TollgateClientOptions {
  /** Where Tollgate's API listens, e.g. `https://tollgate.example.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** CloudEvents `source` for events that name none. Default `tollgate-sdk`. */
  source?: string;
  /** `http` (default), `websocket`, or your own transport. */
  transport?: 'http' | 'websocket' | Transport;
  /** HTTP body encoding; the WebSocket stream is always msgpack. Default `msgpack`. */
  encoding?: Encoding;
  /** A batch leaves as soon as it holds this many events. Default 500. */
  batchEventsMax?: number;
  /** A partial batch leaves this long after its first event arrived. Default 1000. */
  flushIntervalMs?: number;
  /** Events held at most (waiting plus being delivered); then `overflow` applies. Default 10,000. */
  bufferEventsMax?: number;
  /** Default `throw`. */
  overflow?: OverflowPolicy;
  /** Concurrent HTTP requests, or unacknowledged WebSocket frames (the server's hello may lower it). Default 4. */
  requestsInFlightMax?: number;
  /** One HTTP request, or a WebSocket connect up to the hello. Default 10,000. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How long `close()` waits for delivery before giving up on what is left. Default 30,000. */
  closeTimeoutMs?: number;
  /** Flush when the event loop empties (`beforeExit`) and report what an `exit` strands. Default true. */
  flushOnExit?: boolean;
  /** Check events against schemas/event.ts before buffering them. Default true. */
  validate?: boolean;
  /** Events the server (or the local schema check) refused. Default: a console warning. */
  onRejected?: (rejections: RejectedEvent[]) => void;
  /** Events given up on after retries, or after an error no retry can fix (401…). Default: a console warning. */
  onFailed?: (failure: DeliveryFailure) => void;
  /** Events dropped by the overflow policy, a timed-out `close()`, or a process exit. Default: a console warning. */
  onDropped?: (events: UsageEvent[], reason: DropReason) => void;
  /** Test seams: the backoff sleep, jitter source, clock, fetch and process events. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => Date;
  fetch?: typeof fetch;
  exitEvents?: ExitEvents;
}

export interface ClientStats {
  /** Waiting for a batch. */
  queued: number;
  /** In batches being delivered (sent, or waiting to be retried). */
  inFlight: number;
  accepted: number;
  rejected: number;
  failed: number;
  dropped: number;
}

interface Batch {
  firstSeq: number;
  events: UsageEvent[];
}

const DEFAULTS = {
  source: 'tollgate-sdk',
  batchEventsMax: 500,
  flushIntervalMs: 1000,
  bufferEventsMax: 10_000,
  requestsInFlightMax: 4,
  requestTimeoutMs: 10_000,
  closeTimeoutMs: 30_000,
} as const;

export class TollgateClient {
  private readonly buffer: EventBuffer;
  private readonly transport: Transport;
  private readonly readApi: ReadApiOptions;
  private readonly retry: RetryPolicy;
  private readonly batchEventsMax: number;
  private readonly flushIntervalMs: number;
  private readonly requestsInFlightMax: number;
  private readonly closeTimeoutMs: number;
  private readonly source: string;
  private readonly validate: boolean;
  private readonly flushOnExit: boolean;
  private readonly exitEvents: ExitEvents;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => Date;
  private readonly onRejected: (rejections: RejectedEvent[]) => void;
  private readonly onFailed: (failure: DeliveryFailure) => void;
  private readonly onDropped: (events: UsageEvent[], reason: DropReason) => void;

  private readonly batches = new Set<Batch>();
  private readonly abort = new AbortController();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Set by the timer, `flush()` or `close()`: partial batches may leave until the queue is empty. */
  private flushRequested = false;
  private flushWaiters: { seqEnd: number; resolve: () => void }[] = [];
  private roomWaiters: (() => void)[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private exitFlushing = false;
  private readonly counts = { accepted: 0, rejected: 0, failed: 0, dropped: 0 };

  constructor(options: TollgateClientOptions) {
    this.batchEventsMax = positiveInteger('batchEventsMax', options.batchEventsMax ?? DEFAULTS.batchEventsMax);
    const bufferEventsMax = positiveInteger('bufferEventsMax', options.bufferEventsMax ?? DEFAULTS.bufferEventsMax);
    if (bufferEventsMax < this.batchEventsMax) throw configError('bufferEventsMax', `bufferEventsMax (${bufferEventsMax}) must hold at least one batch (${this.batchEventsMax})`);
    const overflow = options.overflow ?? 'throw';
    if (!OVERFLOW_POLICIES.includes(overflow)) throw configError('overflow', `overflow must be one of ${OVERFLOW_POLICIES.join(', ')}`);
    this.buffer = new EventBuffer(bufferEventsMax, overflow);
    this.flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs ?? DEFAULTS.flushIntervalMs);
    this.requestsInFlightMax = positiveInteger('requestsInFlightMax', options.requestsInFlightMax ?? DEFAULTS.requestsInFlightMax);
    this.closeTimeoutMs = positiveInteger('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    positiveInteger('retry.attemptsMax', this.retry.attemptsMax);
    this.source = options.source ?? DEFAULTS.source;
    this.validate = options.validate ?? true;
    this.flushOnExit = options.flushOnExit ?? true;
    this.exitEvents = options.exitEvents ?? process;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
    this.onRejected = options.onRejected ?? ((r) => warn(`${r.length} events rejected, first: ${r[0]?.code} ${r[0]?.field} ${r[0]?.message}`));
    this.onFailed = options.onFailed ?? ((f) => warn(`${f.events.length} events not delivered after ${f.attempts} attempts: ${f.error.code} ${f.error.message}`));
    this.onDropped = options.onDropped ?? ((events, reason) => warn(`${events.length} events dropped (${reason})`));

    let baseUrl: URL;
    try {
      baseUrl = new URL(options.baseUrl);
    } catch {
      throw configError('baseUrl', `baseUrl is not a URL: ${options.baseUrl}`);
    }
    const requestTimeoutMs = positiveInteger('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs);
    const nowMs = (): number => this.now().getTime();
    const apiKey = options.apiKey === undefined ? {} : { apiKey: options.apiKey };
    this.readApi = { baseUrl: baseUrl.toString(), ...apiKey, requestTimeoutMs, fetch: options.fetch ?? fetch, nowMs };
    const transport = options.transport ?? 'http';
    if (transport === 'http') {
      this.transport = new HttpTransport({ ...this.readApi, encoding: options.encoding ?? 'msgpack' });
    } else if (transport === 'websocket') {
      this.transport = new WebSocketTransport({
        baseUrl: baseUrl.toString(), ...apiKey, connectTimeoutMs: requestTimeoutMs, framesInFlightMax: this.requestsInFlightMax, nowMs,
      });
    } else {
      this.transport = transport;
    }
    if (this.flushOnExit) {
      this.exitEvents.on('beforeExit', this.handleBeforeExit);
      this.exitEvents.on('exit', this.handleExit);
    }
  }

  /**
   * Buffers one event and returns its id (the idempotency key: the server
   * counts one event per source and id, however often it is sent). Never
   * waits: a full buffer applies the overflow policy (`throw` raises
   * `TG_SDK_BUFFER_FULL`; use `waitForRoom()` to wait instead).
   */
  ingest(input: EventInput): string {
    if (this.closed) throw new TollgateError('TG_SDK_CLOSED', 'ingest() after close()');
    const event = completeEvent(input, { source: this.source, now: this.now() });
    if (this.validate) {
      const problem = checkEvent(event);
      if (problem) {
        this.reportRejected([{ event, ...problem }]);
        return event.id;
      }
    }
    const result = this.buffer.offer(event);
    if (result.kind === 'full') {
      throw new TollgateError('TG_SDK_BUFFER_FULL', `the buffer holds ${this.buffer.eventsMax} events (bufferEventsMax)`, { retryable: true });
    }
    if (result.kind === 'dropped') {
      this.reportDropped([result.dropped], 'overflow');
      this.resolveFlushWaiters();
      if (result.dropped === event) return event.id;
    }
    this.pump();
    return event.id;
  }

  /** Resolves when `ingest()` would buffer without overflowing (or the client closes). */
  waitForRoom(): Promise<void> {
    if (this.buffer.hasRoom || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Sends everything buffered now and resolves once each of those events was
   * accepted, rejected or given up on (see `onRejected`, `onFailed`, `stats()`).
   * Events ingested after the call are not waited for.
   */
  flush(): Promise<void> {
    const seqEnd = this.buffer.nextSeq;
    if (this.lowestUnsettledSeq() >= seqEnd) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.flushWaiters.push({ seqEnd, resolve }));
    this.flushRequested = true;
    this.pump();
    return flushed;
  }

  /**
   * Flushes, then releases the connection and the process hooks. What is not
   * delivered within `timeoutMs` (default `closeTimeoutMs`) is reported to
   * `onFailed` or `onDropped` with reason `closed`. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.shutDown(options.timeoutMs ?? this.closeTimeoutMs);
    }
    return this.closing;
  }

  /** A snapshot of the buffer and of what became of the events so far. */
  stats(): ClientStats {
    return { queued: this.buffer.queued, inFlight: this.buffer.inFlight, ...this.counts };
  }

  /** `GET /v1/usage`: one subject's rated usage of one meter, retried like ingest on 429/503/network errors. */
  async usage(query: UsageQuery): Promise<UsageTotal> {
    return parseUsageTotal(await this.read(usagePath(query)));
  }

  /**
   * `GET /v1/entitlements/{subject}/{feature}`. Until entitlements land on the
   * server it answers 404, which throws a `TollgateError` with code `TG_NOT_FOUND`.
   */
  async checkAccess(subject: string, feature: string): Promise<AccessCheck> {
    return parseAccessCheck(await this.read(entitlementPath(subject, feature)));
  }

  private async read(path: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await getJson(this.readApi, path, this.abort.signal);
      } catch (err) {
        if (!(err instanceof TollgateError) || !err.retryable || attempt >= this.retry.attemptsMax) throw err;
        await this.sleep(retryDelayMs(attempt, this.retry, this.random, err.retryAfterMs), this.abort.signal);
      }
    }
  }

  /** Starts batches while request slots are free and a batch is due: full, or partial once a flush was asked for. */
  private pump(): void {
    while (this.batches.size < this.requestsInFlightMax && this.buffer.queued > 0) {
      if (this.buffer.queued < this.batchEventsMax && !this.flushRequested) break;
      this.startBatch(this.buffer.take(this.batchEventsMax));
    }
    if (this.buffer.queued === 0) {
      this.flushRequested = false;
      this.clearFlushTimer();
    } else if (!this.flushRequested && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flushRequested = true;
        this.pump();
      }, this.flushIntervalMs);
      // With flush-on-exit, beforeExit sends what is left, so an idle timer need not keep the process up.
      if (this.flushOnExit) this.flushTimer.unref();
    }
  }

  private startBatch(taken: Queued[]): void {
    const events = taken.map((q) => q.event);
    const batch: Batch = { firstSeq: taken[0]!.seq, events };
    this.batches.add(batch);
    this.deliver(events)
      .catch((err: unknown) => {
        this.reportFailed({ events, attempts: 1, error: new TollgateError('TG_SDK_INTERNAL', `delivery failed: ${String(err)}`, { cause: err }) });
      })
      .finally(() => {
        this.batches.delete(batch);
        this.buffer.settle(events.length);
        this.pump();
        this.resolveFlushWaiters();
        this.wakeRoomWaiters();
      });
  }

  /** Delivers one batch: retries what may succeed later, halves what is too large, reports the rest. */
  private async deliver(batch: UsageEvent[]): Promise<void> {
    let events = batch;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.transport.send(events, this.abort.signal);
      if (outcome.kind === 'answered') {
        this.reportAnswer(events, outcome);
        return;
      }
      if (outcome.kind === 'too-large') {
        if (events.length === 1) {
          this.reportRejected([{ event: events[0]!, code: outcome.error.code, field: '', message: outcome.error.message }]);
          return;
        }
        // One half at a time: splitting must not exceed requestsInFlightMax.
        const half = Math.ceil(events.length / 2);
        await this.deliver(events.slice(0, half));
        await this.deliver(events.slice(half));
        return;
      }
      if (outcome.kind === 'retryable' && outcome.rejected) {
        events = this.withoutRejected(events, outcome.rejected);
        if (events.length === 0) return;
      }
      if (outcome.kind === 'fatal' || attempt >= this.retry.attemptsMax) {
        this.reportFailed({ events, error: outcome.error, attempts: attempt });
        return;
      }
      try {
        await this.sleep(retryDelayMs(attempt, this.retry, this.random, outcome.error.retryAfterMs), this.abort.signal);
      } catch {
        // Only close() past its timeout aborts the sleep.
      }
      if (this.abort.signal.aborted) {
        this.reportFailed({ events, attempts: attempt, error: new TollgateError('TG_SDK_CLOSED', 'the client closed while the events waited for a retry', { cause: outcome.error }) });
        return;
      }
    }
  }

  /** Reports the events a retryable answer already rejected and returns the others, to be sent again. */
  private withoutRejected(events: UsageEvent[], rejected: WireRejection[]): UsageEvent[] {
    const byIndex = new Map(rejected.filter((r) => events[r.index] !== undefined).map((r) => [r.index, r]));
    this.reportRejected([...byIndex.values()].map((r) => ({ event: events[r.index]!, code: r.code, field: r.field, message: r.message })));
    return events.filter((_, index) => !byIndex.has(index));
  }

  private reportAnswer(events: UsageEvent[], answer: Extract<SendOutcome, { kind: 'answered' }>): void {
    this.counts.accepted += answer.accepted;
    const rejections: RejectedEvent[] = [];
    for (const r of answer.rejected) {
      const event = events[r.index];
      if (event) rejections.push({ event, code: r.code, field: r.field, message: r.message });
    }
    if (rejections.length !== answer.rejected.length || answer.accepted + rejections.length !== events.length) {
      warn(`the server answered ${answer.accepted} accepted and ${answer.rejected.length} rejected for ${events.length} events sent`);
    }
    if (rejections.length > 0) this.reportRejected(rejections);
  }

  private reportRejected(rejections: RejectedEvent[]): void {
    if (rejections.length === 0) return;
    this.counts.rejected += rejections.length;
    guarded('onRejected', () => this.onRejected(rejections));
  }

  private reportFailed(failure: DeliveryFailure): void {
    this.counts.failed += failure.events.length;
    guarded('onFailed', () => this.onFailed(failure));
  }

  private reportDropped(events: UsageEvent[], reason: DropReason): void {
    if (events.length === 0) return;
    this.counts.dropped += events.length;
    guarded('onDropped', () => this.onDropped(events, reason));
  }

  /** Seq of the oldest event not yet settled; Infinity when none is held. */
  private lowestUnsettledSeq(): number {
    let lowest = this.buffer.headSeq ?? Infinity;
    for (const batch of this.batches) lowest = Math.min(lowest, batch.firstSeq);
    return lowest;
  }

  private resolveFlushWaiters(): void {
    const lowest = this.lowestUnsettledSeq();
    const due = this.flushWaiters.filter((w) => w.seqEnd <= lowest);
    if (due.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((w) => w.seqEnd > lowest);
    for (const waiter of due) waiter.resolve();
  }

  private wakeRoomWaiters(): void {
    if (!this.buffer.hasRoom && !this.closed) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private clearFlushTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.wakeRoomWaiters();
    const flushed = this.flush();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      flushed.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.reportDropped(this.buffer.drainQueued(), 'closed');
      // In-flight requests and retry sleeps end now; their events are reported as failed (TG_SDK_CLOSED).
      this.abort.abort();
      this.resolveFlushWaiters();
      await flushed;
    }
    this.clearFlushTimer();
    await this.transport.close();
    if (this.flushOnExit) {
      this.exitEvents.off('beforeExit', this.handleBeforeExit);
      this.exitEvents.off('exit', this.handleExit);
    }
  }

  /** The event loop emptied with events still buffered: send them (the requests keep the process up meanwhile). */
  private readonly handleBeforeExit = (): void => {
    if (this.exitFlushing || this.buffer.queued === 0) return;
    this.exitFlushing = true;
    void this.flush().finally(() => { this.exitFlushing = false; });
  };

  /** `exit` allows no I/O: what is still held is lost, and said so. */
  private readonly handleExit = (): void => {
    const stranded = [...this.buffer.drainQueued(), ...[...this.batches].flatMap((b) => b.events)];
    this.reportDropped(stranded, 'exit');
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw configError(name, `${name} must be a positive integer, got ${value}`);
  return value;
}

function configError(field: string, message: string): TollgateError {
  return new TollgateError('TG_CONFIG_INVALID', message, { field });
}

/** A throwing callback must not break delivery for the events after it. */
function guarded(name: string, callback: () => void): void {
  try {
    callback();
  } catch (err) {
    warn(`${name} threw: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function warn(message: string): void {
  console.warn(`[tollgate-sdk] ${message}`);
}

/**
 * A Kafka producer on a worker thread. Profiles of the ingest tier showed its
 * one JavaScript thread saturated, a tenth of it in kafkajs (request encoding,
 * CRC32C, socket writes, their garbage); this moves that work to a second
 * thread. The main thread packs records (msgpack) and transfers their bytes.
 *
 * Semantics are the kafkajs producer's: `send` resolves when the broker
 * acknowledged (with the batch's `acks`) and rejects with the broker's error
 * otherwise. If the thread dies, every pending send rejects and the next one
 * starts a fresh thread, so a crash costs a retry, never a lost ack.
 */
import { Worker } from 'node:worker_threads';
import { counter } from '../platform/metrics.ts';
import type { RecordBatch, RecordSender } from './record-sender.ts';

export interface ProducerThreadInit {
  brokers: string[];
  clientId: string;
  logLevel: string;
  maxInFlightRequests: number;
}

export type ToProducerThread =
  | { kind: 'connect'; id: number }
  | { kind: 'send'; id: number; batch: RecordBatch }
  | { kind: 'disconnect'; id: number };

export type FromProducerThread =
  | { kind: 'sent'; id: number }
  | { kind: 'failed'; id: number; message: string };

const restarts = counter('tollgate_ingest_producer_thread_restarts_total', 'times the ingest producer thread was started again after it died');
const ENTRY = new URL('./producer-thread-entry.mjs', import.meta.url);

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ProducerThread implements RecordSender {
  private worker: Worker | undefined;
  private connected: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly init: ProducerThreadInit) {}

  /** Starts the thread and connects its producer; rejects if the broker cannot be reached. */
  connect(): Promise<void> {
    this.connected ??= this.start();
    return this.connected;
  }

  async send(batch: RecordBatch): Promise<void> {
    if (this.closed) throw new Error('producer thread is closed');
    await this.connect();
    const transfer = batch.messages.map((m) => m.value.buffer as ArrayBuffer);
    return this.request({ kind: 'send', id: this.nextId++, batch }, transfer);
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.request({ kind: 'disconnect', id: this.nextId++ }, []);
    } finally {
      await worker.terminate();
    }
  }

  private start(): Promise<void> {
    const worker = new Worker(ENTRY, { workerData: this.init });
    this.worker = worker;
    const fail = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.connected = undefined;
      for (const [, pending] of this.pending) pending.reject(err);
      this.pending.clear();
      if (!this.closed) restarts.inc();
    };
    worker.on('message', (message: FromProducerThread) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.kind === 'sent') pending.resolve();
      else pending.reject(new Error(message.message));
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`producer thread exited (code ${code})`)));
    return this.request({ kind: 'connect', id: this.nextId++ }, []).catch((err: unknown) => {
      // A failed connect leaves no half-started thread behind: the next send starts afresh.
      this.connected = undefined;
      this.worker = undefined;
      void worker.terminate();
      throw err;
    });
  }

  private request(message: ToProducerThread, transfer: ArrayBuffer[]): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('producer thread is not running'));
    return new Promise<void>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.postMessage(message, transfer);
    });
  }
}

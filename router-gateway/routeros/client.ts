/**
 * A RouterOS API client: one TCP (or TLS) connection, the post-6.43 login
 * (`/login =name= =password=`), one command in flight at a time, every
 * command bounded by a timeout. Errors are RouterOsError with the router's
 * `!trap` message (never the password).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { attributesOf, encodeSentence, SentenceReader } from './protocol.ts';

export class RouterOsError extends Error {
  constructor(message: string, readonly kind: 'connect' | 'timeout' | 'trap' | 'closed' | 'login') {
    super(message);
  }
}

export interface RouterOsTarget {
  host: string;
  port: number;
  tls: boolean;
  user: string;
  password: string;
  timeoutMs: number;
}

export type RouterOsItem = Record<string, string>;

interface Waiter {
  resolve: (items: RouterOsItem[]) => void;
  reject: (err: Error) => void;
  items: RouterOsItem[];
  timer: NodeJS.Timeout;
}

export class RouterOsClient {
  private readonly reader = new SentenceReader();
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly socket: Socket, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new RouterOsError(err.message, 'closed')));
    socket.on('close', () => this.fail(new RouterOsError('connection closed by the router', 'closed')));
  }

  static async connect(target: RouterOsTarget): Promise<RouterOsClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => { s.destroy(); reject(new RouterOsError(`no connection to ${target.host}:${target.port} within ${target.timeoutMs} ms`, 'timeout')); }, target.timeoutMs);
      const s: Socket = target.tls
        ? tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: false }, () => { clearTimeout(timer); resolve(s); })
        : netConnect({ host: target.host, port: target.port }, () => { clearTimeout(timer); resolve(s); });
      s.once('error', (err) => { clearTimeout(timer); reject(new RouterOsError(`cannot connect to ${target.host}:${target.port}: ${err.message}`, 'connect')); });
    });
    socket.setNoDelay(true);
    const client = new RouterOsClient(socket, target.timeoutMs);
    try {
      await client.run(['/login', `=name=${target.user}`, `=password=${target.password}`]);
    } catch (err) {
      client.close();
      throw new RouterOsError(`login refused: ${err instanceof Error ? err.message : String(err)}`, 'login');
    }
    return client;
  }

  /** Runs one command; resolves with its `!re` items once `!done` arrives. */
  run(words: string[]): Promise<RouterOsItem[]> {
    const next = this.queue.then(() => this.send(words));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private send(words: string[]): Promise<RouterOsItem[]> {
    if (this.closed) return Promise.reject(new RouterOsError('connection closed', 'closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new RouterOsError(`${words[0]} got no answer within ${this.timeoutMs} ms`, 'timeout'));
        this.close();
      }, this.timeoutMs);
      this.waiter = { resolve, reject, items: [], timer };
      this.socket.write(encodeSentence(words));
    });
  }

  private onData(chunk: Buffer): void {
    let sentences: string[][];
    try {
      sentences = this.reader.push(chunk);
    } catch (err) {
      this.fail(new RouterOsError(err instanceof Error ? err.message : String(err), 'closed'));
      return;
    }
    for (const sentence of sentences) {
      const waiter = this.waiter;
      if (!waiter) continue;
      const [reply] = sentence;
      if (reply === '!re') waiter.items.push(attributesOf(sentence));
      else if (reply === '!done') this.settle(() => waiter.resolve(waiter.items));
      else if (reply === '!trap' || reply === '!fatal') {
        const message = attributesOf(sentence).message ?? sentence.slice(1).join(' ');
        this.settle(() => waiter.reject(new RouterOsError(message, 'trap')));
      }
    }
  }

  private settle(action: () => void): void {
    if (this.waiter) clearTimeout(this.waiter.timer);
    this.waiter = undefined;
    action();
  }

  private fail(err: RouterOsError): void {
    this.closed = true;
    const waiter = this.waiter;
    if (waiter) this.settle(() => waiter.reject(err));
  }
}

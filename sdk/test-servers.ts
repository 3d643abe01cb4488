/**
 * Scripted stand-ins for Tollgate's ingest (HTTP and the /v1/stream
 * WebSocket), for the SDK's own unit tests only. Each test decides the
 * answers (429, 413, a dropped connection…) that a real node cannot be made
 * to give on cue; the real server is exercised in sdk.integration.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pack, unpack } from 'msgpackr';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UsageEvent } from '../schemas/event.ts';
import type { StreamHello } from './ws-transport.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The decoded body of a POST (msgpack or JSON), else undefined. */
  events: UsageEvent[] | undefined;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | { destroy: true };

type Waiter = { count: number; resolve: () => void };

/** Resolves waiters once a list reaches their length: tests wait for what happened, not for time. */
class Arrivals<T> {
  readonly items: T[] = [];
  private waiters: Waiter[] = [];

  push(item: T): void {
    this.items.push(item);
    const due = this.waiters.filter((w) => w.count <= this.items.length);
    this.waiters = this.waiters.filter((w) => w.count > this.items.length);
    for (const w of due) w.resolve();
  }

  async waitFor(count: number): Promise<T[]> {
    if (this.items.length < count) await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    return this.items.slice(0, count);
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const acceptAll = (request: RecordedRequest): Reply => ({ status: 202, body: { accepted: request.events?.length ?? 0, rejected: [] } });

export class LocalIngestServer {
  readonly requests = new Arrivals<RecordedRequest>();
  /** Decides each answer; may await a gate the test opens later. Default: 202, every event accepted. */
  reply: (request: RecordedRequest, index: number) => Reply | Promise<Reply> = acceptAll;

  private constructor(private readonly server: Server, private readonly sockets: Set<Socket>, readonly url: string) {}

  static async start(): Promise<LocalIngestServer> {
    const sockets = new Set<Socket>();
    const server = createServer();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const local = new LocalIngestServer(server, sockets, await listen(server));
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const isMsgpack = (req.headers['content-type'] ?? '').includes('msgpack');
        const events = req.method === 'POST' ? (isMsgpack ? unpack(raw) : JSON.parse(raw.toString('utf8'))) as UsageEvent[] : undefined;
        const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, events };
        const index = local.requests.items.length;
        local.requests.push(recorded);
        void Promise.resolve(local.reply(recorded, index)).then((reply) => {
          if ('destroy' in reply) {
            req.socket.destroy();
            return;
          }
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
        });
      });
    });
    return local;
  }

  close(): Promise<void> {
    return stop(this.server, this.sockets);
  }
}

export interface RecordedFrame {
  connection: number;
  seq: number;
  events: UsageEvent[];
}

/** One client connection as the stream server sees it. */
export class StreamPeer {
  constructor(readonly index: number, private readonly socket: WebSocket) {}

  send(message: unknown): void {
    this.socket.send(pack(message));
  }

  accept(frame: RecordedFrame): void {
    this.send({ seq: frame.seq, accepted: frame.events.length, rejected: [] });
  }

  /**
   * A ping answered by a pong: resolves once every frame the client sent
   * before the ping arrived has been received (one TCP stream, in order).
   */
  roundTrip(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once('pong', () => resolve());
      this.socket.ping();
    });
  }

  /** Drops the TCP connection without a closing handshake, like a crashed server. */
  drop(): void {
    this.socket.terminate();
  }
}

export class LocalStreamServer {
  readonly frames = new Arrivals<RecordedFrame>();
  readonly upgrades = new Arrivals<IncomingHttpHeaders>();
  readonly peers: StreamPeer[] = [];
  hello: StreamHello = { inFlightFramesMax: 8, frameEventsMax: 1000, frameBytesMax: 1024 * 1024 };
  /** Answer upgrades with this HTTP status and error body instead of accepting them. */
  refuseWith: { status: number; code: string } | undefined;
  /** Decides each frame's answer. Default: accept every event at once. */
  onFrame: (frame: RecordedFrame, peer: StreamPeer) => void = (frame, peer) => peer.accept(frame);

  private constructor(private readonly server: Server, private readonly sockets: Set<Socket>, readonly url: string) {}

  static async start(): Promise<LocalStreamServer> {
    const sockets = new Set<Socket>();
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const local = new LocalStreamServer(server, sockets, await listen(server));
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      local.upgrades.push(req.headers);
      if (req.url !== '/v1/stream' || local.refuseWith) {
        const status = local.refuseWith?.status ?? 404;
        const body = JSON.stringify({ error: { code: local.refuseWith?.code ?? 'TG_NOT_FOUND', message: 'refused by the test' } });
        socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const peer = new StreamPeer(local.peers.length, ws);
        local.peers.push(peer);
        ws.on('message', (data: Buffer) => {
          const message = unpack(data) as { seq: number; events: UsageEvent[] };
          const frame = { connection: peer.index, seq: message.seq, events: message.events };
          local.frames.push(frame);
          local.onFrame(frame, peer);
        });
        peer.send({ hello: local.hello });
      });
    });
    return local;
  }

  close(): Promise<void> {
    return stop(this.server, this.sockets);
  }
}

/** A promise the test resolves when it chooses: holds an answer back. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => { open = resolve; });
  return { promise, open };
}

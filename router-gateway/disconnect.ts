/**
 * RFC 5176 Disconnect-Request client: one UDP socket, requests matched to
 * replies by (router address, identifier), replies checked against the
 * router's secret (Response Authenticator) before they count.
 */
import { createSocket, type Socket } from 'node:dgram';
import { checkFraming, encodeRequest, HEADER_BYTES, RADIUS_CODE, responseAuthenticatorValid, type AttributeList } from './radius/codec.ts';

export type DisconnectAnswer = 'ack' | 'nak' | 'timeout';

export interface DisconnectTarget {
  host: string;
  port: number;
  secret: string;
}

interface Waiting {
  authenticator: Buffer;
  secret: string;
  resolve: (answer: DisconnectAnswer) => void;
  timer: NodeJS.Timeout;
}

export class DisconnectClient {
  private readonly socket: Socket;
  private readonly waiting = new Map<string, Waiting>();
  private nextIdentifier = 0;
  private ready: Promise<void>;

  constructor() {
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => this.onReply(msg, `${rinfo.address}:${rinfo.port}`));
    this.socket.on('error', () => { /* a send error shows up as a timeout of that request */ });
    this.ready = new Promise((resolve) => this.socket.bind(0, () => resolve()));
  }

  async send(target: DisconnectTarget, attributes: AttributeList, timeoutMs: number): Promise<DisconnectAnswer> {
    await this.ready;
    const peer = `${target.host}:${target.port}`;
    let identifier = -1;
    for (let i = 0; i < 256; i++) {
      const candidate = (this.nextIdentifier + i) % 256;
      if (!this.waiting.has(`${peer}#${candidate}`)) { identifier = candidate; break; }
    }
    if (identifier === -1) return 'timeout';
    this.nextIdentifier = (identifier + 1) % 256;
    const packet = encodeRequest('Disconnect-Request', identifier, attributes, target.secret, { messageAuthenticator: true });
    const key = `${peer}#${identifier}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiting.delete(key); resolve('timeout'); }, timeoutMs);
      this.waiting.set(key, { authenticator: Buffer.from(packet.subarray(4, HEADER_BYTES)), secret: target.secret, resolve, timer });
      this.socket.send(packet, target.port, target.host);
    });
  }

  close(): Promise<void> {
    for (const w of this.waiting.values()) { clearTimeout(w.timer); w.resolve('timeout'); }
    this.waiting.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onReply(msg: Buffer, peer: string): void {
    if (!checkFraming(msg).ok) return;
    const key = `${peer}#${msg[1]}`;
    const waiting = this.waiting.get(key);
    if (!waiting || !responseAuthenticatorValid(msg, waiting.authenticator, waiting.secret)) return;
    const code = msg[0];
    if (code !== RADIUS_CODE.disconnectAck && code !== RADIUS_CODE.disconnectNak) return;
    this.waiting.delete(key);
    clearTimeout(waiting.timer);
    waiting.resolve(code === RADIUS_CODE.disconnectAck ? 'ack' : 'nak');
  }
}

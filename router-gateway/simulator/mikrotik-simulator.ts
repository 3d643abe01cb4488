/**
 * A MikroTik hotspot NAS for tests and the bench: logs users in over RADIUS
 * (PAP with Message-Authenticator, as RouterOS does), sends accounting
 * Start / Interim-Update / Stop echoing the Class it was given, listens for
 * Disconnect-Requests (ACK, or NAK when told to) and serves the RouterOS API.
 * Binds to its own loopback address (127.0.0.N) so the gateway tells
 * simulated routers apart by source address, as it does real ones.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  checkFraming, decodePacket, encodeReply, encodeRequest, HEADER_BYTES, messageAuthenticatorValid, RADIUS_CODE, requestAuthenticatorValid,
  responseAuthenticatorValid, ZERO_AUTHENTICATOR,
  type AttributeList, type DecodedPacket,
} from '../radius/codec.ts';
import { RouterOsServer } from './routeros-server.ts';

export interface SimulatorOptions {
  address: string;
  gatewayHost: string;
  authPort: number;
  acctPort: number;
  secret: string;
  apiUser: string;
  apiPassword: string;
  /** Answer Disconnect-Requests with NAK (a router with CoA disabled), so cutoffs need the API. */
  nakDisconnects?: boolean;
  timeoutMs?: number;
  retriesMax?: number;
}

export interface SimulatedSession {
  user: string;
  acctSessionId: string;
  framedIp: string;
  className: Buffer | undefined;
  bytesIn: bigint;
  bytesOut: bigint;
  seconds: number;
}

export interface ReceivedDisconnect {
  atMs: number;
  attributes: Record<string, unknown>;
  answered: 'ack' | 'nak';
}

export interface LoginResult {
  accepted: boolean;
  reply: DecodedPacket;
}

const TWO_32 = 2n ** 32n;

export class MikrotikSimulator {
  readonly api: RouterOsServer;
  readonly disconnects: ReceivedDisconnect[] = [];
  readonly sessions = new Map<string, SimulatedSession>();
  coaPort = 0;
  apiPort = 0;
  private client: Socket | undefined;
  private coa: Socket | undefined;
  private identifier = 0;
  private readonly pending = new Map<number, { authenticator: Buffer; resolve: (reply: Buffer) => void }>();
  private nextSession = 1;

  constructor(readonly options: SimulatorOptions) {
    this.api = new RouterOsServer({ user: options.apiUser, password: options.apiPassword, active: [], users: [], commands: [] });
  }

  async start(): Promise<void> {
    this.client = await this.bindUdp(0, (msg) => this.onReply(msg));
    this.coa = await this.bindUdp(0, (msg, port, address) => this.onDisconnect(msg, port, address));
    this.coaPort = this.coa.address().port;
    this.apiPort = await this.api.listen(this.options.address, 0);
  }

  async stop(): Promise<void> {
    for (const socket of [this.client, this.coa]) if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.api.close();
  }

  /** A hotspot login: Access-Request with User-Password and Message-Authenticator. On Accept the session is active. */
  async login(user: string, password: string, framedIp = `10.5.50.${this.nextSession % 250 + 2}`): Promise<LoginResult & { session?: SimulatedSession }> {
    const reply = await this.request('Access-Request', [
      ['User-Name', user], ['User-Password', password], ['NAS-Identifier', 'simulator'], ['Calling-Station-Id', '02:00:00:00:00:01'],
      ['Framed-IP-Address', framedIp], ['NAS-Port-Type', 'Wireless-802.11'],
    ], this.options.authPort);
    const decoded = decodePacket(reply)!;
    if (decoded.code !== RADIUS_CODE.accessAccept) return { accepted: false, reply: decoded };
    // Unique per simulated router, so sessions of several simulators never share an Acct-Session-Id.
    const acctSessionId = `${(Number(this.options.address.split('.').pop()) % 256).toString(16).padStart(2, '0')}f0${(this.nextSession++).toString(16).padStart(4, '0')}`;
    const classValue = decoded.attributes.Class;
    const session: SimulatedSession = { user, acctSessionId, framedIp, className: Buffer.isBuffer(classValue) ? classValue : undefined, bytesIn: 0n, bytesOut: 0n, seconds: 0 };
    this.sessions.set(acctSessionId, session);
    this.api.addActive({ user, address: framedIp, 'session-id': acctSessionId });
    return { accepted: true, reply: decoded, session };
  }

  /**
   * N hotspot users: each logs in, sends Start, `interims` Interim-Updates of
   * `bytesPerInterim` downloaded and 60 s each, then Stop (users in parallel).
   * Returns how many were accepted.
   */
  async runUsers(credentials: { user: string; password: string }[], interims: number, bytesPerInterim: bigint): Promise<number> {
    const accepted = await Promise.all(credentials.map(async ({ user, password }) => {
      const login = await this.login(user, password);
      if (!login.session) return false;
      const session = login.session;
      await this.account(session, 'Start');
      for (let i = 0; i < interims; i++) {
        session.bytesOut += bytesPerInterim;
        session.bytesIn += bytesPerInterim / 10n;
        session.seconds += 60;
        await this.account(session, 'Interim-Update');
      }
      await this.account(session, 'Stop');
      return true;
    }));
    return accepted.filter(Boolean).length;
  }

  /** Sends one accounting report of the session's running totals; resolves when the gateway answered. */
  async account(session: SimulatedSession, status: 'Start' | 'Interim-Update' | 'Stop'): Promise<void> {
    const reply = await this.request('Accounting-Request', this.accountingAttributes(session, status), this.options.acctPort);
    if (reply[0] !== RADIUS_CODE.accountingResponse) throw new Error(`unexpected reply code ${reply[0]}`);
    if (status === 'Stop') this.sessions.delete(session.acctSessionId);
  }

  accountingAttributes(session: SimulatedSession, status: 'Start' | 'Interim-Update' | 'Stop'): AttributeList {
    const attributes: AttributeList = [
      ['Acct-Status-Type', status], ['Acct-Session-Id', session.acctSessionId], ['User-Name', session.user],
      ['Framed-IP-Address', session.framedIp], ['NAS-Identifier', 'simulator'],
      ['Acct-Input-Octets', Number(session.bytesIn % TWO_32)], ['Acct-Input-Gigawords', Number(session.bytesIn / TWO_32)],
      ['Acct-Output-Octets', Number(session.bytesOut % TWO_32)], ['Acct-Output-Gigawords', Number(session.bytesOut / TWO_32)],
      ['Acct-Session-Time', session.seconds],
    ];
    if (session.className) attributes.push(['Class', session.className]);
    return attributes;
  }

  /** Sends a request and waits for the reply with the same identifier, resending on silence like a NAS. */
  async request(code: 'Access-Request' | 'Accounting-Request', attributes: AttributeList, port: number): Promise<Buffer> {
    const identifier = this.identifier = (this.identifier + 1) % 256;
    const packet = encodeRequest(code, identifier, attributes, this.options.secret);
    const authenticator = Buffer.from(packet.subarray(4, HEADER_BYTES));
    const timeoutMs = this.options.timeoutMs ?? 2000;
    for (let attempt = 0; attempt <= (this.options.retriesMax ?? 3); attempt++) {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => { this.pending.delete(identifier); resolve(undefined); }, timeoutMs);
        this.pending.set(identifier, { authenticator, resolve: (r) => { clearTimeout(timer); resolve(r); } });
        this.client!.send(packet, port, this.options.gatewayHost);
      });
      if (reply) return reply;
    }
    throw new Error(`${code} ${identifier}: no answer from the gateway`);
  }

  private bindUdp(port: number, onMessage: (msg: Buffer, port: number, address: string) => void): Promise<Socket> {
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => onMessage(msg, rinfo.port, rinfo.address));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, this.options.address, () => resolve(socket));
    });
  }

  private onReply(msg: Buffer): void {
    if (!checkFraming(msg).ok) return;
    const waiting = this.pending.get(msg[1]!);
    if (!waiting || !responseAuthenticatorValid(msg, waiting.authenticator, this.options.secret)) return;
    this.pending.delete(msg[1]!);
    waiting.resolve(msg);
  }

  private onDisconnect(msg: Buffer, port: number, address: string): void {
    const framing = checkFraming(msg);
    if (!framing.ok || msg[0] !== RADIUS_CODE.disconnectRequest || !requestAuthenticatorValid(msg, this.options.secret)) return;
    if (framing.messageAuthenticatorAt !== -1 && !messageAuthenticatorValid(msg, framing.messageAuthenticatorAt, this.options.secret, ZERO_AUTHENTICATOR)) return;
    const request = decodePacket(msg);
    if (!request) return;
    const answered = this.options.nakDisconnects ? 'nak' : 'ack';
    this.disconnects.push({ atMs: Date.now(), attributes: request.attributes, answered });
    if (answered === 'ack') {
      const sessionId = request.attributes['Acct-Session-Id'];
      if (typeof sessionId === 'string') this.endSession(sessionId);
    }
    const reply = encodeReply(request, answered === 'ack' ? 'Disconnect-ACK' : 'Disconnect-NAK', [], this.options.secret);
    this.coa!.send(reply, port, address);
  }

  /** The session is gone from the router (after a Disconnect ACK or an API removal). */
  endSession(acctSessionId: string): void {
    this.sessions.delete(acctSessionId);
    this.api.state.active = this.api.state.active.filter((e) => e['session-id'] !== acctSessionId);
  }
}

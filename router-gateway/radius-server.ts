/**
 * The RADIUS server: UDP auth (1812) and accounting (1813) sockets. A packet
 * is matched to its router by source address; anything that fails framing,
 * the router's shared secret or the authenticators is dropped and counted
 * (`tollgate_radius_packets_total{result=<reason>}`), never answered, never
 * thrown. Accounting answers only after Kafka acknowledged the usage event
 * and the session's new totals are in Postgres.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import type { WireEvent } from '../schemas/event.ts';
import { activateVoucher, findVoucherByCode } from '../ledger/index.ts';
import { decideDelta, parseAccountingReport, type AccountingReport } from './accounting.ts';
import { acceptFor, decodeClass, rejectionFor, type AccessDecision } from './access.ts';
import { HOTSPOT_USAGE_EVENT_TYPE } from './events.ts';
import { gatewayMetrics as m } from './metrics.ts';
import {
  bufferAttribute, chapPasswordMatches, checkFraming, decodePacket, emptyAccountingResponse, decryptUserPassword, encodeReply, messageAuthenticatorValid,
  RADIUS_CODE, requestAuthenticatorValid, textAttribute, ZERO_AUTHENTICATOR, type DecodedPacket,
} from './radius/codec.ts';
import type { RouterRegistry, RouterWithSecrets } from './registry.ts';
import { sessionKey, type SessionRecord, type SessionStore } from './session-store.ts';

export interface UsagePublisher {
  publish(events: WireEvent[]): Promise<void>;
}

export interface RadiusServerOptions {
  host: string;
  authPort: number;
  acctPort: number;
  interimIntervalSeconds: number;
  /** Refuse Access-Requests without Message-Authenticator (RFC 3579; the BlastRADIUS mitigation). */
  requireMessageAuthenticator: boolean;
  /** Accounting packets being processed at most; past it packets are dropped (the NAS resends). */
  inFlightPacketsMax: number;
}

export interface RadiusServerDeps {
  db: Database;
  registry: RouterRegistry;
  sessions: SessionStore;
  publisher: UsagePublisher;
  log: Logger;
}

const ATTR_USER_PASSWORD = 2;

export class RadiusServer {
  private auth: Socket | undefined;
  private acct: Socket | undefined;
  private inFlight = 0;
  private stopping = false;
  /** Reports of one session are handled one after another, so each delta is taken against the one before it. */
  private readonly sessionChains = new Map<string, Promise<void>>();
  private readonly active = new Map<string, Set<string>>();

  constructor(private readonly deps: RadiusServerDeps, private readonly options: RadiusServerOptions) {}

  get ports(): { auth: number; acct: number } {
    return { auth: this.auth?.address().port ?? 0, acct: this.acct?.address().port ?? 0 };
  }

  async start(): Promise<void> {
    this.auth = await this.bind(this.options.authPort);
    this.acct = await this.bind(this.options.acctPort);
  }

  /** Finishes the reports in hand (answering them), then closes the sockets. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.sessionChains.values()]);
    await Promise.all([this.auth, this.acct].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))));
    this.auth = this.acct = undefined;
  }

  private bind(port: number): Promise<Socket> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
    socket.on('message', (msg, rinfo) => { this.onPacket(socket, msg, rinfo); });
    socket.on('error', (err) => this.deps.log.error({ err }, 'RADIUS socket error'));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, this.options.host, () => { socket.off('error', reject); resolve(socket); });
    });
  }

  private drop(router: string, kind: string, result: string): void {
    m.packets.inc({ router, kind, result });
  }

  private onPacket(socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopping) return; // unanswered: the NAS resends to the next instance
    const kind = msg[0] === RADIUS_CODE.accessRequest ? 'access' : msg[0] === RADIUS_CODE.accountingRequest ? 'accounting' : 'unknown';
    const framing = checkFraming(msg);
    if (!framing.ok) return this.drop('unknown', kind, framing.fault);
    const router = this.deps.registry.cachedByAddress(rinfo.address);
    if (router) return this.dispatch(socket, msg, rinfo, router, kind, framing.messageAuthenticatorAt);
    void this.deps.registry.byAddress(rinfo.address).then((found) => {
      if (!found) return this.drop('unknown', kind, 'unknown_router');
      this.dispatch(socket, msg, rinfo, found, kind, framing.messageAuthenticatorAt);
    }, (err: unknown) => {
      this.deps.log.error({ err }, 'router lookup failed');
      this.drop('unknown', kind, 'internal_error');
    });
  }

  private dispatch(socket: Socket, msg: Buffer, rinfo: RemoteInfo, router: RouterWithSecrets, kind: string, maAt: number): void {
    const name = router.view.name;
    if (kind === 'unknown') return this.drop(name, kind, 'unsupported_code');
    const secret = router.radiusSecret;
    if (kind === 'access') {
      if (maAt === -1 && this.options.requireMessageAuthenticator) return this.drop(name, kind, 'missing_message_authenticator');
      if (maAt !== -1 && !messageAuthenticatorValid(msg, maAt, secret)) return this.drop(name, kind, 'bad_message_authenticator');
    } else {
      if (!requestAuthenticatorValid(msg, secret)) return this.drop(name, kind, 'bad_authenticator');
      if (maAt !== -1 && !messageAuthenticatorValid(msg, maAt, secret, ZERO_AUTHENTICATOR)) return this.drop(name, kind, 'bad_message_authenticator');
    }
    const packet = decodePacket(msg);
    if (!packet) return this.drop(name, kind, 'undecodable');
    const plainAck = kind === 'accounting' && maAt === -1 && packet.attributes['Proxy-State'] === undefined;
    const reply = (code: Parameters<typeof encodeReply>[1], attributes: Parameters<typeof encodeReply>[2]): void => {
      const bytes = plainAck && code === 'Accounting-Response' && attributes.length === 0 ? emptyAccountingResponse(packet, secret) : encodeReply(packet, code, attributes, secret);
      socket.send(bytes, rinfo.port, rinfo.address);
    };
    const handled = kind === 'access' ? this.access(packet, router, reply) : this.accounting(packet, router, reply);
    handled.catch((err: unknown) => {
      // Unanswered: the NAS resends, and the retry is safe (idempotent ids, no-op activations).
      this.deps.log.error({ err, router: name, kind }, 'RADIUS request failed');
      this.drop(name, kind, 'internal_error');
    });
  }

  private async access(packet: DecodedPacket, router: RouterWithSecrets, reply: (code: 'Access-Accept' | 'Access-Reject', attrs: [string, unknown][]) => void): Promise<void> {
    const name = router.view.name;
    const userName = textAttribute(packet.attributes, 'User-Name') ?? '';
    const decision = await this.decideAccess(packet, router, userName);
    m.packets.inc({ router: name, kind: 'access', result: decision.accept ? 'accept' : decision.result });
    if (decision.accept) reply('Access-Accept', decision.attributes as [string, unknown][]);
    else reply('Access-Reject', [['Reply-Message', decision.reason]]);
  }

  private async decideAccess(packet: DecodedPacket, router: RouterWithSecrets, userName: string): Promise<AccessDecision> {
    if (userName === '' || userName.length > 64) return { accept: false, reason: 'Unknown voucher code', result: 'unknown' };
    // Voucher logins use the code as user name; the password is the code again or empty (RouterOS "login by code").
    const encrypted = packet.raw.raw_attributes.find((a) => a[0] === ATTR_USER_PASSWORD)?.[1] as Buffer | undefined;
    const chap = bufferAttribute(packet.attributes, 'CHAP-Password');
    if (encrypted) {
      const password = decryptUserPassword(encrypted, router.radiusSecret, packet.authenticator);
      if (password === undefined || (password !== '' && password !== userName)) return { accept: false, reason: 'Wrong password', result: 'bad_password' };
    } else if (chap) {
      const challenge = bufferAttribute(packet.attributes, 'CHAP-Challenge') ?? packet.authenticator;
      if (!chapPasswordMatches(chap, challenge, userName) && !chapPasswordMatches(chap, challenge, '')) return { accept: false, reason: 'Wrong password', result: 'bad_password' };
    } else {
      return { accept: false, reason: 'No password', result: 'bad_password' };
    }
    const ctx = { tenantId: router.view.tenantId, actor: `router:${router.view.id}` };
    const activated = await activateVoucher(this.deps.db, ctx, { code: userName });
    if (!activated.ok) {
      // A code of another tenant is "not found" to this router's tenant: same answer as unknown.
      return rejectionFor(activated.error.code as Parameters<typeof rejectionFor>[0]);
    }
    const { voucher, session } = activated.value;
    const sharedUsers = session.sharedUsers;
    const active = await this.deps.sessions.activeSessions({ tenantId: router.view.tenantId, voucherId: voucher.id });
    if (active.length >= sharedUsers) return { accept: false, reason: 'This voucher is already in use', result: 'in_use' };
    return acceptFor(session, voucher, this.options.interimIntervalSeconds);
  }

  private accounting(packet: DecodedPacket, router: RouterWithSecrets, reply: (code: 'Accounting-Response', attrs: [string, unknown][]) => void): Promise<void> {
    const name = router.view.name;
    const parsed = parseAccountingReport(packet.attributes);
    if (!parsed.ok) {
      this.drop(name, 'accounting', 'invalid_report');
      return Promise.resolve();
    }
    const report = parsed.report;
    if (report.status === 'Accounting-On' || report.status === 'Accounting-Off') {
      return this.deps.sessions.stopAllOfRouter(router.view.id, new Date()).then(() => {
        this.active.get(router.view.id)?.clear();
        m.activeSessions.set({ router: name }, 0);
        m.packets.inc({ router: name, kind: 'accounting', result: 'nas_restart' });
        reply('Accounting-Response', []);
      });
    }
    if (this.inFlight >= this.options.inFlightPacketsMax) {
      this.drop(name, 'accounting', 'overloaded');
      return Promise.resolve();
    }
    this.inFlight++;
    m.inFlight.set(this.inFlight);
    const stopTimer = m.accountingSeconds.startTimer();
    const key = sessionKey(router.view.id, report.acctSessionId);
    const previous = this.sessionChains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.countReport(report, router)).then((result) => {
      m.packets.inc({ router: name, kind: 'accounting', result });
      reply('Accounting-Response', []);
      stopTimer();
    }).finally(() => {
      this.inFlight--;
      m.inFlight.set(this.inFlight);
      if (this.sessionChains.get(key) === chained) this.sessionChains.delete(key);
    });
    const chained = run.catch(() => undefined);
    this.sessionChains.set(key, chained);
    return run;
  }

  /** Meters one report; returns the metric result. Throws (unanswered) when Kafka or Postgres fail. */
  private async countReport(report: AccountingReport, router: RouterWithSecrets): Promise<string> {
    const routerId = router.view.id;
    // A Start opens a session: nothing to load (a resent Start finds it in memory, or gets the same id 0 and the rater keeps one).
    const previous = report.status === 'Start' ? this.deps.sessions.cached(routerId, report.acctSessionId) : await this.deps.sessions.load(routerId, report.acctSessionId);
    const decision = decideDelta(previous, report);
    if (decision.kind !== 'count') return decision.kind;
    const owner = decodeClass(report.className) ?? (previous?.voucherId ? { voucherId: previous.voucherId, customerId: previous.customerId } : await this.voucherOf(router, report.userName));
    if (!owner) return 'unknown_user';
    const nowMs = Date.now();
    const event: WireEvent = {
      tenant: router.view.tenantId,
      id: `${routerId}:${report.acctSessionId}:${decision.sequence}`,
      source: `router:${routerId}`,
      type: HOTSPOT_USAGE_EVENT_TYPE,
      subject: `voucher:${owner.voucherId}`,
      timeMs: nowMs,
      ingestedAtMs: nowMs,
      data: {
        voucherId: owner.voucherId, routerId, sessionId: report.acctSessionId, sequence: Number(decision.sequence), status: report.status,
        bytesIn: Number(decision.bytesIn), bytesOut: Number(decision.bytesOut), bytes: Number(decision.bytesIn + decision.bytesOut),
        seconds: Number(decision.seconds),
      },
    };
    await this.deps.publisher.publish([event]);
    const now = new Date(nowMs);
    const record: SessionRecord = {
      routerId, acctSessionId: report.acctSessionId, tenantId: router.view.tenantId, userName: report.userName,
      voucherId: owner.voucherId, customerId: owner.customerId, framedIp: report.framedIp ?? previous?.framedIp ?? null,
      callingStationId: report.callingStationId ?? previous?.callingStationId ?? null, ...decision.totals,
      startedAt: previous?.startedAt ?? now, updatedAt: now,
    };
    await this.deps.sessions.save(record);
    const name = router.view.name;
    m.octets.inc({ router: name, direction: 'in' }, Number(decision.bytesIn));
    m.octets.inc({ router: name, direction: 'out' }, Number(decision.bytesOut));
    this.trackActive(routerId, name, report.acctSessionId, !decision.totals.stopped);
    return 'counted';
  }

  private async voucherOf(router: RouterWithSecrets, userName: string): Promise<{ voucherId: string; customerId: string | null } | undefined> {
    const found = await findVoucherByCode(this.deps.db, router.view.tenantId, userName);
    return found.ok ? { voucherId: found.value.id, customerId: found.value.customerId } : undefined;
  }

  private trackActive(routerId: string, routerName: string, acctSessionId: string, isActive: boolean): void {
    let set = this.active.get(routerId);
    if (!set) this.active.set(routerId, set = new Set());
    if (isActive) set.add(acctSessionId);
    else set.delete(acctSessionId);
    m.activeSessions.set({ router: routerName }, set.size);
  }
}

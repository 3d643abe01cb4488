/**
 * Cutting hotspot sessions off: RADIUS Disconnect-Request first (with the
 * session's User-Name, Acct-Session-Id, Framed-IP-Address), and on NAK or
 * silence the RouterOS API (`/ip/hotspot/active/remove`), each retried with
 * exponential backoff. Every cutoff is a `router_cutoffs` row keyed by
 * (cause, router, session), so a cause delivered twice cuts once, with its
 * method, attempts and outcome recorded.
 *
 * Causes come from `quota.exceeded` (vouchers used up, hard entitlements),
 * `wallet.events` (wallet.depleted) and a sweep that expires vouchers and
 * finds sessions whose voucher is no longer active (expired, disabled, used).
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Consumer, Kafka } from 'kafkajs';
import { expireDueVouchers } from '../ledger/index.ts';
import type { Logger } from '../platform/log.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { TOPICS } from '../schemas/event.ts';
import type { QuotaExceededEvent } from '../schemas/quota-events.ts';
import type { DisconnectAnswer, DisconnectClient } from './disconnect.ts';
import { VOUCHER_SUBJECT_PREFIX } from './events.ts';
import { gatewayMetrics as m } from './metrics.ts';
import type { RouterRateLimiter } from './rate-limiter.ts';
import type { RouterRegistry, RouterWithSecrets } from './registry.ts';
import { RouterOsClient } from './routeros/client.ts';
import type { SessionRecord, SessionStore } from './session-store.ts';

export interface CutoffOptions {
  disconnectTimeoutMs: number;
  disconnectAttemptsMax: number;
  apiAttemptsMax: number;
  apiTimeoutMs: number;
  backoffBaseMs: number;
}

export const CUTOFF_DEFAULTS: CutoffOptions = { disconnectTimeoutMs: 1000, disconnectAttemptsMax: 3, apiAttemptsMax: 3, apiTimeoutMs: 3000, backoffBaseMs: 200 };

export interface CutoffDeps {
  db: Database;
  registry: RouterRegistry;
  sessions: SessionStore;
  disconnect: DisconnectClient;
  rateLimiter: RouterRateLimiter;
  log: Logger;
}

export type CutoffOutcome = { method: 'disconnect' | 'api' | 'none'; outcome: 'done' | 'failed'; attempts: number; detail: Record<string, unknown> };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CutoffService {
  private readonly options: CutoffOptions;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly deps: CutoffDeps, options: Partial<CutoffOptions> = {}) {
    this.options = { ...CUTOFF_DEFAULTS, ...options };
  }

  /** Cuts every given session off for `cause`; resolves when each has an outcome. */
  async cutSessions(sessions: SessionRecord[], cause: string): Promise<CutoffOutcome[]> {
    const work = Promise.all(sessions.map((s) => this.cutOne(s, cause)));
    this.running.add(work);
    try {
      return (await work).filter((o): o is CutoffOutcome => o !== undefined);
    } finally {
      this.running.delete(work);
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async cutOne(session: SessionRecord, cause: string): Promise<CutoffOutcome | undefined> {
    const c = schema.routerCutoffs;
    const cutoffKey = `${cause}:${session.routerId}:${session.acctSessionId}`;
    const [claimed] = await this.deps.db.insert(c).values({
      cutoffKey, tenantId: session.tenantId, routerId: session.routerId, acctSessionId: session.acctSessionId,
      userName: session.userName, cause, method: 'none', outcome: 'pending',
    }).onConflictDoNothing().returning({ id: c.id });
    if (!claimed) return undefined; // this cause already cut (or is cutting) this session
    const router = (await this.deps.registry.all()).find((r) => r.view.id === session.routerId);
    const outcome = router ? await this.execute(router, session) : { method: 'none' as const, outcome: 'failed' as const, attempts: 0, detail: { error: 'router not registered' } };
    await this.deps.db.update(c).set({ method: outcome.method, outcome: outcome.outcome, attempts: outcome.attempts, detail: outcome.detail, finishedAt: new Date() })
      .where(eq(c.id, claimed.id));
    m.cutoffs.inc({ router: router?.view.name ?? 'unknown', method: outcome.method, outcome: outcome.outcome });
    this.deps.log.info({ router: router?.view.name, session: session.acctSessionId, cause, ...outcome }, 'session cutoff');
    return outcome;
  }

  private async execute(router: RouterWithSecrets, session: SessionRecord): Promise<CutoffOutcome> {
    const attributes: [string, unknown][] = [['User-Name', session.userName], ['Acct-Session-Id', session.acctSessionId]];
    if (session.framedIp) attributes.push(['Framed-IP-Address', session.framedIp]);
    const answers: DisconnectAnswer[] = [];
    for (let attempt = 0; attempt < this.options.disconnectAttemptsMax; attempt++) {
      if (attempt > 0) await sleep(this.options.backoffBaseMs * 2 ** (attempt - 1));
      const answer = await this.deps.disconnect.send({ host: router.view.host, port: router.view.coaPort, secret: router.radiusSecret }, attributes, this.options.disconnectTimeoutMs);
      answers.push(answer);
      if (answer === 'ack') return { method: 'disconnect', outcome: 'done', attempts: answers.length, detail: { disconnect: answers } };
      // A NAK is the router's answer, not a lost packet: asking again will not change it.
      if (answer === 'nak') break;
    }
    const errors: string[] = [];
    for (let attempt = 0; attempt < this.options.apiAttemptsMax; attempt++) {
      if (attempt > 0) await sleep(this.options.backoffBaseMs * 2 ** (attempt - 1));
      try {
        const removed = await this.removeViaApi(router, session);
        return { method: 'api', outcome: 'done', attempts: answers.length + attempt + 1, detail: { disconnect: answers, apiRemoved: removed, apiErrors: errors } };
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    return { method: 'api', outcome: 'failed', attempts: answers.length + errors.length, detail: { disconnect: answers, apiErrors: errors } };
  }

  /** Removes the session's `/ip/hotspot/active` entries (by user, and address when known); returns how many. */
  private async removeViaApi(router: RouterWithSecrets, session: SessionRecord): Promise<number> {
    if (!this.deps.rateLimiter.tryTake(router.view.id, router.view.requestsPerMinuteMax)) {
      m.apiCalls.inc({ router: router.view.name, outcome: 'rate_limited' });
      throw new Error('RouterOS API rate limit reached for this router');
    }
    const client = await RouterOsClient.connect({ host: router.view.host, port: router.view.apiPort, tls: router.view.apiTls, user: router.view.apiUser,
      password: router.apiPassword, timeoutMs: this.options.apiTimeoutMs });
    try {
      const entries = await client.run(['/ip/hotspot/active/print', `?user=${session.userName}`]);
      const mine = entries.filter((e) => session.framedIp === null || e.address === undefined || e.address === session.framedIp);
      for (const entry of mine) if (entry['.id']) await client.run(['/ip/hotspot/active/remove', `=.id=${entry['.id']}`]);
      m.apiCalls.inc({ router: router.view.name, outcome: 'ok' });
      return mine.length;
    } catch (err) {
      m.apiCalls.inc({ router: router.view.name, outcome: 'error' });
      throw err;
    } finally {
      client.close();
    }
  }
}

/** Reads `quota.exceeded` and `wallet.events` and cuts the sessions they name. */
export class CutoffConsumer {
  private readonly consumer: Consumer;

  constructor(private readonly kafka: Kafka, private readonly groupId: string, private readonly cutoffs: CutoffService,
    private readonly sessions: SessionStore, private readonly log: Logger) {
    this.consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 5000, heartbeatInterval: 1000, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.quotaExceeded, TOPICS.walletEvents], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        let payload: unknown;
        try {
          payload = JSON.parse(message.value.toString('utf8'));
        } catch {
          this.log.warn({ topic, offset: message.offset }, 'cutoff consumer: record is not JSON, skipped');
          return;
        }
        await this.handle(payload);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async handle(payload: unknown): Promise<void> {
    if (typeof payload !== 'object' || payload === null) return;
    const p = payload as Record<string, unknown>;
    if (p.type === 'quota.exceeded') {
      const event = p as unknown as QuotaExceededEvent;
      if (typeof event.subject === 'string' && event.subject.startsWith(VOUCHER_SUBJECT_PREFIX)) {
        const voucherId = event.subject.slice(VOUCHER_SUBJECT_PREFIX.length);
        await this.cutoffs.cutSessions(await this.sessions.activeSessions({ tenantId: event.tenant, voucherId }), 'voucher.used');
      } else if (event.enforcement === 'hard' && typeof event.customerId === 'string' && event.customerId !== '') {
        await this.cutoffs.cutSessions(await this.sessions.activeSessions({ tenantId: event.tenant, customerId: event.customerId }), `quota.exceeded:${event.meter}`);
      }
    } else if (p.type === 'wallet.depleted' && typeof p.tenantId === 'string' && typeof p.customerId === 'string') {
      await this.cutoffs.cutSessions(await this.sessions.activeSessions({ tenantId: p.tenantId, customerId: p.customerId }), 'wallet.depleted');
    }
  }
}

/**
 * Expires vouchers past their validity and cuts sessions whose voucher is no
 * longer active (expired, disabled, used) — the causes no event announces.
 */
export async function sweepInactiveVoucherSessions(db: Database, cutoffs: CutoffService, now: Date): Promise<number> {
  await expireDueVouchers(db, now, { actor: 'router-gateway' });
  const s = schema.radiusSessions;
  const v = schema.vouchers;
  const rows = await db.select({ session: s, status: v.status }).from(s).innerJoin(v, eq(v.id, s.voucherId))
    .where(and(eq(s.state, 'active'), ne(v.status, 'active'), sql`${s.updatedAt} > now() - interval '2 days'`)).limit(500);
  const byStatus = new Map<string, SessionRecord[]>();
  for (const row of rows) {
    const list = byStatus.get(row.status) ?? [];
    list.push({ ...row.session, stopped: false });
    byStatus.set(row.status, list);
  }
  let cut = 0;
  for (const [status, sessions] of byStatus) cut += (await cutoffs.cutSessions(sessions, `voucher.${status}`)).length;
  return cut;
}

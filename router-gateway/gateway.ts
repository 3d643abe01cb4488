/**
 * The router gateway as one unit: RADIUS server, voucher-quota consumer,
 * cutoff consumer + sweep, and the 30 s health/backup monitor. Used by the
 * single node (when enabled) and by `tollgate router-gateway`.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import { CutoffConsumer, CutoffService, sweepInactiveVoucherSessions, type CutoffOptions } from './cutoffs.ts';
import { DisconnectClient } from './disconnect.ts';
import { monitorRound, RouterApi } from './health.ts';
import { QuotaConsumer } from './quota-consumer.ts';
import { RadiusServer, type RadiusServerOptions, type UsagePublisher } from './radius-server.ts';
import { RouterRateLimiter } from './rate-limiter.ts';
import { RouterRegistry } from './registry.ts';
import { SecretBox } from './secret-box.ts';
import { SessionStore } from './session-store.ts';

export interface GatewayOptions extends RadiusServerOptions {
  secretKeyBase64: string;
  healthIntervalMs: number;
  sweepIntervalMs: number;
  groupIdPrefix: string;
  cutoff?: Partial<CutoffOptions>;
}

export interface GatewayDeps {
  db: Database;
  kafka: Kafka;
  kafkaProducer: Producer;
  publisher: UsagePublisher;
  log: Logger;
}

export interface RouterGateway {
  radius: RadiusServer;
  registry: RouterRegistry;
  sessions: SessionStore;
  cutoffs: CutoffService;
  api: RouterApi;
  stop: () => Promise<void>;
}

export async function startRouterGateway(deps: GatewayDeps, options: GatewayOptions): Promise<RouterGateway> {
  const { db, log } = deps;
  const registry = new RouterRegistry(db, new SecretBox(options.secretKeyBase64));
  const sessions = new SessionStore(db);
  const rateLimiter = new RouterRateLimiter();
  const api = new RouterApi(rateLimiter);
  const disconnect = new DisconnectClient();
  const cutoffs = new CutoffService({ db, registry, sessions, disconnect, rateLimiter, log: log.child({ component: 'cutoffs' }) }, options.cutoff);
  const radius = new RadiusServer({ db, registry, sessions, publisher: deps.publisher, log: log.child({ component: 'radius' }) }, options);
  await radius.start();
  const quota = new QuotaConsumer({ kafka: deps.kafka, producer: deps.kafkaProducer, db, log: log.child({ component: 'voucher-quota' }), groupId: `${options.groupIdPrefix}-quota` });
  await quota.start();
  const cutoffConsumer = new CutoffConsumer(deps.kafka, `${options.groupIdPrefix}-cutoffs`, cutoffs, sessions, log.child({ component: 'cutoffs' }));
  await cutoffConsumer.start();

  let stopping = false;
  const every = (ms: number, name: string, task: () => Promise<unknown>): NodeJS.Timeout => {
    let busy = false;
    return setInterval(() => {
      if (busy || stopping) return;
      busy = true;
      task().catch((err: unknown) => log.error({ err, task: name }, 'router gateway background task failed')).finally(() => { busy = false; });
    }, ms);
  };
  const timers = [
    every(options.sweepIntervalMs, 'voucher sweep', () => sweepInactiveVoucherSessions(db, cutoffs, new Date())),
    every(options.healthIntervalMs, 'health monitor', () => monitorRound(db, registry, api, log)),
  ];
  log.info({ ...radius.ports }, 'router gateway: RADIUS listening');
  return {
    radius, registry, sessions, cutoffs, api,
    stop: async () => {
      stopping = true;
      for (const t of timers) clearInterval(t);
      await radius.stop();
      await sessions.flush();
      await Promise.allSettled([quota.stop(), cutoffConsumer.stop()]);
      await cutoffs.drain();
      await disconnect.close();
    },
  };
}

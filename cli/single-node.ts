/**
 * One process running every Tollgate service over the shared infrastructure:
 * the API (ingest, usage, wallets, ops endpoints) on uWebSockets.js and the
 * rater's consumer group. The same modules run as separate services in the
 * compose stack.
 */
import type { Config } from '../platform/config.ts';
import { applyClickhouseSchema, connectClickhouse, type ClickHouseClient } from '../platform/clickhouse.ts';
import { connectKafka, topicPartitionCount } from '../platform/kafka.ts';
import type { Logger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, type Postgres } from '../platform/postgres.ts';
import { registerOpsRoutes } from '../platform/ops-routes.ts';
import { Shutdown } from '../platform/shutdown.ts';
import { apiError } from '../schemas/errors.ts';
import { TOPICS } from '../schemas/event.ts';
import { createApp, listen, sendJson, trackAbort } from '../platform/uws.ts';
import { Authenticator, EventProducer, EventRateLimiter, registerIngestRoutes, registerStreamRoutes } from '../ingest/index.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { RaterService, registerUsageRoutes, adoptBrokerIncarnation } from '../rater/index.ts';
import { registerCatalogRoutes } from '../rater/index.ts';
import { registerWalletRoutes } from '../ledger/http-routes.ts';
import { registerLedgerRoutes } from '../ledger/ledger-routes.ts';
import { registerInvoiceRoutes, startInvoicerDaemon } from '../invoicer/index.ts';
import { startLedgerBackground } from '../ledger/index.ts';
import { registerVoucherRoutes } from '../ledger/index.ts';
import { ensureTenant } from './demo-data.ts';
import { gatewayOptionsFromConfig, registerRouterRoutes, startRouterGateway } from '../router-gateway/index.ts';
import { ProducerThread } from '../ingest/producer-thread.ts';
import { kafkajsSender } from '../ingest/record-sender.ts';
import { registerLivePage } from '../ops/live-page.ts';
import { startLedgerAudit } from '../ops/ledger-audit.ts';

export interface SingleNode {
  url: string;
  port: number;
  postgres: Postgres;
  clickhouse: ClickHouseClient;
  producer: EventProducer;
  rater: RaterService;
  shutdown: Shutdown;
  close: () => Promise<void>;
}

export interface SingleNodeOptions {
  /** Set when the broker is the embedded in-memory one: its incarnation id (scripts/infra.ts) is the rater's log epoch. */
  embeddedBrokerIncarnation?: string;
  /** Run the rater's consumer group in this process (default true); an ingest-only node leaves rating to others. */
  rater?: boolean;
  /** Services this process runs (default: all). The compose stack runs one role per container (`tollgate serve --role`). */
  roles?: ReadonlySet<NodeRole>;
}

/** ingest: POST /v1/events, /v1/stream and the live page; rater: the consumer group; api: usage, wallets, ledger, vouchers and the ledger's background work. */
export type NodeRole = 'ingest' | 'rater' | 'api';
export const NODE_ROLES: readonly NodeRole[] = ['ingest', 'rater', 'api'];

export async function startSingleNode(config: Config, log: Logger, options: SingleNodeOptions): Promise<SingleNode> {
  const shutdown = new Shutdown(log);
  const roles = options.roles ?? new Set(NODE_ROLES);
  const runsRater = roles.has('rater') && options.rater !== false;
  const postgres = connectPostgres(config.postgresUrl, 20);
  shutdown.add('postgres', () => postgres.close());
  await migratePostgres(postgres.db);
  await ensureTenant(postgres.db, config.defaultTenant);

  const clickhouse = connectClickhouse(config.clickhouseUrl);
  shutdown.add('clickhouse', () => clickhouse.close());
  await applyClickhouseSchema(clickhouse);

  const kafka = connectKafka(config.kafkaBrokers, 'tollgate', log.child({ component: 'kafka' }));
  const partitionCount = await topicPartitionCount(kafka, TOPICS.usageEvents);
  if (options.embeddedBrokerIncarnation !== undefined) {
    const epoch = await adoptBrokerIncarnation(postgres.db, TOPICS.usageEvents, options.embeddedBrokerIncarnation);
    if (epoch) log.warn({ epoch }, 'the in-memory broker started afresh (its earlier records are gone); rating continues in a new log epoch');
  }
  const kafkaProducer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 16 });
  await kafkaProducer.connect();
  shutdown.add('kafka producer', () => kafkaProducer.disconnect());
  // Optionally, ingest produces from a worker thread (ingest/producer-thread.ts; off by default, see ingest/README.md).
  const ingestSender = config.ingestProducerThread === 'on'
    ? new ProducerThread({ brokers: config.kafkaBrokers, clientId: 'tollgate-ingest', logLevel: config.logLevel, maxInFlightRequests: 16 })
    : undefined;
  if (ingestSender) {
    await ingestSender.connect();
    shutdown.add('ingest producer thread', () => ingestSender.disconnect());
  }
  const producer = new EventProducer(ingestSender ?? kafkajsSender(kafkaProducer), {
    topic: TOPICS.usageEvents,
    partitionCount,
    lingerMs: config.ingestLingerMs,
    batchEventsMax: config.ingestBatchEventsMax,
    queueEventsMax: config.ingestQueueEventsMax,
  });
  shutdown.add('ingest flush', () => producer.flush());
  if (roles.has('api')) shutdown.add('ledger background', startLedgerBackground({ db: postgres.db, producer: kafkaProducer, log: log.child({ component: 'ledger' }) }).stop);

  const rater = new RaterService({
    kafka, db: postgres.db, clickhouse, log: log.child({ component: 'rater' }), topic: TOPICS.usageEvents,
    groupId: config.raterGroupId, workerThreads: config.raterWorkers,
  });
  if (runsRater) {
    await rater.start();
    shutdown.add('rater', () => rater.stop());
  }

  let draining = false;
  const authenticator = new Authenticator(postgres.db, {
    mode: config.authMode, defaultTenant: config.defaultTenant, defaultEventsPerSecondMax: config.rateLimitEventsPerSecond,
  });
  const resolveTenant: TenantResolver = async (authorization) => {
    const result = await authenticator.authenticate(authorization);
    return result.ok ? { ok: true, tenantId: result.principal.tenantId } : result;
  };
  const acceptDeps = {
    producer,
    rateLimiter: new EventRateLimiter(),
    dataLimits: { propertiesMax: config.ingestDataPropertiesMax, stringLengthMax: config.ingestDataStringLengthMax, depthMax: config.ingestDataDepthMax },
    log: log.child({ component: 'ingest' }),
  };
  const app = createApp();
  registerOpsRoutes(app, {
    postgres: async () => { await postgres.pool.query('SELECT 1'); },
    clickhouse: async () => {
      const ping = await clickhouse.ping();
      if (!ping.success) throw new Error('ClickHouse does not answer');
    },
    rater: async () => {
      if (runsRater && !rater.isRunning) throw new Error('rater is not running');
    },
  }, () => draining);
  if (roles.has('ingest')) {
    registerIngestRoutes(app, { ...acceptDeps, authenticator, limits: { bodyBytesMax: config.ingestBodyBytesMax, batchLengthMax: config.ingestBatchLengthMax } });
    registerStreamRoutes(app, { ...acceptDeps, authenticator, limits: {
      inFlightFramesMax: config.wsInFlightFramesMax, frameEventsMax: config.ingestBatchLengthMax,
      frameBytesMax: config.ingestBodyBytesMax, ackBufferBytesMax: 1024 * 1024,
    } });
    registerLivePage(app, { clickhouse, resolveTenant, log: log.child({ component: 'live-page' }) });
  }
  if (roles.has('api')) {
    registerUsageRoutes(app, { clickhouse, db: postgres.db, resolveTenant, log });
    registerCatalogRoutes(app, { db: postgres.db, resolveTenant, log: log.child({ component: 'catalog' }) });
    registerWalletRoutes(app, { db: postgres.db, resolveTenant, log });
    registerVoucherRoutes(app, { db: postgres.db, resolveTenant, log: log.child({ component: 'vouchers' }) });
    registerLedgerRoutes(app, { db: postgres.db, resolveTenant, log });
    registerInvoiceRoutes(app, { db: postgres.db, resolveTenant, log: log.child({ component: 'invoicer' }), paymentWebhookSecret: config.paymentWebhookSecret });
    shutdown.add('invoicer background', startInvoicerDaemon({ db: postgres.db, clickhouse, producer: kafkaProducer, cron: config.invoicerCron,
      log: log.child({ component: 'invoicer' }) }).stop);
    if (config.ledgerAuditIntervalMs > 0) {
      shutdown.add('ledger audit', startLedgerAudit({ db: postgres.db, intervalMs: config.ledgerAuditIntervalMs, log: log.child({ component: 'ledger-audit' }) }).stop);
    }
  }
  // Router gateway (router-gateway/README.md): RADIUS, cutoffs, router monitor; off unless TOLLGATE_ROUTER_GATEWAY=on.
  if (config.routerGateway === 'on') {
    const gateway = await startRouterGateway({ db: postgres.db, kafka, kafkaProducer, publisher: producer, log: log.child({ component: 'router-gateway' }) },
      gatewayOptionsFromConfig(config));
    shutdown.add('router gateway', () => gateway.stop());
    registerRouterRoutes(app, { registry: gateway.registry, api: gateway.api, resolveTenant, log: log.child({ component: 'routers' }) });
  }
  app.any('/*', (res, req) => {
    sendJson(res, trackAbort(res), { status: 404, body: apiError('TG_NOT_FOUND', `no route ${req.getMethod().toUpperCase()} ${req.getUrl()}`) });
  });
  const listener = await listen(app, config.httpHost, config.httpPort);
  // Registered last, so it runs first: stop accepting before draining.
  shutdown.add('http listener', async () => {
    draining = true;
    listener.close();
  });
  const url = `http://${config.httpHost}:${listener.port}`;
  log.info({ url }, 'Tollgate API listening');
  return { url, port: listener.port, postgres, clickhouse, producer, rater, shutdown, close: () => shutdown.run('close') };
}

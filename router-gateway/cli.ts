/**
 * `tollgate routers add|list|test|remove` and `tollgate router-gateway` (the
 * gateway alone: RADIUS, quota and cutoff consumers, monitor, router API).
 */
import { parseArgs } from 'node:util';
import type { Config } from '../platform/config.ts';
import { connectKafka, topicPartitionCount } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, schema } from '../platform/postgres.ts';
import { Shutdown } from '../platform/shutdown.ts';
import { createApp, listen } from '../platform/uws.ts';
import { registerOpsRoutes } from '../platform/ops-routes.ts';
import { TOPICS } from '../schemas/event.ts';
import { EventProducer } from '../ingest/event-producer.ts';
import { kafkajsSender } from '../ingest/record-sender.ts';
import { checkRouter, RouterApi } from './health.ts';
import { gatewayOptionsFromConfig } from './index.ts';
import { startRouterGateway } from './gateway.ts';
import { RouterRateLimiter } from './rate-limiter.ts';
import { parseRouterInput, RouterRegistry } from './registry.ts';
import { registerRouterRoutes } from './http-routes.ts';
import { SecretBox } from './secret-box.ts';

export const ROUTERS_HELP = `  tollgate routers add --name N --host IP --api-user U --api-password P --radius-secret S
        [--api-port 8728] [--api-tls] [--coa-port 3799] [--requests-per-minute 100] [--tenant T]
  tollgate routers list [--tenant T]
  tollgate routers test <id|name> [--tenant T]
  tollgate routers remove <id|name> [--tenant T]
      The MikroTik router registry (credentials sealed with TOLLGATE_ROUTER_SECRET_KEY).
  tollgate router-gateway
      The router gateway alone: RADIUS on TOLLGATE_RADIUS_AUTH_PORT/ACCT_PORT, voucher quotas,
      cutoffs, the 30 s router monitor, and /v1/routers + /metrics on TOLLGATE_HTTP_PORT.`;

export class RoutersUsageError extends Error {}

function secretBox(config: Config): SecretBox {
  if (config.routerSecretKey === '') throw new RoutersUsageError('TOLLGATE_ROUTER_SECRET_KEY is not set (32 random bytes, base64: `openssl rand -base64 32`)');
  return new SecretBox(config.routerSecretKey);
}

export async function routersCommand(args: string[], config: Config): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      tenant: { type: 'string' }, name: { type: 'string' }, host: { type: 'string' }, 'api-user': { type: 'string' }, 'api-password': { type: 'string' },
      'radius-secret': { type: 'string' }, 'api-port': { type: 'string' }, 'api-tls': { type: 'boolean' }, 'coa-port': { type: 'string' },
      'requests-per-minute': { type: 'string' },
    },
  });
  const [action, ref] = positionals;
  const tenantId = values.tenant ?? config.defaultTenant;
  const box = secretBox(config);
  const postgres = connectPostgres(config.postgresUrl, 2);
  try {
    await migratePostgres(postgres.db);
    const registry = new RouterRegistry(postgres.db, box);
    if (action === 'add') {
      const input = parseRouterInput({
        name: values.name, host: values.host, apiUser: values['api-user'], apiPassword: values['api-password'], radiusSecret: values['radius-secret'],
        apiPort: values['api-port'], apiTls: values['api-tls'] ?? false, coaPort: values['coa-port'],
        requestsPerMinuteMax: values['requests-per-minute'] === undefined ? undefined : Number(values['requests-per-minute']),
      });
      if (!input.ok) throw new RoutersUsageError(`${input.code}: ${input.message}`);
      await postgres.db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
      const added = await registry.add(tenantId, input.value);
      if (!added.ok) throw new Error(`${added.code}: ${added.message}`);
      console.log(JSON.stringify(added.value, null, 2));
    } else if (action === 'list') {
      for (const router of await registry.list(tenantId)) console.log(JSON.stringify(router));
    } else if (action === 'test' || action === 'remove') {
      if (!ref) throw new RoutersUsageError(`routers ${action} needs a router id or name`);
      if (action === 'remove') {
        const view = await registry.view(tenantId, ref);
        if (!view) throw new Error(`TG_ROUTER_NOT_FOUND: no router ${ref} in tenant ${tenantId}`);
        const removed = await registry.remove(tenantId, view.id);
        if (removed === 'has_history') throw new Error('TG_ROUTER_HAS_HISTORY: the router has recorded sessions or cutoffs and cannot be removed');
        console.log(`removed ${view.id}`);
        return;
      }
      const router = await registry.get(tenantId, ref);
      if (!router) throw new Error(`TG_ROUTER_NOT_FOUND: no router ${ref} in tenant ${tenantId}`);
      const result = await checkRouter(registry, new RouterApi(new RouterRateLimiter()), router);
      console.log(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
      if (!result.up) process.exitCode = 1;
    } else {
      throw new RoutersUsageError(`unknown routers action "${action ?? ''}"; expected add, list, test or remove`);
    }
  } finally {
    await postgres.close();
  }
}

export async function routerGatewayCommand(config: Config): Promise<void> {
  secretBox(config);
  const log = createLogger(config.logLevel, 'router-gateway');
  const shutdown = new Shutdown(log);
  const postgres = connectPostgres(config.postgresUrl, 10);
  shutdown.add('postgres', () => postgres.close());
  await migratePostgres(postgres.db);
  const kafka = connectKafka(config.kafkaBrokers, 'tollgate-router-gateway', log.child({ component: 'kafka' }));
  const kafkaProducer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 16 });
  await kafkaProducer.connect();
  shutdown.add('kafka producer', () => kafkaProducer.disconnect());
  const producer = new EventProducer(kafkajsSender(kafkaProducer), {
    topic: TOPICS.usageEvents, partitionCount: await topicPartitionCount(kafka, TOPICS.usageEvents),
    lingerMs: config.ingestLingerMs, batchEventsMax: config.ingestBatchEventsMax, queueEventsMax: config.ingestQueueEventsMax,
  });
  shutdown.add('usage producer flush', () => producer.flush());
  const gateway = await startRouterGateway({ db: postgres.db, kafka, kafkaProducer, publisher: producer, log }, gatewayOptionsFromConfig(config));
  shutdown.add('router gateway', () => gateway.stop());
  const app = createApp();
  registerOpsRoutes(app, { postgres: async () => { await postgres.pool.query('SELECT 1'); } }, () => false);
  // The gateway alone has no API keys of its own: routes act for the default tenant (put it behind the API tier in production).
  registerRouterRoutes(app, { registry: gateway.registry, api: gateway.api, resolveTenant: async () => ({ ok: true, tenantId: config.defaultTenant }), log });
  const listener = await listen(app, config.httpHost, config.httpPort);
  shutdown.add('http listener', async () => listener.close());
  shutdown.installSignalHandlers();
  log.info({ radius: gateway.radius.ports, http: listener.port }, 'router gateway running');
}

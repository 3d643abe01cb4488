#!/usr/bin/env -S node --import tsx
/**
 * The `tollgate` command.
 *   tollgate dev [--demo] [--port N]   single-node Tollgate on local infrastructure
 *   tollgate infra up|down|status       the local Postgres, ClickHouse (chdb) and Kafka broker
 *   tollgate migrate                    apply Postgres migrations and ClickHouse DDL
 *   tollgate serve --role ingest|rater|api   one service of the distributed stack
 */
import { parseArgs } from 'node:util';
import { ConfigError, describeSettings, loadConfig, localInfraDefaults } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { applyClickhouseSchema, connectClickhouse } from '../platform/clickhouse.ts';
import { connectPostgres, migratePostgres } from '../platform/postgres.ts';
import { infraDown, infraStatus, infraUp } from '../scripts/infra.ts';
import { DEMO } from './demo-data.ts';
import { startSingleNode } from './single-node.ts';
import { KEYS_HELP, keysCommand, KeysUsageError } from './keys.ts';
import { VOUCHERS_HELP, vouchersCommand } from './vouchers.ts';
import { ROUTERS_HELP, routerGatewayCommand, routersCommand, RoutersUsageError } from '../router-gateway/cli.ts';
import { INVOICE_HELP, invoiceCommand, invoicerDaemonCommand, InvoiceUsageError } from '../invoicer/cli.ts';
import { SERVE_HELP, serveCommand, ServeUsageError } from '../ops/serve.ts';
import { seedDemoWorld } from '../ops/demo-world.ts';
import { seedDemoPlans } from '../ops/demo-plans.ts';
import { startDemoTraffic } from '../ops/demo-traffic.ts';

const HELP = `tollgate — usage metering, rating, ledger and invoicing

Usage:
  tollgate dev [--demo [--demo-rate N]] [--port N] [--keep-infra]
      Start local infrastructure (Postgres, ClickHouse via chdb, an in-memory
      Kafka-protocol broker) and a single-node Tollgate on it. --demo seeds
      demo customers (cust_42 …), meters, plans, a voucher batch, and posts N
      synthetic events/s (default 200, 0 = none); the live page is at /. Ctrl-C stops
      Tollgate and, unless --keep-infra, the infrastructure it started.
  tollgate infra up|down|status [--purge]
      Manage the local infrastructure alone (--purge deletes its data).
  tollgate migrate
      Apply Postgres migrations and ClickHouse DDL to the configured servers.
${SERVE_HELP}
${KEYS_HELP}
${VOUCHERS_HELP}
${ROUTERS_HELP}
${INVOICE_HELP}
  tollgate help
      This text.

Environment (single-node mode fills the first three from the local infrastructure):
${describeSettings()}
  TOLLGATE_STATE_DIR                   where local infrastructure keeps its data (default .state)
`;

/** Single-node defaults: local infrastructure endpoints and keyless requests for the default tenant (loopback only). */
function configFromEnvAndInfra(stateDir?: string): ReturnType<typeof loadConfig> {
  const defaults = stateDir ? localInfraDefaults(stateDir) : {};
  return loadConfig({ TOLLGATE_AUTH_MODE: 'optional', ...defaults, ...process.env });
}

async function dev(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    demo: { type: 'boolean' }, port: { type: 'string' }, 'keep-infra': { type: 'boolean' }, 'demo-rate': { type: 'string' },
  } });
  const log = createLogger(process.env.TOLLGATE_LOG_LEVEL ?? 'info', 'tollgate');
  const external = process.env.TOLLGATE_PG_URL && process.env.TOLLGATE_CLICKHOUSE_URL && process.env.TOLLGATE_KAFKA_BROKERS;
  const endpoints = external ? undefined : await infraUp({ log: (line) => log.info(line) });
  const config = configFromEnvAndInfra(endpoints?.stateDir);
  if (values.port !== undefined) config.httpPort = Number(values.port);
  const node = await startSingleNode(config, log, endpoints ? { embeddedBrokerIncarnation: endpoints.kafkaIncarnation } : {});
  if (values.demo) {
    // More than cust_42: customers, a second meter, vouchers, and synthetic traffic so the live page moves at once.
    await seedDemoWorld(node.postgres.db, config.defaultTenant);
    await seedDemoPlans(node.url);
    const eventsPerSecond = Number(values['demo-rate'] ?? 200);
    if (!Number.isInteger(eventsPerSecond) || eventsPerSecond < 0 || eventsPerSecond > 100_000) throw new UsageError('--demo-rate must be an integer 0..100000');
    if (eventsPerSecond > 0) {
      const traffic = startDemoTraffic({ baseUrl: node.url, eventsPerSecond, log: log.child({ component: 'demo-traffic' }) });
      node.shutdown.add('demo traffic', traffic.stop);
    }
  }
  // Last: the node's clients must close before their servers go away.
  if (endpoints && !values['keep-infra']) node.shutdown.addFinal('local infrastructure', () => infraDown({ log: (line) => log.info(line) }));
  node.shutdown.installSignalHandlers();
  printBanner(node.url, endpoints !== undefined, values.demo === true);
}

function printBanner(url: string, embedded: boolean, demo: boolean): void {
  const lines = [
    '',
    `Tollgate is running (single node) at ${url}`,
    `  POST ${url}/v1/events          ingest CloudEvents (JSON, NDJSON, batch, msgpack)`,
    `  GET  ${url}/v1/usage           usage totals from ClickHouse`,
    `  GET  ${url}/v1/wallets/{subject} prepaid wallet balance from the ledger`,
    `  GET  ${url}/metrics  /healthz  /readyz`,
    `  GET  ${url}/                  live page: events/s and top customers`,
  ];
  if (embedded) lines.push('  Kafka: an in-memory broker (librdkafka mock): events not yet rated are lost when it stops.');
  if (demo) {
    lines.push('', 'Try it:', `  curl -s -X POST ${url}/v1/events -H 'Content-Type: application/json' \\`,
      `    -d '{"specversion":"1.0","id":"evt-1","source":"demo","type":"${DEMO.eventType}","subject":"${DEMO.subject}","data":{"tokens":1200}}'`,
      `  sleep 1; curl -s '${url}/v1/usage?subject=${DEMO.subject}&meter=${DEMO.meter}'`,
      `  curl -s ${url}/v1/wallets/${DEMO.subject}`);
  }
  lines.push('', 'Ctrl-C stops it.', '');
  process.stdout.write(lines.join('\n'));
}

async function migrate(): Promise<void> {
  const config = configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state');
  const postgres = connectPostgres(config.postgresUrl, 2);
  await migratePostgres(postgres.db);
  await postgres.close();
  const clickhouse = connectClickhouse(config.clickhouseUrl);
  await applyClickhouseSchema(clickhouse);
  await clickhouse.close();
  console.log('migrations applied');
}

async function infra(args: string[]): Promise<void> {
  const [action, ...flags] = args;
  if (action === 'up') console.log(JSON.stringify(await infraUp(), null, 2));
  else if (action === 'down') await infraDown({ purge: flags.includes('--purge') });
  else if (action === 'status') console.log(JSON.stringify(await infraStatus(), null, 2));
  else throw new UsageError(`unknown infra action "${action ?? ''}"; expected up, down or status`);
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': return dev(rest);
    case 'infra': return infra(rest);
    case 'migrate': return migrate();
    case 'serve': return serveCommand(rest);
    case 'keys': return keysCommand(rest, configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case 'vouchers': return vouchersCommand(rest, configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case 'routers': return routersCommand(rest, configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case 'router-gateway': return routerGatewayCommand(configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case 'invoice': return invoiceCommand(rest, configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case 'invoicer': return invoicerDaemonCommand(rest, configFromEnvAndInfra(process.env.TOLLGATE_STATE_DIR ?? '.state'));
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(HELP);
      return;
    default: throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof KeysUsageError || err instanceof ServeUsageError || err instanceof RoutersUsageError || err instanceof InvoiceUsageError) console.error(`tollgate: ${err.message}\n\n${HELP}`);
  else if (err instanceof ConfigError) console.error(`tollgate: ${err.message}`);
  else console.error(`tollgate: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(err instanceof UsageError || err instanceof KeysUsageError || err instanceof ServeUsageError || err instanceof RoutersUsageError || err instanceof InvoiceUsageError ? 2 : 1);
});

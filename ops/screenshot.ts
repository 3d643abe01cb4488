/**
 * `npm run screenshot`: the README's picture of the live page, produced by the
 * project itself. Starts its own local infrastructure (state in
 * .state/screenshot, ports apart from `npm start` and the tests), a single
 * node with the demo world, plans and synthetic traffic, waits until the
 * page's figures are live in headless Chromium, saves docs/img/live-page.png,
 * and stops (and purges) everything it started.
 *
 *   npm run screenshot [-- --out docs/img/live-page.png] [--warm-up-seconds 30] [--keep-infra]
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { startSingleNode } from '../cli/single-node.ts';
import { infraDown, infraUp, projectRoot } from '../scripts/infra.ts';
import { captureLivePage } from './browser.ts';
import { startDemoTraffic } from './demo-traffic.ts';
import { seedDemoWorld } from './demo-world.ts';
import { seedDemoPlans } from './demo-plans.ts';

const INFRA = { stateDir: join(projectRoot, '.state', 'screenshot'), pgPort: 54397, clickhousePort: 18197 };

const { values } = parseArgs({ options: { out: { type: 'string' }, 'keep-infra': { type: 'boolean' }, 'warm-up-seconds': { type: 'string' } } });
const warmUpSeconds = Number(values['warm-up-seconds'] ?? 30);
const out = resolve(values.out ?? join(projectRoot, 'docs', 'img', 'live-page.png'));
const log = createLogger(process.env.TOLLGATE_LOG_LEVEL ?? 'warn', 'screenshot');
const infraLog = (line: string): void => { process.stderr.write(`${line}\n`); };

const endpoints = await infraUp({ ...INFRA, freshBroker: true, log: infraLog });
const config = loadConfig({
  TOLLGATE_PG_URL: endpoints.postgresUrl, TOLLGATE_CLICKHOUSE_URL: endpoints.clickhouseUrl, TOLLGATE_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
  TOLLGATE_HTTP_PORT: '0', TOLLGATE_AUTH_MODE: 'optional', TOLLGATE_LOG_LEVEL: process.env.TOLLGATE_LOG_LEVEL ?? 'warn',
  TOLLGATE_RATER_GROUP: `screenshot-${Date.now().toString(36)}`,
});
const node = await startSingleNode(config, log, { embeddedBrokerIncarnation: endpoints.kafkaIncarnation });
let failed = false;
try {
  await seedDemoWorld(node.postgres.db, config.defaultTenant);
  await seedDemoPlans(node.url);
  const traffic = startDemoTraffic({ baseUrl: node.url, eventsPerSecond: 300, log });
  node.shutdown.add('demo traffic', traffic.stop);
  // Traffic first: the rater's group join takes seconds, and the rates should show the steady state, not the start.
  await new Promise((done) => setTimeout(done, warmUpSeconds * 1000));
  mkdirSync(dirname(out), { recursive: true });
  const capture = await captureLivePage(`${node.url}/`, out, { timeoutMs: 90_000 });
  process.stdout.write(`${out}: ${capture.screenshotBytes} bytes; ingest ${capture.ingestRateText} events/s, rated ${capture.ratedRateText} events/s, `
    + `${capture.topCustomers.length} top customers\n`);
} catch (err) {
  failed = true;
  process.stderr.write(`screenshot failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
} finally {
  await node.close();
  // Purged: the next picture starts from an empty store, so it shows one run's traffic.
  if (!values['keep-infra']) await infraDown({ ...INFRA, purge: true, log: infraLog });
}
process.exit(failed ? 1 : 0);

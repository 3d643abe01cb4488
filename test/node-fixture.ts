/** Starts a single Tollgate node against the test infrastructure (real servers from global-setup). */
import { inject } from 'vitest';
import { loadConfig, type Config } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { startSingleNode, type SingleNode, type SingleNodeOptions } from '../cli/single-node.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  const infra = inject('infra');
  const config = loadConfig({
    TOLLGATE_PG_URL: infra.postgresUrl,
    TOLLGATE_CLICKHOUSE_URL: infra.clickhouseUrl,
    TOLLGATE_KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TOLLGATE_HTTP_PORT: '0',
    TOLLGATE_LOG_LEVEL: process.env.TOLLGATE_TEST_LOG_LEVEL ?? 'silent',
  });
  return { ...config, ...overrides };
}

export async function startTestNode(overrides: Partial<Config> = {}, options: Pick<SingleNodeOptions, 'rater' | 'roles'> = {}): Promise<SingleNode> {
  const config = testConfig(overrides);
  return startSingleNode(config, createLogger(config.logLevel, 'test-node'), { ...options });
}

/** Polls `probe` until it returns a value `done` accepts, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await probe();
  }
  return last;
}

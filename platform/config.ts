/**
 * Typed configuration from the environment. Every variable is declared once
 * here with its type, default and meaning; `loadConfig` reports every bad
 * variable at once with its name, so a misconfigured service fails at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `shown` is what a message may print of the value: the value itself, or a placeholder for secrets. */
type Parser<T> = (raw: string, shown: string) => T;

interface Setting<T> {
  env: string;
  description: string;
  parse: Parser<T>;
  /** Absent = required. */
  defaultValue?: T;
  secret?: boolean;
}

export class ConfigError extends Error {
  readonly code = 'TG_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

const integer = (min: number, max: number): Parser<number> => (raw, shown) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got "${shown}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`expected ${min}..${max}, got ${value}`);
  return value;
};
const text: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw.trim();
};
const url = (protocols: string[]): Parser<string> => (raw, shown) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`expected a URL, got "${shown}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
  return raw;
};
const list: Parser<string[]> = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('expected a comma-separated list');
  return items;
};
const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw, shown) => {
  if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}, got "${shown}"`);
  return raw as T;
};

export const SETTINGS = {
  postgresUrl: { env: 'TOLLGATE_PG_URL', description: 'Postgres connection URL', parse: url(['postgres:', 'postgresql:']), secret: true },
  clickhouseUrl: { env: 'TOLLGATE_CLICKHOUSE_URL', description: 'ClickHouse HTTP URL', parse: url(['http:', 'https:']), secret: true },
  kafkaBrokers: { env: 'TOLLGATE_KAFKA_BROKERS', description: 'Kafka bootstrap brokers, host:port,...', parse: list },
  httpHost: { env: 'TOLLGATE_HTTP_HOST', description: 'address the API listens on', parse: text, defaultValue: '127.0.0.1' },
  httpPort: { env: 'TOLLGATE_HTTP_PORT', description: 'port of the public API (0 = any free port)', parse: integer(0, 65535), defaultValue: 8080 },
  logLevel: { env: 'TOLLGATE_LOG_LEVEL', description: 'pino log level', parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), defaultValue: 'info' },
  defaultTenant: { env: 'TOLLGATE_DEFAULT_TENANT', description: 'tenant of unauthenticated requests in single-node mode', parse: text, defaultValue: 'default' },
  raterWorkers: { env: 'TOLLGATE_RATER_WORKERS', description: 'Piscina worker threads of the rater', parse: integer(1, 64), defaultValue: 2 },
  raterGroupId: { env: 'TOLLGATE_RATER_GROUP', description: 'Kafka consumer group of the rater', parse: text, defaultValue: 'tollgate-rater' },
  ingestLingerMs: { env: 'TOLLGATE_INGEST_LINGER_MS', description: 'how long ingest waits to fill a Kafka record', parse: integer(0, 1000), defaultValue: 2 },
  ingestBatchEventsMax: { env: 'TOLLGATE_INGEST_BATCH_EVENTS_MAX', description: 'events packed into one Kafka record at most', parse: integer(1, 100_000), defaultValue: 1000 },
  ingestProducerThread: { env: 'TOLLGATE_INGEST_PRODUCER_THREAD', description: 'on: ingest produces to Kafka from a worker thread (frees the request thread); off: from the request thread', parse: oneOf('on', 'off'), defaultValue: 'off' },
  ingestQueueEventsMax: { env: 'TOLLGATE_INGEST_QUEUE_EVENTS_MAX', description: 'events waiting for Kafka before ingest answers 503', parse: integer(1, 10_000_000), defaultValue: 200_000 },
  ingestBodyBytesMax: { env: 'TOLLGATE_INGEST_BODY_BYTES_MAX', description: 'largest accepted request body', parse: integer(1024, 64 * 1024 * 1024), defaultValue: 4 * 1024 * 1024 },
  ingestBatchLengthMax: { env: 'TOLLGATE_INGEST_BATCH_LENGTH_MAX', description: 'most events in one request', parse: integer(1, 100_000), defaultValue: 10_000 },
  ingestDataPropertiesMax: { env: 'TOLLGATE_INGEST_DATA_PROPERTIES_MAX', description: 'properties in one event\'s data (all levels)', parse: integer(1, 100_000), defaultValue: 256 },
  ingestDataStringLengthMax: { env: 'TOLLGATE_INGEST_DATA_STRING_LENGTH_MAX', description: 'characters in one string of event data', parse: integer(1, 1_000_000), defaultValue: 8192 },
  ingestDataDepthMax: { env: 'TOLLGATE_INGEST_DATA_DEPTH_MAX', description: 'nesting levels of event data', parse: integer(1, 64), defaultValue: 8 },
  authMode: { env: 'TOLLGATE_AUTH_MODE', description: 'required: every request needs an API key; optional: no key acts for the default tenant (single-node dev)', parse: oneOf('required', 'optional'), defaultValue: 'required' },
  rateLimitEventsPerSecond: { env: 'TOLLGATE_RATE_LIMIT_EVENTS_PER_SECOND', description: 'events per second per API key unless the key sets its own', parse: integer(1, 100_000_000), defaultValue: 1_000_000 },
  wsInFlightFramesMax: { env: 'TOLLGATE_WS_IN_FLIGHT_FRAMES_MAX', description: 'unacknowledged WebSocket frames per connection', parse: integer(1, 10_000), defaultValue: 64 },
  ledgerAuditIntervalMs: { env: 'TOLLGATE_LEDGER_AUDIT_INTERVAL_MS', description: 'how often an api node re-checks the stored ledger invariants (0 = never)', parse: integer(0, 86_400_000), defaultValue: 300_000 },
  // Router gateway (router-gateway/README.md): off in the single node unless TOLLGATE_ROUTER_GATEWAY=on.
  routerGateway: { env: 'TOLLGATE_ROUTER_GATEWAY', description: 'on: run the RADIUS server, cutoffs and router monitor in the single node', parse: oneOf('on', 'off'), defaultValue: 'off' },
  radiusHost: { env: 'TOLLGATE_RADIUS_HOST', description: 'address the RADIUS server listens on', parse: text, defaultValue: '0.0.0.0' },
  radiusAuthPort: { env: 'TOLLGATE_RADIUS_AUTH_PORT', description: 'RADIUS authentication port (0 = any free port)', parse: integer(0, 65535), defaultValue: 1812 },
  radiusAcctPort: { env: 'TOLLGATE_RADIUS_ACCT_PORT', description: 'RADIUS accounting port (0 = any free port)', parse: integer(0, 65535), defaultValue: 1813 },
  radiusInterimIntervalSeconds: { env: 'TOLLGATE_RADIUS_INTERIM_INTERVAL_SECONDS', description: 'Acct-Interim-Interval sent in every Access-Accept', parse: integer(10, 86_400), defaultValue: 60 },
  radiusRequireMessageAuthenticator: { env: 'TOLLGATE_RADIUS_REQUIRE_MESSAGE_AUTHENTICATOR', description: 'drop Access-Requests without Message-Authenticator (BlastRADIUS mitigation)', parse: oneOf('true', 'false'), defaultValue: 'true' },
  radiusInFlightPacketsMax: { env: 'TOLLGATE_RADIUS_IN_FLIGHT_PACKETS_MAX', description: 'accounting packets in progress before new ones are dropped (the NAS resends)', parse: integer(1, 1_000_000), defaultValue: 20_000 },
  routerSecretKey: { env: 'TOLLGATE_ROUTER_SECRET_KEY', description: 'base64 32-byte AES-256-GCM key sealing router credentials (required by the router gateway and `tollgate routers`)', parse: text, defaultValue: '', secret: true },
  // Invoicer (invoicer/README.md).
  invoicerCron: { env: 'TOLLGATE_INVOICER_CRON', description: 'when the invoicer daemon runs the previous month\'s invoices (5-field cron, UTC; off = never)', parse: text, defaultValue: '0 2 1 * *' },
  paymentWebhookSecret: { env: 'TOLLGATE_PAYMENT_WEBHOOK_SECRET', description: 'HMAC secret of the payment provider webhook (empty = the endpoint refuses every request)', parse: text, defaultValue: '', secret: true },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/**
 * Endpoints written by scripts/infra.ts, used as defaults in single-node mode
 * and tests so that `npm start` and `npm test` need no environment.
 */
export function localInfraDefaults(stateDir: string): Partial<Record<string, string>> {
  const file = join(stateDir, 'endpoints.json');
  if (!existsSync(file)) return {};
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as { postgresUrl: string; clickhouseUrl: string; kafkaBrokers: string[] };
  return {
    TOLLGATE_PG_URL: endpoints.postgresUrl,
    TOLLGATE_CLICKHOUSE_URL: endpoints.clickhouseUrl,
    TOLLGATE_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
  };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      if (setting.defaultValue === undefined) problems.push(`${setting.env} is required (${setting.description})`);
      else config[key] = setting.defaultValue;
      continue;
    }
    try {
      config[key] = setting.parse(raw, setting.secret ? '<redacted>' : raw);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      problems.push(setting.secret ? `${setting.env}: ${reason}` : `${setting.env}: ${reason} (${setting.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}

/** Text for --help: every variable, its default and meaning. */
export function describeSettings(): string {
  return Object.values(SETTINGS as Record<string, Setting<unknown>>)
    .map((s) => `  ${s.env.padEnd(36)} ${s.description}${s.defaultValue === undefined ? ' (required)' : ` (default ${String(s.defaultValue)})`}`)
    .join('\n');
}

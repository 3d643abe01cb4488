import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeSettings, loadConfig, localInfraDefaults, SETTINGS } from './config.ts';

/** The three settings without defaults, set to valid values. */
const REQUIRED = {
  TOLLGATE_PG_URL: 'postgres://tollgate:pg-s3cret@127.0.0.1:54329/tollgate',
  TOLLGATE_CLICKHOUSE_URL: 'http://default:ch-s3cret@127.0.0.1:18123',
  TOLLGATE_KAFKA_BROKERS: '127.0.0.1:9092',
};

/** Runs loadConfig and returns its problems (failing the test if it did not throw). */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw ConfigError');
}

describe('loadConfig defaults', () => {
  it('fills every optional setting with its default when only the required ones are set', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      postgresUrl: REQUIRED.TOLLGATE_PG_URL,
      clickhouseUrl: REQUIRED.TOLLGATE_CLICKHOUSE_URL,
      kafkaBrokers: ['127.0.0.1:9092'],
      httpHost: '127.0.0.1',
      httpPort: 8080,
      logLevel: 'info',
      defaultTenant: 'default',
      raterWorkers: 2,
      raterGroupId: 'tollgate-rater',
      ingestLingerMs: 2,
      ingestProducerThread: 'off',
      ingestBatchEventsMax: 1000,
      ingestQueueEventsMax: 200_000,
      ingestBodyBytesMax: 4 * 1024 * 1024,
      ingestBatchLengthMax: 10_000,
      ingestDataPropertiesMax: 256,
      ingestDataStringLengthMax: 8192,
      ingestDataDepthMax: 8,
      // Production default: every request needs an API key (single-node dev sets optional).
      authMode: 'required',
      rateLimitEventsPerSecond: 1_000_000,
      wsInFlightFramesMax: 64,
      // Operations: api nodes audit the stored ledger invariants every 5 minutes.
      ledgerAuditIntervalMs: 300_000,
      // Invoicer: the previous month is invoiced at 02:00 UTC on the 1st; the provider webhook refuses all until a secret is set.
      invoicerCron: '0 2 1 * *',
      paymentWebhookSecret: '',
      // Router gateway: off in the single node; standard RADIUS ports; Access-Requests need Message-Authenticator; no key until set.
      routerGateway: 'off',
      radiusHost: '0.0.0.0',
      radiusAuthPort: 1812,
      radiusAcctPort: 1813,
      radiusInterimIntervalSeconds: 60,
      radiusRequireMessageAuthenticator: 'true',
      radiusInFlightPacketsMax: 20_000,
      routerSecretKey: '',
    });
  });

  it('treats an empty variable as unset, so `VAR=` falls back to the default', () => {
    expect(loadConfig({ ...REQUIRED, TOLLGATE_HTTP_PORT: '', TOLLGATE_LOG_LEVEL: '' })).toMatchObject({ httpPort: 8080, logLevel: 'info' });
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ ...REQUIRED, TOLLGATE_UNKNOWN: 'x', PATH: '/bin' }).httpPort).toBe(8080);
  });
});

describe('loadConfig parses', () => {
  const rows: { env: Record<string, string>; expected: Record<string, unknown>; why: string }[] = [
    { env: { TOLLGATE_HTTP_PORT: '9090' }, expected: { httpPort: 9090 }, why: 'integers are numbers' },
    { env: { TOLLGATE_HTTP_PORT: '0' }, expected: { httpPort: 0 }, why: 'port 0 means any free port and is inside the range' },
    { env: { TOLLGATE_HTTP_PORT: '65535' }, expected: { httpPort: 65535 }, why: 'the top of a range is inclusive' },
    { env: { TOLLGATE_HTTP_PORT: ' 8081 ' }, expected: { httpPort: 8081 }, why: 'whitespace around an integer is tolerated' },
    { env: { TOLLGATE_KAFKA_BROKERS: 'a:1, b:2,,c:3 ,' }, expected: { kafkaBrokers: ['a:1', 'b:2', 'c:3'] }, why: 'lists are trimmed and empty items dropped' },
    { env: { TOLLGATE_LOG_LEVEL: 'debug' }, expected: { logLevel: 'debug' }, why: 'any pino level is accepted' },
    { env: { TOLLGATE_HTTP_HOST: ' 0.0.0.0 ' }, expected: { httpHost: '0.0.0.0' }, why: 'text is trimmed' },
    { env: { TOLLGATE_PG_URL: 'postgresql://h/db' }, expected: { postgresUrl: 'postgresql://h/db' }, why: 'both Postgres URL schemes are accepted' },
    { env: { TOLLGATE_CLICKHOUSE_URL: 'https://ch.example:8443' }, expected: { clickhouseUrl: 'https://ch.example:8443' }, why: 'ClickHouse over TLS' },
  ];

  for (const { env, expected, why } of rows) {
    it(`reads ${JSON.stringify(env)}: ${why}`, () => {
      expect(loadConfig({ ...REQUIRED, ...env })).toMatchObject(expected);
    });
  }
});

describe('loadConfig refuses', () => {
  const rows: { env: Record<string, string>; problem: string; why: string }[] = [
    { env: { TOLLGATE_HTTP_PORT: 'eighty' }, problem: 'TOLLGATE_HTTP_PORT: expected an integer, got "eighty"', why: 'a word is not a port' },
    { env: { TOLLGATE_HTTP_PORT: '80.5' }, problem: 'TOLLGATE_HTTP_PORT: expected an integer, got "80.5"', why: 'a fraction is not a port' },
    { env: { TOLLGATE_HTTP_PORT: '1e3' }, problem: 'TOLLGATE_HTTP_PORT: expected an integer, got "1e3"', why: 'exponent notation is not an integer literal here' },
    { env: { TOLLGATE_HTTP_PORT: '70000' }, problem: 'TOLLGATE_HTTP_PORT: expected 0..65535, got 70000', why: 'ports stop at 65535' },
    { env: { TOLLGATE_HTTP_PORT: '-1' }, problem: 'TOLLGATE_HTTP_PORT: expected 0..65535, got -1', why: 'ports are not negative' },
    { env: { TOLLGATE_RATER_WORKERS: '0' }, problem: 'TOLLGATE_RATER_WORKERS: expected 1..64, got 0', why: 'the rater needs a worker' },
    { env: { TOLLGATE_INGEST_BODY_BYTES_MAX: '100' }, problem: 'TOLLGATE_INGEST_BODY_BYTES_MAX: expected 1024..67108864, got 100', why: 'a body limit below 1 KiB would refuse one event' },
    { env: { TOLLGATE_LOG_LEVEL: 'verbose' }, problem: 'TOLLGATE_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "verbose"', why: 'not a pino level' },
    { env: { TOLLGATE_LOG_LEVEL: 'INFO' }, problem: 'TOLLGATE_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "INFO"', why: 'levels are lower case' },
    { env: { TOLLGATE_CLICKHOUSE_URL: 'ftp://ch.example' }, problem: 'TOLLGATE_CLICKHOUSE_URL: expected a http: or https: URL, got ftp:', why: 'ClickHouse is reached over HTTP' },
    { env: { TOLLGATE_PG_URL: 'mysql://u:pw@h/db' }, problem: 'TOLLGATE_PG_URL: expected a postgres: or postgresql: URL, got mysql:', why: 'the wrong database' },
    { env: { TOLLGATE_PG_URL: 'localhost:5432' }, problem: 'TOLLGATE_PG_URL: expected a postgres: or postgresql: URL, got localhost:', why: 'host:port parses as a URL with scheme "localhost:"' },
    { env: { TOLLGATE_KAFKA_BROKERS: ' , ,' }, problem: 'TOLLGATE_KAFKA_BROKERS: expected a comma-separated list', why: 'a list of nothing names no broker' },
    { env: { TOLLGATE_HTTP_HOST: '   ' }, problem: 'TOLLGATE_HTTP_HOST: must not be empty', why: 'a blank host is not unset, and not a host' },
  ];

  for (const { env, problem, why } of rows) {
    it(`names the variable in "${problem}": ${why}`, () => {
      const problems = problemsOf({ ...REQUIRED, ...env });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(problem);
    });
  }

  it('lists every missing required variable at once, with its meaning', () => {
    expect(problemsOf({})).toEqual([
      'TOLLGATE_PG_URL is required (Postgres connection URL)',
      'TOLLGATE_CLICKHOUSE_URL is required (ClickHouse HTTP URL)',
      'TOLLGATE_KAFKA_BROKERS is required (Kafka bootstrap brokers, host:port,...)',
    ]);
  });

  it('lists missing and malformed variables together in one error', () => {
    const env = { TOLLGATE_CLICKHOUSE_URL: REQUIRED.TOLLGATE_CLICKHOUSE_URL, TOLLGATE_HTTP_PORT: 'x', TOLLGATE_LOG_LEVEL: 'loud', TOLLGATE_RATER_WORKERS: '99' };
    let error: ConfigError | undefined;
    try {
      loadConfig(env);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.code).toBe('TG_CONFIG_INVALID');
    const named = ['TOLLGATE_PG_URL', 'TOLLGATE_KAFKA_BROKERS', 'TOLLGATE_HTTP_PORT', 'TOLLGATE_LOG_LEVEL', 'TOLLGATE_RATER_WORKERS'];
    expect(error?.problems).toHaveLength(named.length);
    for (const variable of named) {
      expect(error?.problems.some((p) => p.startsWith(variable))).toBe(true);
      expect(error?.message).toContain(variable);
    }
  });
});

describe('loadConfig secrets', () => {
  const rows: { env: Record<string, string>; secret: string; why: string }[] = [
    { env: { TOLLGATE_PG_URL: 'postgres://u:pg-s3cret@db host/x' }, secret: 'pg-s3cret', why: 'an unparseable Postgres URL is not echoed' },
    { env: { TOLLGATE_CLICKHOUSE_URL: 'http://default:ch-s3cret@[bad' }, secret: 'ch-s3cret', why: 'an unparseable ClickHouse URL is not echoed' },
    { env: { TOLLGATE_PG_URL: 'mysql://u:pg-s3cret@h/db' }, secret: 'pg-s3cret', why: 'a wrong scheme shows only the scheme' },
    { env: { TOLLGATE_CLICKHOUSE_URL: 'tcp://default:ch-s3cret@h:9000' }, secret: 'ch-s3cret', why: 'a wrong scheme shows only the scheme' },
  ];

  for (const { env, secret, why } of rows) {
    it(`keeps the secret out of the problem and the error message: ${why}`, () => {
      let error: ConfigError | undefined;
      try {
        loadConfig({ ...REQUIRED, ...env });
      } catch (err) {
        error = err as ConfigError;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(error?.message).not.toContain(secret);
      expect(error?.problems.join('\n')).not.toContain(secret);
      expect(error?.problems[0]).toMatch(/^TOLLGATE_(PG|CLICKHOUSE)_URL: /);
    });
  }

  it('writes <redacted> where an unparseable secret value would have been', () => {
    expect(problemsOf({ ...REQUIRED, TOLLGATE_PG_URL: 'not a url' })).toEqual(['TOLLGATE_PG_URL: expected a URL, got "<redacted>"']);
  });

  it('shows non-secret values as given, so the operator sees the typo', () => {
    expect(problemsOf({ ...REQUIRED, TOLLGATE_HTTP_HOST: ' ' })[0]).toBe('TOLLGATE_HTTP_HOST: must not be empty (address the API listens on)');
  });

  // BUG: redaction is `message.replace(raw, '<redacted>')`, which replaces the
  // first occurrence of the value anywhere in the message. When the secret also
  // occurs in the fixed text before it, the fixed text is redacted and the
  // value itself is printed: TOLLGATE_PG_URL=a gives
  // 'TOLLGATE_PG_URL: expected <redacted> URL, got "a"'.
  it('redacts the secret value itself even when it also occurs in the message text', () => {
    expect(problemsOf({ ...REQUIRED, TOLLGATE_PG_URL: 'a' })).toEqual(['TOLLGATE_PG_URL: expected a URL, got "<redacted>"']);
  });

  // BUG: for non-secret settings the same call is `message.replace(raw, raw)`,
  // and String.prototype.replace expands $-patterns in its replacement, so a
  // value containing $' or $` is shown mangled: TOLLGATE_LOG_LEVEL=$' is
  // reported as 'got """' instead of 'got "$\'"'.
  it('shows a non-secret value containing $-patterns verbatim', () => {
    expect(problemsOf({ ...REQUIRED, TOLLGATE_LOG_LEVEL: "$'" })[0])
      .toBe('TOLLGATE_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "$\'" (pino log level)');
  });
});

describe('describeSettings', () => {
  it('lists every variable with its default or as required', () => {
    const help = describeSettings();
    for (const setting of Object.values(SETTINGS)) expect(help).toContain(setting.env);
    expect(help).toMatch(/TOLLGATE_PG_URL\s+Postgres connection URL \(required\)/);
    expect(help).toMatch(/TOLLGATE_HTTP_PORT\s+.*\(default 8080\)/);
  });
});

describe('localInfraDefaults', () => {
  it('returns nothing when no local infrastructure wrote its endpoints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-test-'));
    try {
      expect(localInfraDefaults(dir)).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps the endpoints file to the three required variables, so loadConfig needs no environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-config-test-'));
    try {
      writeFileSync(join(dir, 'endpoints.json'), JSON.stringify({
        postgresUrl: 'postgres://u:p@127.0.0.1:1/db', clickhouseUrl: 'http://127.0.0.1:2', kafkaBrokers: ['127.0.0.1:3', '127.0.0.1:4'],
      }));
      const env = localInfraDefaults(dir);
      expect(env).toEqual({
        TOLLGATE_PG_URL: 'postgres://u:p@127.0.0.1:1/db',
        TOLLGATE_CLICKHOUSE_URL: 'http://127.0.0.1:2',
        TOLLGATE_KAFKA_BROKERS: '127.0.0.1:3,127.0.0.1:4',
      });
      expect(loadConfig(env).kafkaBrokers).toEqual(['127.0.0.1:3', '127.0.0.1:4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

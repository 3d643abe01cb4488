/**
 * What every scenario shares: options, a logger on stderr, the bench's own
 * infrastructure (started on first use, stopped at the end unless
 * --keep-infra), the Config of a node on it, and cleanups run at the end.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../platform/config.ts';
import type { Logger } from '../platform/log.ts';
import { DEFAULT_TOPICS, infraDown, infraUp, projectRoot, type InfraEndpoints, type InfraOptions } from '../scripts/infra.ts';
import type { BenchOptions } from './options.ts';

/** kafka-ceiling's own topic, so its records never reach the rater; many partitions keep each under the mock's ≈5 MB. */
export const KAFKA_CEILING_TOPIC = 'bench.kafka-ceiling';
export const KAFKA_CEILING_PARTITIONS = 48;
/** The mock broker keeps ≈5 MB per partition and drops the oldest beyond (DESIGN §10); stay under with margin. */
export const PARTITION_BYTES_BUDGET = 4 * 1024 * 1024;

/** Overridable (TOLLGATE_BENCH_*) so that a bench can run beside test suites or another bench on one machine. */
export const BENCH_INFRA: InfraOptions = {
  stateDir: process.env.TOLLGATE_BENCH_STATE_DIR ?? join(projectRoot, '.state', 'bench'),
  pgPort: Number(process.env.TOLLGATE_BENCH_PG_PORT ?? 54349),
  clickhousePort: Number(process.env.TOLLGATE_BENCH_CLICKHOUSE_PORT ?? 18143),
  topics: { ...DEFAULT_TOPICS, [KAFKA_CEILING_TOPIC]: KAFKA_CEILING_PARTITIONS },
};

export interface LogTally {
  errors: number;
  warnings: number;
  /** The first few distinct error messages. */
  samples: string[];
}

/** A logger on stderr (stdout carries only the report) that also tallies warnings and errors. */
export function benchLogger(level: string, tally?: LogTally): Logger {
  return pino({
    level, base: { service: 'bench' }, timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method, levelValue) {
        if (tally && levelValue >= 50) {
          tally.errors++;
          const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : '')).filter(Boolean).join(' ');
          if (text && tally.samples.length < 3 && !tally.samples.includes(text)) tally.samples.push(text);
        } else if (tally && levelValue >= 40) {
          tally.warnings++;
        }
        method.apply(this, args);
      },
    },
  }, pino.destination(2));
}

export class BenchContext {
  readonly runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;
  private endpoints: Promise<InfraEndpoints> | undefined;
  private readonly cleanups: { name: string; run: () => Promise<void> }[] = [];

  constructor(readonly options: BenchOptions, readonly log: Logger) {}

  /** A progress line on stderr (stdout carries only the report). */
  say(line: string): void {
    process.stderr.write(`bench: ${line}\n`);
  }

  get stateDir(): string {
    return BENCH_INFRA.stateDir!;
  }

  infra(): Promise<InfraEndpoints> {
    this.endpoints ??= infraUp({ ...BENCH_INFRA, log: (line) => this.say(line) });
    return this.endpoints;
  }

  get infraStarted(): boolean {
    return this.endpoints !== undefined;
  }

  /** A node's Config on the bench infrastructure; TOLLGATE_* from the environment tune it, endpoints are ours. */
  async config(overrides: Record<string, string> = {}): Promise<Config> {
    const endpoints = await this.infra();
    return loadConfig({
      TOLLGATE_LOG_LEVEL: 'warn',
      ...process.env,
      TOLLGATE_PG_URL: endpoints.postgresUrl,
      TOLLGATE_CLICKHOUSE_URL: endpoints.clickhouseUrl,
      TOLLGATE_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      TOLLGATE_HTTP_HOST: '127.0.0.1',
      TOLLGATE_HTTP_PORT: '0',
      ...overrides,
    });
  }

  onCleanup(name: string, run: () => Promise<void>): void {
    this.cleanups.push({ name, run });
  }

  /** Runs cleanups (last registered first), then stops the infrastructure unless --keep-infra. */
  async close(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (err) {
        this.log.warn({ err, cleanup: cleanup.name }, 'cleanup failed');
      }
    }
    if (!this.endpoints) return;
    await this.endpoints.catch(() => undefined);
    if (this.options.keepInfra) {
      this.say(`infrastructure left running (state ${this.stateDir}); stop it with: TOLLGATE_STATE_DIR=${this.stateDir} TOLLGATE_PG_PORT=${BENCH_INFRA.pgPort} TOLLGATE_CLICKHOUSE_PORT=${BENCH_INFRA.clickhousePort} npx tsx scripts/infra.ts down`);
      return;
    }
    await infraDown({ ...BENCH_INFRA, log: (line) => this.say(line) });
  }
}

/**
 * A rater alone in a process of its own, for tests that SIGKILL it mid-stream
 * (rater/streaming-equals-batch.integration.test.ts). Endpoints and the
 * consumer group come from the environment; prints "ready" once consuming.
 */
import { applyClickhouseSchema, connectClickhouse } from '../../platform/clickhouse.ts';
import { connectKafka } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/log.ts';
import { connectPostgres } from '../../platform/postgres.ts';
import { TOPICS } from '../../schemas/event.ts';
import { RaterService } from '../index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const log = createLogger(process.env.TOLLGATE_LOG_LEVEL ?? 'warn', 'rater-child');
const postgres = connectPostgres(env('TOLLGATE_PG_URL'), 4);
const clickhouse = connectClickhouse(env('TOLLGATE_CLICKHOUSE_URL'));
await applyClickhouseSchema(clickhouse);
const rater = new RaterService({
  kafka: connectKafka(env('TOLLGATE_KAFKA_BROKERS').split(','), 'rater-child', log),
  db: postgres.db, clickhouse, log, topic: TOPICS.usageEvents, groupId: env('TOLLGATE_RATER_GROUP'), workerThreads: 1,
});
await rater.start();
process.stdout.write('ready\n');

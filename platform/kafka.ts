/**
 * The thin Kafka module: every kafkajs client in Tollgate is made here, so the
 * local mock broker's limits (no createTopics, no transactions) touch only
 * configuration, never call sites.
 */
import { Kafka, logLevel, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from './log.ts';

export type { Consumer, Producer };

/** kafkajs warnings and errors go to our structured log. */
function logCreator(log: Logger) {
  return () => ({ namespace, level, log: entry }: LogEntry): void => {
    const { message, ...extra } = entry;
    if (level === logLevel.ERROR) log.error({ kafkajs: namespace, ...extra }, message);
    else if (level === logLevel.WARN) log.warn({ kafkajs: namespace, ...extra }, message);
  };
}

export function connectKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: logCreator(log),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    connectionTimeout: 3000,
    requestTimeout: 30_000,
  });
}

export async function topicPartitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`Kafka topic ${topic} does not exist (create it with its partitions before starting)`);
    return count;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The thin Kafka module: every kafkajs client in Tollgate is made here, so the
 * local mock broker's limits (no createTopics, no transactions) touch only
 * configuration, never call sites.
 */
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel, type Consumer, type ISocketFactory, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from './log.ts';

export type { Consumer, Producer };

/** kafkajs warnings and errors go to our structured log. */
function logCreator(log: Logger) {
  return () => ({ namespace, level, log: entry }: LogEntry): void => {
    const { message, error, ...extra } = entry as LogEntry['log'] & { error?: unknown };
    // pino serialises an Error only under `err`; under `error` it would print {}.
    if (error !== undefined) extra.err = error instanceof Error ? error : new Error(String(error));
    if (level === logLevel.ERROR) log.error({ kafkajs: namespace, ...extra }, message);
    else if (level === logLevel.WARN) log.warn({ kafkajs: namespace, ...extra }, message);
  };
}

/**
 * kafkajs' default sockets leave Nagle's algorithm on: the tail of every
 * produce request can wait for a delayed ACK (~40 ms), which dominated ingest
 * latency. Same as the default factory otherwise.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

export function connectKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: logCreator(log),
    socketFactory: noDelaySocketFactory,
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

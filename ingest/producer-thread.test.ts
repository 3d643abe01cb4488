/**
 * The off-thread producer against the real broker: records land in Kafka,
 * a broker error surfaces as a rejection, and a thread that dies rejects what
 * it held and is replaced on the next send.
 */
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { TOPICS } from '../schemas/event.ts';
import { ProducerThread } from './producer-thread.ts';
import type { RecordBatch } from './record-sender.ts';

const infra = inject('infra');
const kafka = connectKafka(infra.kafkaBrokers, 'producer-thread-test', createLogger('silent', 'test'));
const admin = kafka.admin();

async function endOffset(topic: string, partition: number): Promise<bigint> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return BigInt(offsets.find((o) => o.partition === partition)!.high);
}

function batch(topic: string, partition: number, values: string[]): RecordBatch {
  return {
    topic, acks: -1, timeout: 5_000,
    messages: values.map((v) => ({ partition, key: 'k', value: new Uint8Array(Buffer.from(v)), headers: { test: 'yes' } })),
  };
}

let thread: ProducerThread;

beforeAll(async () => {
  await admin.connect();
  thread = new ProducerThread({ brokers: infra.kafkaBrokers, clientId: 'producer-thread-test', logLevel: 'silent', maxInFlightRequests: 4 });
  await thread.connect();
});

afterAll(async () => {
  await thread.disconnect();
  await admin.disconnect();
});

describe('ProducerThread', () => {
  it('resolves a send only once the broker holds its records', async () => {
    const before = await endOffset(TOPICS.invoiceEvents, 1);
    await thread.send(batch(TOPICS.invoiceEvents, 1, ['a', 'b', 'c']));
    expect(await endOffset(TOPICS.invoiceEvents, 1)).toBe(before + 3n);
  });

  it('rejects a send the broker refuses, with the broker\'s reason, and keeps working', async () => {
    await expect(thread.send(batch('no.such.topic', 0, ['x']))).rejects.toThrow(/topic|partition|leader/i);
    const before = await endOffset(TOPICS.invoiceEvents, 2);
    await thread.send(batch(TOPICS.invoiceEvents, 2, ['after']));
    expect(await endOffset(TOPICS.invoiceEvents, 2)).toBe(before + 1n);
  });

  it('rejects what a dying thread held and starts a new thread for the next send', async () => {
    const worker = (thread as unknown as { worker: Worker }).worker;
    const held = thread.send(batch(TOPICS.invoiceEvents, 0, ['held']));
    await worker.terminate();
    await expect(held).rejects.toThrow(/exited/);
    const before = await endOffset(TOPICS.invoiceEvents, 0);
    await thread.send(batch(TOPICS.invoiceEvents, 0, ['next']));
    expect(await endOffset(TOPICS.invoiceEvents, 0)).toBe(before + 1n);
    expect((thread as unknown as { worker: Worker }).worker).not.toBe(worker);
  });
});

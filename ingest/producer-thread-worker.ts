/**
 * The worker side of `ProducerThread`: owns one kafkajs producer and sends the
 * records the main thread hands over (values transferred, not copied), so
 * kafkajs' request encoding, CRC32C and socket writes leave the thread that
 * parses and validates HTTP bodies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectKafka, type Producer } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import type { RecordBatch } from './record-sender.ts';
import type { ProducerThreadInit, ToProducerThread, FromProducerThread } from './producer-thread.ts';

const init = workerData as ProducerThreadInit;
const port = parentPort!;
const log = createLogger(init.logLevel, 'ingest-producer');
const kafka = connectKafka(init.brokers, init.clientId, log.child({ component: 'kafka' }));
let producer: Producer | undefined;

function reply(message: FromProducerThread): void {
  port.postMessage(message);
}

async function send(id: number, batch: RecordBatch): Promise<void> {
  try {
    if (!producer) throw new Error('producer thread is not connected');
    await producer.send({
      topic: batch.topic, acks: batch.acks, timeout: batch.timeout,
      messages: batch.messages.map((m) => ({ ...m, value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) })),
    });
    reply({ kind: 'sent', id });
  } catch (err) {
    reply({ kind: 'failed', id, message: err instanceof Error ? err.message : String(err) });
  }
}

port.on('message', (message: ToProducerThread) => {
  switch (message.kind) {
    case 'connect':
      producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: init.maxInFlightRequests });
      producer.connect().then(
        () => reply({ kind: 'sent', id: message.id }),
        (err: unknown) => reply({ kind: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err) }),
      );
      break;
    case 'send':
      void send(message.id, message.batch);
      break;
    case 'disconnect':
      (producer ? producer.disconnect() : Promise.resolve()).then(
        () => reply({ kind: 'sent', id: message.id }),
        (err: unknown) => reply({ kind: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err) }),
      );
      break;
  }
});

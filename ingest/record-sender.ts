/**
 * What the ingest batcher needs from Kafka: send records, resolve once the
 * broker acknowledged them. A kafkajs producer satisfies it directly; so does
 * `ProducerThread`, which runs kafkajs on a worker thread.
 */
export interface OutgoingRecord {
  partition: number;
  key: string;
  /** The record value. Its ArrayBuffer must hold this value only, so it can be transferred to another thread. */
  value: Uint8Array;
  headers: Record<string, string>;
}

export interface RecordBatch {
  topic: string;
  acks: number;
  timeout: number;
  messages: OutgoingRecord[];
}

export interface RecordSender {
  send(batch: RecordBatch): Promise<unknown>;
}

/** An adapter for a kafkajs producer (which wants Buffers): a zero-copy view of each value. */
export function kafkajsSender(producer: { send(record: { topic: string; acks: number; timeout: number; messages: { partition: number; key: string; value: Buffer; headers: Record<string, string> }[] }): Promise<unknown> }): RecordSender {
  return {
    send: (batch) => producer.send({
      ...batch,
      messages: batch.messages.map((m) => ({ ...m, value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) })),
    }),
  };
}

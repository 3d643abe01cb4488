/**
 * Unit test of the batching logic only, against an in-memory stand-in for the
 * Kafka record sender that records each send and lets the test acknowledge or fail
 * it. Behaviour against a real broker is covered by the integration suites.
 */
import { Unpackr } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutgoingRecord, RecordBatch, RecordSender } from './record-sender.ts';
import { WIRE_SCHEMA_VERSION, type WireEvent } from '../schemas/event.ts';
import { EventProducer, KafkaUnavailableError, OverloadedError, type EventProducerOptions } from './event-producer.ts';
import { partitionFor } from './partitioner.ts';

interface SentRequest {
  record: RecordBatch;
  ack: () => void;
  fail: (err: Error) => void;
}

/** Records every send; acknowledges at once when autoAck, else when the test says. */
class InMemoryProducer {
  readonly requests: SentRequest[] = [];
  constructor(private readonly autoAck: boolean) {}

  send(record: RecordBatch): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.requests.push({ record, ack: () => resolve([]), fail: reject });
      if (this.autoAck) resolve([]);
    });
  }

  asProducer(): RecordSender {
    return this;
  }

  get messages(): OutgoingRecord[] {
    return this.requests.flatMap((r) => r.record.messages);
  }
}

const TENANT = 'acme';
const PARTITIONS = 6;
const LINGER_MS = 50;

function options(overrides: Partial<EventProducerOptions> = {}): EventProducerOptions {
  return { topic: 'usage.events', partitionCount: PARTITIONS, lingerMs: LINGER_MS, batchEventsMax: 100, queueEventsMax: 1_000, ...overrides };
}

/** The first subject `s-<n>` that lands on the partition. */
function subjectOn(partition: number): string {
  for (let i = 0; ; i++) if (partitionFor(TENANT, `s-${i}`, PARTITIONS) === partition) return `s-${i}`;
}

let nextId = 0;
function events(subject: string, count: number): WireEvent[] {
  return Array.from({ length: count }, () => {
    nextId += 1;
    return { tenant: TENANT, id: `ev-${nextId}`, source: 'test', type: 'api.request', subject, timeMs: 1_700_000_000_000 + nextId, ingestedAtMs: 1_700_000_000_000, data: { n: nextId } };
  });
}

function decode(message: OutgoingRecord): WireEvent[] {
  // A fresh Unpackr per record, as a consumer in another process would have.
  return new Unpackr({ useRecords: true }).unpack(message.value) as WireEvent[];
}

/** Lets promise callbacks (acks, finally, the next pump) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const status: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(() => { status.state = 'resolved'; }, (error: unknown) => { status.state = 'rejected'; status.error = error; });
  return status;
}

const P = 2;
const Q = 5;
const ON_P = subjectOn(P);
const ON_Q = subjectOn(Q);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('EventProducer batching', () => {
  it('packs events of one partition into records of at most batchEventsMax events', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options({ batchEventsMax: 3 }));
    const sent = events(ON_P, 7);
    const done = producer.publish(sent);
    await settle();
    vi.advanceTimersByTime(LINGER_MS);
    await done;
    expect(kafka.messages.map((m) => m.partition)).toEqual([P, P, P]);
    expect(kafka.messages.map((m) => m.headers?.['event-count'])).toEqual(['3', '3', '1']);
    expect(kafka.messages.flatMap(decode)).toEqual(sent);
  });

  it('gathers events of several publish calls within one linger window into one record per partition', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options());
    const a = events(ON_P, 2);
    const b = events(ON_Q, 1);
    const c = events(ON_P, 3);
    const done = [producer.publish(a), producer.publish(b), producer.publish(c)];
    expect(kafka.requests).toHaveLength(0); // nothing leaves before the linger window closes
    vi.advanceTimersByTime(LINGER_MS);
    await Promise.all(done);
    const byPartition = new Map(kafka.messages.map((m) => [m.partition, decode(m)]));
    expect(kafka.messages).toHaveLength(2);
    expect(byPartition.get(P)).toEqual([...a, ...c]);
    expect(byPartition.get(Q)).toEqual(b);
  });

  it('sends a full record at once without waiting for the linger window', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options({ batchEventsMax: 4 }));
    const done = producer.publish(events(ON_P, 4));
    expect(kafka.requests).toHaveLength(1);
    await done;
  });

  it('flush sends open records without waiting for the linger window', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options());
    const done = track(producer.publish(events(ON_P, 2)));
    await producer.flush();
    await settle();
    expect(kafka.requests).toHaveLength(1);
    expect(done.state).toBe('resolved');
  });

  it('resolves an empty publish at once and sends nothing', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options());
    await producer.publish([]);
    vi.advanceTimersByTime(LINGER_MS);
    expect(kafka.requests).toHaveLength(0);
    expect(producer.queued).toBe(0);
  });
});

describe('EventProducer acknowledgement', () => {
  it('resolves publish only after Kafka acknowledges the record', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options());
    const done = track(producer.publish(events(ON_P, 2)));
    vi.advanceTimersByTime(LINGER_MS);
    await settle();
    expect(kafka.requests).toHaveLength(1);
    expect(done.state).toBe('pending');
    expect(producer.queued).toBe(2); // in flight still counts against the queue limit
    kafka.requests[0]!.ack();
    await settle();
    expect(done.state).toBe('resolved');
    expect(producer.queued).toBe(0);
  });

  it('resolves a publish spanning partitions only when every partition acknowledged', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options());
    const done = track(producer.publish([...events(ON_P, 1), ...events(ON_Q, 1)]));
    vi.advanceTimersByTime(LINGER_MS);
    await settle();
    expect(kafka.requests).toHaveLength(2);
    kafka.requests[0]!.ack();
    await settle();
    expect(done.state).toBe('pending');
    kafka.requests[1]!.ack();
    await settle();
    expect(done.state).toBe('resolved');
  });

  it('rejects every caller in a failed record with KafkaUnavailableError, and only them', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options());
    const first = track(producer.publish(events(ON_P, 1)));
    const second = track(producer.publish(events(ON_P, 1)));
    const elsewhere = track(producer.publish(events(ON_Q, 1)));
    vi.advanceTimersByTime(LINGER_MS);
    await settle();
    const onP = kafka.requests.find((r) => r.record.messages[0]?.partition === P)!;
    const onQ = kafka.requests.find((r) => r.record.messages[0]?.partition === Q)!;
    onP.fail(new Error('broker down'));
    onQ.ack();
    await settle();
    for (const caller of [first, second]) {
      expect(caller.state).toBe('rejected');
      expect(caller.error).toBeInstanceOf(KafkaUnavailableError);
      expect((caller.error as Error).message).toBe('Kafka did not acknowledge 2 events: broker down');
    }
    expect(elsewhere.state).toBe('resolved');
    expect(producer.queued).toBe(0); // failed events leave the queue; the client retries them
  });

  it('keeps sending a partition\'s later records after a failed request', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options({ batchEventsMax: 1 }));
    const failed = track(producer.publish(events(ON_P, 1)));
    const later = track(producer.publish(events(ON_P, 1)));
    kafka.requests[0]!.fail(new Error('timeout'));
    await settle();
    expect(kafka.requests).toHaveLength(2);
    kafka.requests[1]!.ack();
    await settle();
    expect(failed.state).toBe('rejected');
    expect(later.state).toBe('resolved');
  });
});

describe('EventProducer queue limit', () => {
  it('throws OverloadedError synchronously at the limit and enqueues nothing of the refused call', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options({ queueEventsMax: 5 }));
    const accepted = events(ON_P, 3);
    const done = producer.publish(accepted);
    let thrown: unknown;
    try {
      void producer.publish(events(ON_P, 3));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OverloadedError);
    expect(thrown).toMatchObject({ queuedEvents: 3, queueEventsMax: 5 });
    expect(producer.queued).toBe(3);
    vi.advanceTimersByTime(LINGER_MS);
    await settle();
    expect(kafka.messages.flatMap(decode)).toEqual(accepted);
    kafka.requests[0]!.ack();
    await done;
  });

  it('accepts up to exactly queueEventsMax and again once the queue drained', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options({ queueEventsMax: 5 }));
    const first = producer.publish(events(ON_P, 5));
    expect(() => producer.publish(events(ON_Q, 1))).toThrow(OverloadedError);
    vi.advanceTimersByTime(LINGER_MS);
    await first;
    expect(producer.queued).toBe(0);
    const second = producer.publish(events(ON_Q, 5));
    vi.advanceTimersByTime(LINGER_MS);
    await second;
  });

  it('refuses a single call larger than the whole queue even when the queue is empty', () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options({ queueEventsMax: 5 }));
    expect(() => producer.publish(events(ON_P, 6))).toThrow(OverloadedError);
    expect(producer.queued).toBe(0);
    vi.advanceTimersByTime(LINGER_MS);
    expect(kafka.requests).toHaveLength(0);
  });
});

describe('EventProducer ordering', () => {
  it('sends one request at a time per partition and keeps its records in order', async () => {
    const kafka = new InMemoryProducer(false);
    const producer = new EventProducer(kafka.asProducer(), options({ batchEventsMax: 1 }));
    const [e1, e2, e3] = events(ON_P, 3) as [WireEvent, WireEvent, WireEvent];
    const done = [producer.publish([e1]), producer.publish([e2]), producer.publish([e3])];
    await settle();
    expect(kafka.requests).toHaveLength(1); // e2 and e3 wait for e1's acknowledgement
    expect(kafka.requests[0]!.record.messages.map(decode)).toEqual([[e1]]);

    const other = producer.publish(events(ON_Q, 1));
    expect(kafka.requests).toHaveLength(2); // another partition is not held back
    kafka.requests[1]!.ack();

    kafka.requests[0]!.ack();
    await settle();
    expect(kafka.requests).toHaveLength(3);
    expect(kafka.requests[2]!.record.messages.map(decode)).toEqual([[e2], [e3]]);
    kafka.requests[2]!.ack();
    await Promise.all([...done, other]);
  });
});

describe('EventProducer record format', () => {
  it('writes a msgpack record that unpacks back to the events, with its headers, key and acks=all', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options());
    const sent: WireEvent[] = [
      { tenant: TENANT, id: 'é-1', source: 'src/ü', type: 'llm.call', subject: ON_P, timeMs: 1_764_000_000_123, ingestedAtMs: 1_764_000_000_456, data: { usage: { tokens: 1500, ratio: 0.25 }, tags: ['a', 'b'], big: '123456789012345678901' } },
      { tenant: TENANT, id: 'e-2', source: 'src', type: 'api.request', subject: ON_P, timeMs: 1_764_000_000_124, ingestedAtMs: 1_764_000_000_456, data: {} },
    ];
    const done = producer.publish(sent);
    vi.advanceTimersByTime(LINGER_MS);
    await done;
    expect(kafka.requests).toHaveLength(1);
    const { record } = kafka.requests[0]!;
    expect(record).toMatchObject({ topic: 'usage.events', acks: -1 });
    expect(record.messages).toHaveLength(1);
    const message = record.messages[0]!;
    expect(message).toMatchObject({ partition: P, key: String(P) });
    expect(message.headers).toMatchObject({ 'schema-version': WIRE_SCHEMA_VERSION, 'event-count': '2' });
    expect(message.headers?.['ingested-at']).toMatch(/^\d+$/);
    expect(decode(message)).toEqual(sent);
  });

  it('writes each record so it unpacks on its own, and keeps earlier record bytes intact', async () => {
    const kafka = new InMemoryProducer(true);
    const producer = new EventProducer(kafka.asProducer(), options({ batchEventsMax: 2 }));
    const batches = [events(ON_P, 2), events(ON_Q, 2), events(ON_P, 2)];
    for (const batch of batches) {
      await producer.publish(batch);
      await settle();
    }
    expect(kafka.messages).toHaveLength(3);
    // Decoded only now, after later packs reused the packer's buffer.
    expect(kafka.messages.map(decode)).toEqual(batches);
  });
});

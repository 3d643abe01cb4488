/**
 * The client over the /v1/stream WebSocket protocol, against a local `ws`
 * server that the test scripts (LocalStreamServer): the SDK's own unit test.
 * Tollgate's /v1/stream is not built yet; when it is, sdk.integration.test.ts
 * runs the same client against it.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TollgateClient, type TollgateClientOptions } from './client.ts';
import type { DeliveryFailure, RejectedEvent } from './errors.ts';
import type { EventInput } from './event.ts';
import { LocalStreamServer, type RecordedFrame } from './test-servers.ts';
import { streamUrl } from './ws-transport.ts';

let stream: LocalStreamServer;
const clients: TollgateClient[] = [];

beforeEach(async () => {
  stream = await LocalStreamServer.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 1_000 })));
  await stream.close();
});

interface Seen {
  rejected: RejectedEvent[];
  failed: DeliveryFailure[];
  sleepsMs: number[];
}

function newClient(options: Partial<TollgateClientOptions> = {}): { client: TollgateClient; seen: Seen } {
  const seen: Seen = { rejected: [], failed: [], sleepsMs: [] };
  const client = new TollgateClient({
    baseUrl: stream.url,
    transport: 'websocket',
    batchEventsMax: 2,
    flushIntervalMs: 3_600_000,
    requestTimeoutMs: 5_000,
    random: () => 0.5,
    sleep: async (ms) => { seen.sleepsMs.push(ms); },
    onRejected: (r) => seen.rejected.push(...r),
    onFailed: (f) => seen.failed.push(f),
    exitEvents: new EventEmitter(),
    ...options,
  });
  clients.push(client);
  return { client, seen };
}

function usage(tokens: number, id?: string): EventInput {
  return { type: 'api_request', subject: 'cust_1', data: { tokens }, ...(id === undefined ? {} : { id }) };
}

const eventIds = (frames: RecordedFrame[]): string[] => frames.flatMap((f) => f.events.map((e) => e.id));

describe('WebSocket transport', () => {
  const urls: { baseUrl: string; expected: string }[] = [
    { baseUrl: 'http://127.0.0.1:8080', expected: 'ws://127.0.0.1:8080/v1/stream' },
    { baseUrl: 'https://tollgate.example.com/api/', expected: 'wss://tollgate.example.com/api/v1/stream' },
  ];
  it.each(urls)('connects to $expected for baseUrl $baseUrl', ({ baseUrl, expected }) => {
    expect(streamUrl(baseUrl)).toBe(expected);
  });

  it('sends msgpack frames {seq, events} numbered from 1 after the hello, with the Authorization header', async () => {
    const { client } = newClient({ apiKey: 'tg_live_1' });
    const sent = [1, 2, 3, 4].map((i) => client.ingest(usage(i)));
    await client.flush();
    expect(stream.frames.items.map((f) => [f.connection, f.seq, f.events.length])).toEqual([[0, 1, 2], [0, 2, 2]]);
    expect(eventIds(stream.frames.items)).toEqual(sent);
    expect(stream.upgrades.items[0]?.authorization).toBe('Bearer tg_live_1');
    expect(client.stats()).toMatchObject({ accepted: 4, inFlight: 0 });
  });

  it('keeps at most hello.inFlightFramesMax frames unacknowledged', async () => {
    stream.hello = { ...stream.hello, inFlightFramesMax: 2 };
    const held: RecordedFrame[] = [];
    stream.onFrame = (frame) => held.push(frame);
    const { client } = newClient({ batchEventsMax: 1, requestsInFlightMax: 4 });
    for (let i = 0; i < 5; i++) client.ingest(usage(i));
    await stream.frames.waitFor(2);
    const peer = stream.peers[0]!;
    await peer.roundTrip();
    expect(stream.frames.items).toHaveLength(2);
    peer.accept(held.shift()!);
    await stream.frames.waitFor(3);
    await peer.roundTrip();
    expect(stream.frames.items.map((f) => f.seq)).toEqual([1, 2, 3]);
    stream.onFrame = (frame, p) => p.accept(frame);
    for (const frame of held.splice(0)) peer.accept(frame);
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 5 });
  });

  it('reconnects after a dropped connection and sends the unacknowledged frames again, same event ids, seq from 1', async () => {
    stream.onFrame = (frame, peer) => {
      if (frame.connection > 0) peer.accept(frame);
    };
    const { client, seen } = newClient();
    const sent = [1, 2, 3, 4].map((i) => client.ingest(usage(i)));
    const flushed = client.flush();
    await stream.frames.waitFor(2);
    stream.peers[0]!.drop();
    await flushed;
    const resent = stream.frames.items.filter((f) => f.connection === 1);
    expect(resent.map((f) => f.seq)).toEqual([1, 2]);
    expect(eventIds(resent).sort()).toEqual([...sent].sort());
    expect(stream.peers).toHaveLength(2);
    expect(seen.sleepsMs).toEqual([50, 50]);
    expect(client.stats()).toMatchObject({ accepted: 4, failed: 0 });
  });

  it('sends a frame again after a retryable error (TG_OVERLOADED)', async () => {
    stream.onFrame = (frame, peer) => {
      if (frame.seq === 1) peer.send({ seq: 1, error: { code: 'TG_OVERLOADED', message: 'busy' }, retryable: true });
      else peer.accept(frame);
    };
    const { client, seen } = newClient();
    client.ingest(usage(1));
    await client.flush();
    expect(stream.frames.items.map((f) => f.seq)).toEqual([1, 2]);
    expect(eventIds([stream.frames.items[1]!])).toEqual(eventIds([stream.frames.items[0]!]));
    expect(seen.sleepsMs).toEqual([50]);
    expect(client.stats()).toMatchObject({ accepted: 1 });
  });

  it('reports a frame with a non-retryable error (TG_BODY_MALFORMED) as failed without sending it again', async () => {
    stream.onFrame = (frame, peer) => peer.send({ seq: frame.seq, error: { code: 'TG_BODY_MALFORMED', message: 'bad' }, retryable: false });
    const { client, seen } = newClient();
    client.ingest(usage(1));
    await client.flush();
    expect(stream.frames.items).toHaveLength(1);
    expect(seen.failed).toEqual([expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: 'TG_BODY_MALFORMED' }) })]);
  });

  it('reports the rejected events of a frame answer', async () => {
    stream.onFrame = (frame, peer) => peer.send({ seq: frame.seq, accepted: 1, rejected: [{ index: 0, code: 'TG_EVENT_FIELD_INVALID', field: 'time', message: 'no such day' }] });
    const { client, seen } = newClient();
    const sent = [client.ingest(usage(1)), client.ingest(usage(2))];
    await client.flush();
    expect(seen.rejected.map((r) => [r.event.id, r.code, r.field])).toEqual([[sent[0], 'TG_EVENT_FIELD_INVALID', 'time']]);
    expect(client.stats()).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('splits a batch larger than hello.frameEventsMax before sending it', async () => {
    stream.hello = { ...stream.hello, frameEventsMax: 2 };
    const { client } = newClient({ batchEventsMax: 5 });
    for (let i = 0; i < 5; i++) client.ingest(usage(i));
    await client.flush();
    expect(stream.frames.items.map((f) => [f.seq, f.events.length])).toEqual([[1, 2], [2, 1], [3, 2]]);
    expect(client.stats()).toMatchObject({ accepted: 5 });
  });

  it('splits a frame the server answers TG_BATCH_TOO_LONG', async () => {
    stream.onFrame = (frame, peer) => {
      if (frame.events.length > 1) peer.send({ seq: frame.seq, error: { code: 'TG_BATCH_TOO_LONG', message: 'too many' }, retryable: false });
      else peer.accept(frame);
    };
    const { client } = newClient();
    client.ingest(usage(1));
    client.ingest(usage(2));
    await client.flush();
    expect(stream.frames.items.map((f) => f.events.length)).toEqual([2, 1, 1]);
    expect(client.stats()).toMatchObject({ accepted: 2 });
  });

  it('rejects an event bigger than hello.frameBytesMax on its own, and delivers its neighbour', async () => {
    stream.hello = { ...stream.hello, frameBytesMax: 500 };
    const { client, seen } = newClient();
    const big = client.ingest({ ...usage(1), data: { note: 'x'.repeat(1_000) } });
    client.ingest(usage(2));
    await client.flush();
    expect(seen.rejected.map((r) => [r.event.id, r.code])).toEqual([[big, 'TG_BODY_TOO_LARGE']]);
    expect(stream.frames.items.map((f) => f.events.length)).toEqual([1]);
    expect(client.stats()).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('opens a new connection when the server refuses the stream as a whole (TG_FRAME_INVALID) and sends the frame again', async () => {
    stream.onFrame = (frame, peer) => {
      if (frame.connection === 0) {
        peer.send({ error: { code: 'TG_FRAME_INVALID', message: 'seq out of order' } });
        peer.drop();
      } else {
        peer.accept(frame);
      }
    };
    const { client, seen } = newClient();
    client.ingest(usage(1));
    await client.flush();
    expect(stream.frames.items.map((f) => [f.connection, f.seq])).toEqual([[0, 1], [1, 1]]);
    expect(seen.sleepsMs).toEqual([50]);
    expect(client.stats()).toMatchObject({ accepted: 1, failed: 0 });
  });

  it('reports a refused upgrade (401) as failed without retrying it', async () => {
    stream.refuseWith = { status: 401, code: 'TG_UNAUTHORIZED' };
    const { client, seen } = newClient({ apiKey: 'wrong' });
    client.ingest(usage(1));
    await client.flush();
    expect(stream.upgrades.items).toHaveLength(1);
    expect(seen.failed).toEqual([expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: 'TG_UNAUTHORIZED', status: 401 }) })]);
  });

  it('retries a refused upgrade that says "later" (503) and delivers once the server takes it', async () => {
    stream.refuseWith = { status: 503, code: 'TG_OVERLOADED' };
    const { client, seen } = newClient({ sleep: async (ms) => { seen.sleepsMs.push(ms); stream.refuseWith = undefined; } });
    client.ingest(usage(1));
    await client.flush();
    expect(stream.upgrades.items).toHaveLength(2);
    expect(client.stats()).toMatchObject({ accepted: 1, failed: 0 });
  });
});

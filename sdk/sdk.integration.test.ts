/**
 * The SDK against a real Tollgate node (uWebSockets.js ingest with API keys
 * required, Kafka broker, rater, ClickHouse): events sent with the client over
 * HTTP and over the /v1/stream WebSocket are rated and read back with its
 * usage() helper. Each test uses its own day of event time and asks usage()
 * for that day only, so the tests do not see each other's events.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { DEMO, seedDemo } from '../cli/demo-data.ts';
import type { SingleNode } from '../cli/single-node.ts';
import type { UsageTotal as ServerUsageTotal } from '../rater/usage-query.ts';
import { createApiKey } from '../ingest/index.ts';
import { eventually, startTestNode } from '../test/node-fixture.ts';
import { TollgateClient, TollgateError, type DeliveryFailure, type EventInput, type RejectedEvent, type TollgateClientOptions, type UsageTotal } from './index.ts';

const TENANT = 'itest-sdk';
let node: SingleNode;
let apiKey: string;

beforeAll(async () => {
  node = await startTestNode({ defaultTenant: TENANT, raterGroupId: 'itest-sdk-rater', authMode: 'required' });
  await seedDemo(node.postgres.db, TENANT);
  apiKey = (await createApiKey(node.postgres.db, TENANT, 'itest-sdk')).key;
});

afterAll(async () => {
  await node?.close();
});

function newClient(options: Partial<TollgateClientOptions> = {}): { client: TollgateClient; rejected: RejectedEvent[]; failed: DeliveryFailure[] } {
  const rejected: RejectedEvent[] = [];
  const failed: DeliveryFailure[] = [];
  const client = new TollgateClient({
    baseUrl: node.url, apiKey, source: 'itest-sdk', batchEventsMax: 10, flushOnExit: false,
    onRejected: (r) => rejected.push(...r), onFailed: (f) => failed.push(f),
    ...options,
  });
  return { client, rejected, failed };
}

/** The usage() window of one UTC day, so each test reads only its own events. */
function day(date: string): { from: string; to: string; time: string } {
  const from = new Date(`${date}T00:00:00.000Z`);
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString(), time: `${date}T10:00:00.000Z` };
}

function tokens(count: number, time: string, id?: string): EventInput {
  return { type: DEMO.eventType, subject: DEMO.subject, time, data: { tokens: count }, ...(id === undefined ? {} : { id }) };
}

describe('SDK against a Tollgate node', () => {
  it('answers usage() with the type the server declares', () => {
    expectTypeOf<UsageTotal>().toEqualTypeOf<ServerUsageTotal>();
  });

  it('delivers msgpack batches over HTTP, and usage() reads the rated total back', async () => {
    const { client, rejected, failed } = newClient();
    const window = day('2026-11-23');
    for (let i = 1; i <= 25; i++) client.ingest(tokens(i, window.time));
    await client.flush();
    expect({ rejected, failed }).toEqual({ rejected: [], failed: [] });
    expect(client.stats()).toMatchObject({ accepted: 25, queued: 0, inFlight: 0 });
    const query = { subject: DEMO.subject, meter: DEMO.meter, from: window.from, to: window.to };
    const total = await eventually(() => client.usage(query), (u) => u.events === 25);
    // 1 + 2 + … + 25 = 325 tokens × 20 micros.
    const sums = { quantity: '325', amountMicros: '6500', currency: 'USD', events: 25 };
    expect(total).toEqual({
      subject: DEMO.subject, meter: DEMO.meter, from: window.from, to: window.to, ...sums, windowSize: null, groupBy: [],
      rows: [{ windowStart: null, windowEnd: null, subject: DEMO.subject, meter: DEMO.meter, ...sums }],
    });
    await client.close();
  });

  it('counts an event sent again with the same id once (JSON encoding)', async () => {
    const { client } = newClient({ encoding: 'json' });
    const window = day('2026-11-24');
    const id = client.ingest(tokens(7, window.time));
    await client.flush();
    // What a retry after a lost 202 does: the same event, same id, again.
    client.ingest(tokens(7, window.time, id));
    client.ingest(tokens(3, window.time));
    await client.flush();
    expect(client.stats()).toMatchObject({ accepted: 3 });
    const query = { subject: DEMO.subject, meter: DEMO.meter, from: window.from, to: window.to };
    const total = await eventually(() => client.usage(query), (u) => u.events >= 2 && BigInt(u.quantity ?? 0) >= 10n);
    expect(total).toMatchObject({ quantity: '10', events: 2 });
    await client.close();
  });

  it('reports an event the server rejects (a time that passes the schema but names no real day) and delivers its neighbour', async () => {
    const { client, rejected } = newClient();
    const window = day('2026-11-25');
    const bad = client.ingest(tokens(1, '2026-02-30T10:00:00Z'));
    client.ingest(tokens(2, window.time));
    await client.flush();
    expect(rejected).toEqual([{ event: expect.objectContaining({ id: bad }), code: 'TG_EVENT_FIELD_FORMAT', field: 'time', message: expect.any(String) }]);
    expect(client.stats()).toMatchObject({ accepted: 1, rejected: 1 });
    await client.close();
  });

  it('reports a batch sent with an unknown API key as failed, without retrying it', async () => {
    const { client, failed } = newClient({ apiKey: 'tg_aaaaaaaaaaaa_0000000000000000000000000000000000000000000', retry: { attemptsMax: 3 } });
    client.ingest(tokens(1, day('2026-11-27').time));
    await client.flush();
    expect(failed).toEqual([expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: 'TG_UNAUTHORIZED', status: 401 }) })]);
    await client.close();
  });

  it('checkAccess() answers the demo customer\'s soft token limit, and a coded 404 for an unknown feature', async () => {
    const { client } = newClient();
    const access = await client.checkAccess(DEMO.subject, DEMO.meter);
    expect(access).toMatchObject({ subject: DEMO.subject, feature: DEMO.meter, hasAccess: true, enforcement: 'soft', limit: DEMO.tokenLimit });
    expect(BigInt(access.limit!.split('.')[0]!)).toBeGreaterThanOrEqual(BigInt(access.remaining!.split('.')[0]!));
    const error = await client.checkAccess(DEMO.subject, 'no-such-meter').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ status: 404 });
    await client.close();
  });

  it('delivers over the /v1/stream WebSocket, and usage() reads the rated total back', async () => {
    const { client, rejected, failed } = newClient({ transport: 'websocket' });
    const window = day('2026-11-26');
    for (let i = 1; i <= 25; i++) client.ingest(tokens(10, window.time));
    const bad = client.ingest(tokens(1, '2026-02-30T10:00:00Z'));
    await client.flush();
    expect(failed).toEqual([]);
    expect(rejected.map((r) => [r.event.id, r.code, r.field])).toEqual([[bad, 'TG_EVENT_FIELD_FORMAT', 'time']]);
    expect(client.stats()).toMatchObject({ accepted: 25, rejected: 1 });
    const query = { subject: DEMO.subject, meter: DEMO.meter, from: window.from, to: window.to };
    const total = await eventually(() => client.usage(query), (u) => u.events === 25);
    expect(total).toMatchObject({ quantity: '250', amountMicros: '5000', currency: 'USD' });
    await client.close();
  });

  it('refuses a WebSocket connection with an unknown API key as TG_UNAUTHORIZED, without retrying it', async () => {
    const { client, failed } = newClient({ transport: 'websocket', apiKey: 'tg_aaaaaaaaaaaa_0000000000000000000000000000000000000000000' });
    client.ingest(tokens(1, day('2026-11-27').time));
    await client.flush();
    expect(failed).toEqual([expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: 'TG_UNAUTHORIZED', status: 401 }) })]);
    await client.close();
  });
});

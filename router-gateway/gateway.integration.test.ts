/**
 * The router gateway against real servers (Postgres, Kafka broker, ClickHouse
 * from test/global-setup.ts), Debian's radclient as an independent RADIUS
 * client, and the MikroTik simulator as NAS, CoA listener and RouterOS API.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateVoucherBatch, getVoucher, parseBatchRequest, sellVoucher } from '../ledger/index.ts';
import { seedProfile, seedTenant, type TestCustomer } from '../ledger/vouchers/test-support.ts';
import { connectKafka } from '../platform/kafka.ts';
import { createLogger } from '../platform/log.ts';
import { registry as metricsRegistry } from '../platform/metrics.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { eventually, startTestNode } from '../test/node-fixture.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { HOTSPOT_USAGE_EVENT_TYPE } from './events.ts';
import { startRouterGateway, type RouterGateway } from './gateway.ts';
import { encodeRequest, RADIUS_CODE } from './radius/codec.ts';
import { MikrotikSimulator } from './simulator/mikrotik-simulator.ts';

const TENANT = 'itest-router-gateway';
const GIB = 1024n ** 3n;
const MIB = 1024n ** 2n;
const SECRET = 'sim-secret-1234';
const API_USER = 'api';
const API_PASSWORD = 'api-password';

let node: SingleNode;
let db: Database;
let gateway: RouterGateway;
let alice: TestCustomer;
const simulators: MikrotikSimulator[] = [];

async function newVoucher(): Promise<{ id: string; code: string }> {
  const ctx = { tenantId: TENANT, actor: 'test' };
  const request = parseBatchRequest({ profile: '1GB-DAILY', count: 1 });
  if (!request.ok) throw new Error(request.error.message);
  const generated = await generateVoucherBatch(db, ctx, request.value);
  if (!generated.ok) throw new Error(generated.error.message);
  const [row] = await db.select({ id: schema.vouchers.id }).from(schema.vouchers).where(eq(schema.vouchers.batchId, generated.value.batch.id));
  const sold = await sellVoucher(db, ctx, { voucherId: row!.id, customerId: alice.id, payment: 'external' });
  if (!sold.ok) throw new Error(sold.error.message);
  const view = await getVoucher(db, TENANT, row!.id);
  if (!view.ok || !view.value.code) throw new Error('voucher has no code');
  return { id: row!.id, code: view.value.code };
}

async function addRouter(name: string, address: string, sim?: MikrotikSimulator): Promise<void> {
  await db.delete(schema.routerCutoffs).where(sql`router_id IN (SELECT id FROM routers WHERE host = ${address})`);
  await db.delete(schema.radiusSessions).where(sql`router_id IN (SELECT id FROM routers WHERE host = ${address})`);
  await db.delete(schema.routerBackups).where(sql`router_id IN (SELECT id FROM routers WHERE host = ${address})`);
  await db.delete(schema.routers).where(eq(schema.routers.host, address));
  const added = await gateway.registry.add(TENANT, {
    name, host: address, apiPort: sim?.apiPort ?? 8728, apiTls: false, coaPort: sim?.coaPort ?? 3799, apiUser: API_USER, apiPassword: API_PASSWORD,
    radiusSecret: SECRET, requestsPerMinuteMax: 100, backupIntervalSeconds: 86_400,
  });
  if (!added.ok) throw new Error(added.message);
}

async function simulator(address: string, name: string, nakDisconnects = false): Promise<MikrotikSimulator> {
  const sim = new MikrotikSimulator({ address, gatewayHost: '127.0.0.1', authPort: gateway.radius.ports.auth, acctPort: gateway.radius.ports.acct,
    secret: SECRET, apiUser: API_USER, apiPassword: API_PASSWORD, nakDisconnects, timeoutMs: 3000, retriesMax: 2 });
  await sim.start();
  simulators.push(sim);
  await addRouter(name, address, sim);
  return sim;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((s, v) => s + v.value, 0);
}

async function radclient(input: string, kind: 'auth' | 'acct'): Promise<string> {
  const port = kind === 'auth' ? gateway.radius.ports.auth : gateway.radius.ports.acct;
  const child = execFile('radclient', ['-x', '-r', '2', '-t', '3', `127.0.0.1:${port}`, kind, SECRET], { timeout: 20_000 });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin?.end(input);
  await new Promise((resolve) => child.on('close', resolve));
  return out;
}

beforeAll(async () => {
  node = await startTestNode();
  db = node.postgres.db;
  ({ alice } = { alice: (await seedTenant(db, TENANT, [{ subject: 'alice', currency: 'UGX' }])).alice! });
  await seedProfile(db, TENANT, { name: '1GB-DAILY', currency: 'UGX', priceMicros: 5_000_000_000n, dataQuotaBytes: GIB, timeQuotaSeconds: null,
    validitySeconds: 86_400n, rateLimit: '2M/2M', sharedUsers: 1 });
  await db.insert(schema.meters).values({ tenantId: TENANT, slug: 'hotspot-bytes', eventType: HOTSPOT_USAGE_EVENT_TYPE, aggregation: 'SUM', valueProperty: 'bytes' }).onConflictDoNothing();
  const log = createLogger(process.env.TOLLGATE_TEST_LOG_LEVEL ?? 'silent', 'router-gateway-test');
  const kafka = connectKafka(inject('infra').kafkaBrokers, 'router-gateway-test', log);
  const kafkaProducer = kafka.producer({ allowAutoTopicCreation: false });
  await kafkaProducer.connect();
  gateway = await startRouterGateway({ db, kafka, kafkaProducer, publisher: node.producer, log }, {
    host: '0.0.0.0', authPort: 0, acctPort: 0, interimIntervalSeconds: 30, requireMessageAuthenticator: true, inFlightPacketsMax: 10_000,
    secretKeyBase64: randomBytes(32).toString('base64'), healthIntervalMs: 3_600_000, sweepIntervalMs: 500, groupIdPrefix: `itest-gw-${Date.now()}`,
    cutoff: { disconnectTimeoutMs: 300, disconnectAttemptsMax: 2, backoffBaseMs: 50 },
  });
  await addRouter('radclient', '127.0.0.1');
}, 120_000);

afterAll(async () => {
  for (const sim of simulators) await sim.stop();
  await gateway?.stop();
  await node?.close();
});

describe('RADIUS with radclient (an independent client)', () => {
  it('accepts a sold voucher with Session-Timeout, Mikrotik-Total-Limit(+Gigawords), Mikrotik-Rate-Limit and Acct-Interim-Interval', async () => {
    const voucher = await newVoucher();
    const out = await radclient(`User-Name = "${voucher.code}"\nUser-Password = "${voucher.code}"\nMessage-Authenticator = 0x00\nNAS-Identifier = "hotspot1"\n`, 'auth');
    expect(out).toMatch(/Received Access-Accept/);
    expect(out).toMatch(/Mikrotik-Rate-Limit = "2M\/2M"/);
    expect(out).toMatch(/Mikrotik-Total-Limit = 1073741824/); // 1 GiB left: low 32 bits
    expect(out).toMatch(/Mikrotik-Total-Limit-Gigawords = 0/);
    expect(out).toMatch(/Acct-Interim-Interval = 30/);
    expect(out).toMatch(/Session-Timeout = 86400/);
    const [row] = await db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id));
    expect(row!.status).toBe('active'); // first login activates
  });

  it('rejects an unknown code with a Reply-Message', async () => {
    const out = await radclient('User-Name = "NOSUCHCODE22"\nUser-Password = "NOSUCHCODE22"\nMessage-Authenticator = 0x00\n', 'auth');
    expect(out).toMatch(/Received Access-Reject/);
    expect(out).toMatch(/Reply-Message = "Unknown voucher code"/);
  });

  it('answers Accounting-Request Start and Interim-Update with MikroTik attributes once the usage is in Kafka', async () => {
    const voucher = await newVoucher();
    await radclient(`User-Name = "${voucher.code}"\nUser-Password = "${voucher.code}"\nMessage-Authenticator = 0x00\n`, 'auth');
    const base = `User-Name = "${voucher.code}"\nAcct-Session-Id = "rc-${voucher.id.slice(0, 8)}"\nFramed-IP-Address = 10.5.50.9\nMikrotik-Host-IP = 10.5.50.9\n`;
    expect(await radclient(`${base}Acct-Status-Type = Start\n`, 'acct')).toMatch(/Received Accounting-Response/);
    expect(await radclient(`${base}Acct-Status-Type = Interim-Update\nAcct-Input-Octets = 1000\nAcct-Output-Octets = 5000\nAcct-Session-Time = 60\n`, 'acct'))
      .toMatch(/Received Accounting-Response/);
    const [session] = await db.select().from(schema.radiusSessions).where(eq(schema.radiusSessions.acctSessionId, `rc-${voucher.id.slice(0, 8)}`));
    expect(session).toMatchObject({ voucherId: voucher.id, reports: 1n, bytesIn: 1000n, bytesOut: 5000n, seconds: 60n, state: 'active' });
  });
});

describe('end to end with the MikroTik simulator', () => {
  it('a 1GB-DAILY voucher logs in, interim updates reach Kafka, the rater and ClickHouse, and crossing the quota sends a Disconnect-Request', async () => {
    const sim = await simulator('127.0.0.21', 'sim-ack');
    const voucher = await newVoucher();
    const login = await sim.login(voucher.code, voucher.code);
    expect(login.accepted).toBe(true);
    const session = login.session!;
    await sim.account(session, 'Start');
    for (let i = 1; i <= 4; i++) {
      session.bytesOut += 200n * MIB;
      session.bytesIn += 10n * MIB;
      session.seconds += 30;
      await sim.account(session, 'Interim-Update');
    }
    expect(sim.disconnects).toHaveLength(0); // 840 MiB of 1 GiB
    const crossedAtMs = Date.now();
    session.bytesOut += 300n * MIB;
    session.seconds += 30;
    await sim.account(session, 'Interim-Update');
    const [disconnect] = await eventually(async () => sim.disconnects, (d) => d.length > 0, 20_000);
    expect(disconnect!.answered).toBe('ack');
    expect(disconnect!.attributes).toMatchObject({ 'User-Name': voucher.code, 'Acct-Session-Id': session.acctSessionId, 'Framed-IP-Address': session.framedIp });
    expect(disconnect!.atMs - crossedAtMs).toBeLessThan(10_000);
    const [cutoff] = await eventually(() => db.select().from(schema.routerCutoffs).where(eq(schema.routerCutoffs.acctSessionId, session.acctSessionId)),
      (rows) => rows.length > 0 && rows[0]!.outcome !== 'pending');
    expect(cutoff).toMatchObject({ method: 'disconnect', outcome: 'done', cause: 'voucher.used' });
    const [row] = await db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id));
    expect(row).toMatchObject({ status: 'used', dataUsedBytes: 840n * MIB + 300n * MIB });
    // The same usage reached ClickHouse through the rater (5 metered reports: Start + 5 interims, Start has 0 bytes).
    const rows = await eventually(async () => {
      const result = await node.clickhouse.query({ query: `SELECT count() AS n, sum(toUInt64OrZero(JSONExtractString(data, 'bytes'))) AS b FROM events_raw FINAL WHERE tenant = {t:String} AND subject = {s:String}`,
        query_params: { t: TENANT, s: `voucher:${voucher.id}` }, format: 'JSONEachRow' });
      return (await result.json()) as { n: string; b: string }[];
    }, (r) => Number(r[0]?.n ?? 0) >= 6, 60_000);
    expect(Number(rows[0]!.n)).toBe(6);
    // A second login is refused: the voucher is used up.
    const again = await sim.login(voucher.code, voucher.code);
    expect(again.accepted).toBe(false);
    expect(again.reply.attributes['Reply-Message']).toBe('This voucher has no data or time left');
  }, 90_000);

  it('a router that NAKs the Disconnect-Request gets the RouterOS API fallback (/ip/hotspot/active/remove)', async () => {
    const sim = await simulator('127.0.0.22', 'sim-nak', true);
    const voucher = await newVoucher();
    const { session } = await sim.login(voucher.code, voucher.code);
    await sim.account(session!, 'Start');
    expect(sim.api.state.active.map((e) => e['session-id'])).toContain(session!.acctSessionId);
    await gateway.cutoffs.cutSessions(await gateway.sessions.activeSessions({ tenantId: TENANT, voucherId: voucher.id }), 'test.cutoff');
    expect(sim.disconnects.map((d) => d.answered)).toEqual(['nak']);
    expect(sim.api.state.commands).toEqual(expect.arrayContaining(['/login', '/ip/hotspot/active/print', '/ip/hotspot/active/remove']));
    expect(sim.api.state.active.map((e) => e['session-id'])).not.toContain(session!.acctSessionId);
    const [cutoff] = await db.select().from(schema.routerCutoffs).where(and(eq(schema.routerCutoffs.acctSessionId, session!.acctSessionId), eq(schema.routerCutoffs.cause, 'test.cutoff')));
    expect(cutoff).toMatchObject({ method: 'api', outcome: 'done' });
    expect(await metricValue('tollgate_router_cutoffs_total', { router: 'sim-nak', method: 'api', outcome: 'done' })).toBe(1);
  }, 30_000);

  it('a disabled voucher\'s session is cut off by the sweep', async () => {
    const sim = await simulator('127.0.0.23', 'sim-sweep');
    const voucher = await newVoucher();
    const { session } = await sim.login(voucher.code, voucher.code);
    await sim.account(session!, 'Start');
    const { disableVoucher } = await import('../ledger/index.ts');
    const disabled = await disableVoucher(db, { tenantId: TENANT, actor: 'test' }, { voucherId: voucher.id });
    expect(disabled.ok).toBe(true);
    await eventually(async () => sim.disconnects.length, (n) => n > 0, 10_000);
    const [cutoff] = await eventually(() => db.select().from(schema.routerCutoffs).where(eq(schema.routerCutoffs.acctSessionId, session!.acctSessionId)),
      (rows) => rows.length > 0 && rows[0]!.outcome === 'done');
    expect(cutoff!.cause).toBe('voucher.disabled');
  }, 30_000);
});

describe('N simulated users', () => {
  it('each logs in, reports and stops; every session ends stopped with its totals', async () => {
    const sim = await simulator('127.0.0.31', 'sim-users');
    const vouchers = await Promise.all(Array.from({ length: 6 }, () => newVoucher()));
    const accepted = await sim.runUsers(vouchers.map((v) => ({ user: v.code, password: v.code })), 3, 10n * MIB);
    expect(accepted).toBe(6);
    const router = (await gateway.registry.view(TENANT, 'sim-users'))!;
    const rows = await db.select().from(schema.radiusSessions).where(eq(schema.radiusSessions.routerId, router.id));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toMatchObject({ state: 'stopped', reports: 4n, bytesOut: 30n * MIB, bytesIn: 3n * MIB, seconds: 180n });
    expect(await metricValue('tollgate_radius_active_sessions', { router: 'sim-users' })).toBe(0);
    expect(await metricValue('tollgate_radius_accounting_octets_total', { router: 'sim-users', direction: 'out' })).toBe(Number(6n * 30n * MIB));
  }, 60_000);
});

describe('accounting deltas', () => {
  it('a resent or reordered report is metered once, by delta', async () => {
    const sim = await simulator('127.0.0.24', 'sim-delta');
    const voucher = await newVoucher();
    const { session } = await sim.login(voucher.code, voucher.code);
    const s = session!;
    await sim.account(s, 'Start');
    s.bytesOut = 1000n; s.seconds = 10;
    const older = sim.accountingAttributes(s, 'Interim-Update');
    await sim.account(s, 'Interim-Update');
    await sim.account(s, 'Interim-Update'); // resent: duplicate
    s.bytesOut = 5000n; s.seconds = 20;
    await sim.account(s, 'Interim-Update');
    await sim.request('Accounting-Request', older, gateway.radius.ports.acct); // arrives late: stale
    const [row] = await db.select().from(schema.radiusSessions).where(eq(schema.radiusSessions.acctSessionId, s.acctSessionId));
    expect(row).toMatchObject({ reports: 2n, bytesOut: 5000n, seconds: 20n });
    expect(await metricValue('tollgate_radius_packets_total', { router: 'sim-delta', kind: 'accounting', result: 'duplicate' })).toBe(1);
    expect(await metricValue('tollgate_radius_packets_total', { router: 'sim-delta', kind: 'accounting', result: 'stale' })).toBe(1);
  });
});

describe('bad packets', () => {
  async function send(packet: Buffer, from = '127.0.0.25'): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, from, () => resolve()));
    await new Promise<void>((resolve) => socket.send(packet, gateway.radius.ports.acct, '127.0.0.1', () => resolve()));
    socket.close();
  }

  it('drops a wrong secret, a bad authenticator, a truncated packet and an unknown router, counting each', async () => {
    await simulator('127.0.0.25', 'sim-bad');
    const good = encodeRequest('Accounting-Request', 1, [['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'x1'], ['User-Name', 'u']], SECRET);
    await send(encodeRequest('Accounting-Request', 2, [['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 'x1'], ['User-Name', 'u']], 'wrong-secret'));
    const tampered = Buffer.from(good);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    await send(tampered);
    await send(good.subarray(0, 15));
    await send(good, '127.0.0.26');
    await eventually(async () => [
      await metricValue('tollgate_radius_packets_total', { router: 'sim-bad', result: 'bad_authenticator' }),
      await metricValue('tollgate_radius_packets_total', { result: 'truncated' }),
      await metricValue('tollgate_radius_packets_total', { result: 'unknown_router' }),
    ], (v) => v[0] === 2 && v[1]! >= 1 && v[2]! >= 1, 5_000);
  });

  it('survives thousands of random and mutated packets and still answers a good one', async () => {
    const sim = await simulator('127.0.0.27', 'sim-fuzz');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.27', () => resolve()));
    const seed = encodeRequest('Accounting-Request', 3, [['Acct-Status-Type', 'Interim-Update'], ['Acct-Session-Id', 'fz'], ['User-Name', 'u'],
      ['Acct-Input-Octets', 5], [26, Buffer.from([0, 0, 0x3a, 0x8c, 8, 4, 0x41, 0x42])], [200, Buffer.from('unknown attribute')]], SECRET);
    for (let i = 0; i < 5000; i++) {
      let packet: Buffer;
      if (i % 3 === 0) packet = randomBytes(1 + (i % 300));
      else {
        packet = Buffer.from(seed);
        for (let k = 0; k < 1 + (i % 4); k++) packet[(i * 7 + k * 13) % packet.length] = randomBytes(1)[0]!;
        if (i % 5 === 0) packet.writeUInt16BE(20 + (i % 100), 2);
      }
      packet[0] = i % 2 === 0 ? RADIUS_CODE.accountingRequest : packet[0]!;
      socket.send(packet, i % 2 ? gateway.radius.ports.auth : gateway.radius.ports.acct, '127.0.0.1');
      if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    socket.close();
    const voucher = await newVoucher();
    const login = await sim.login(voucher.code, voucher.code);
    expect(login.accepted).toBe(true);
    await sim.account(login.session!, 'Start');
    const dropped = await metricValue('tollgate_radius_packets_total', { router: 'sim-fuzz' });
    expect(dropped).toBeGreaterThan(1000);
  }, 60_000);
});

describe('RouterOS API', () => {
  it('tests the connection, records health and takes a config backup', async () => {
    const sim = await simulator('127.0.0.28', 'sim-api');
    const router = (await gateway.registry.get(TENANT, 'sim-api'))!;
    const { checkRouter, backupIfDue } = await import('./health.ts');
    const health = await checkRouter(gateway.registry, gateway.api, router);
    expect(health).toMatchObject({ up: true, resources: { cpuLoadPercent: 7, uptimeSeconds: 93_784n } });
    expect((await gateway.registry.get(TENANT, 'sim-api'))!.view).toMatchObject({ status: 'online', cpuLoadPercent: 7, uptimeSeconds: '93784' });
    expect(await backupIfDue(db, gateway.api, router, new Date())).toBe(true);
    const [backup] = await db.select().from(schema.routerBackups).where(eq(schema.routerBackups.routerId, router.view.id));
    expect(backup!.exportText).toMatch(/simulator export/);
    await gateway.api.addHotspotUser(router, { name: 'V123', password: 'V123', limitBytesTotal: GIB });
    expect(sim.api.state.users).toEqual([expect.objectContaining({ name: 'V123', 'limit-bytes-total': String(GIB) })]);
    await gateway.api.removeHotspotUser(router, 'V123');
    expect(sim.api.state.users).toEqual([]);
  });

  it('a wrong API password marks the router as error', async () => {
    await simulator('127.0.0.29', 'sim-badpass');
    await db.update(schema.routers).set({ apiUser: 'nobody' }).where(eq(schema.routers.name, 'sim-badpass'));
    const router = (await gateway.registry.get(TENANT, 'sim-badpass'))!;
    const { checkRouter } = await import('./health.ts');
    expect(await checkRouter(gateway.registry, gateway.api, router)).toMatchObject({ up: false });
    expect((await gateway.registry.get(TENANT, 'sim-badpass'))!.view.status).toBe('error');
  });
});

describe('single node with the gateway on, and the /v1/routers API', () => {
  let gatewayNode: SingleNode | undefined;
  afterAll(async () => { await gatewayNode?.close(); });

  it('registers, lists and tests routers over HTTP; secrets are never returned; bad input gets a coded error', async () => {
    gatewayNode = await startTestNode({ routerGateway: 'on', radiusHost: '127.0.0.1', radiusAuthPort: 0, radiusAcctPort: 0,
      routerSecretKey: randomBytes(32).toString('base64'), authMode: 'optional', defaultTenant: TENANT }, { rater: false });
    const sim = new MikrotikSimulator({ address: '127.0.0.30', gatewayHost: '127.0.0.1', authPort: 1, acctPort: 1, secret: SECRET, apiUser: API_USER, apiPassword: API_PASSWORD });
    await sim.start();
    simulators.push(sim);
    await db.delete(schema.routers).where(eq(schema.routers.host, '127.0.0.30'));
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${gatewayNode!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await post('/v1/routers', { name: 'http-r1', host: '127.0.0.30', apiUser: API_USER, apiPassword: API_PASSWORD, radiusSecret: SECRET, apiPort: sim.apiPort });
    expect(created.status).toBe(201);
    const text = await created.text();
    expect(text).not.toContain(API_PASSWORD);
    expect(text).not.toContain(SECRET);
    const [row] = await db.select().from(schema.routers).where(eq(schema.routers.host, '127.0.0.30'));
    expect(row!.apiPasswordSealed).not.toContain(API_PASSWORD); // sealed at rest
    expect(row!.radiusSecretSealed).not.toContain(SECRET);
    const again = await post('/v1/routers', { name: 'http-r1', host: '127.0.0.30', apiUser: 'a', apiPassword: 'b', radiusSecret: SECRET });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('TG_ROUTER_EXISTS');
    const bad = await post('/v1/routers', { name: 'x', host: 'router.example', apiUser: 'a', apiPassword: 'b', radiusSecret: SECRET });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'TG_ROUTER_FIELD_INVALID', field: 'host' } });
    const list = (await (await fetch(`${gatewayNode.url}/v1/routers`)).json()) as { routers: { name: string }[] };
    expect(list.routers.map((r) => r.name)).toContain('http-r1');
    const tested = await post(`/v1/routers/http-r1/test`, {});
    expect(tested.status).toBe(200);
    expect(await tested.json()).toMatchObject({ ok: true, resources: { cpuLoadPercent: 7 } });
    expect((await fetch(`${gatewayNode.url}/v1/routers/nope`)).status).toBe(404);
    const removedWithHistory = await fetch(`${gatewayNode.url}/v1/routers/${(await gateway.registry.get(TENANT, 'sim-ack'))!.view.id}`, { method: 'DELETE' });
    expect(await removedWithHistory.json()).toMatchObject({ error: { code: 'TG_ROUTER_HAS_HISTORY' } });
    expect((await fetch(`${gatewayNode.url}/v1/routers/http-r1`, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);
});

/**
 * The live page end to end: a single node on the real test infrastructure,
 * the demo world and its synthetic traffic, the page rendered by headless
 * Chromium until its figures are live, and a screenshot of it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestNode } from '../test/node-fixture.ts';
import type { SingleNode } from '../cli/single-node.ts';
import { createLogger } from '../platform/log.ts';
import { projectRoot } from '../scripts/infra.ts';
import { TEST_INFRA } from '../test/global-setup.ts';
import { captureLivePage, figureValue } from './browser.ts';
import { startDemoTraffic, type DemoTraffic } from './demo-traffic.ts';
import { DEMO_CUSTOMERS, seedDemoWorld } from './demo-world.ts';
import { DEMO_PLANS, seedDemoPlans } from './demo-plans.ts';
import type { LiveFigures } from './live-figures.ts';

/** A tenant of its own: the demo's extra meter and plans must not change what other suites rate for `default`. */
const TENANT = `ops-live-${randomUUID().slice(0, 8)}`;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('the live page at / (ingest tier)', () => {
  let node: SingleNode;
  let traffic: DemoTraffic;

  beforeAll(async () => {
    // Keyless requests act for the default tenant, here a fresh one.
    node = await startTestNode({ authMode: 'optional', defaultTenant: TENANT });
    await seedDemoWorld(node.postgres.db, TENANT);
    await seedDemoPlans(node.url);
    traffic = startDemoTraffic({ baseUrl: node.url, eventsPerSecond: 200, log: createLogger('silent', 'demo-traffic') });
  });

  afterAll(async () => {
    await traffic?.stop();
    await node?.close();
  });

  it('serves figures of the caller\'s tenant that move with the demo traffic', async () => {
    const live = await eventually(async () => {
      const response = await fetch(`${node.url}/v1/live`);
      expect(response.status).toBe(200);
      return await response.json() as LiveFigures;
    }, (f) => (f.ingestEventsPerSecond ?? 0) > 0 && f.ratedEventsPerSecond > 0 && f.topCustomers.length > 0);
    const demoSubjects = new Set(DEMO_CUSTOMERS.map((c) => c.subject));
    expect(live.topCustomers.some((c) => demoSubjects.has(c.subject))).toBe(true);
    // Money stays exact: micro-units as an integer string.
    for (const c of live.topCustomers) expect(c.amountMicros).toMatch(/^-?\d+$/);
    expect(traffic.stats().accepted).toBeGreaterThan(0);
    expect(traffic.stats().rejected).toBe(0);
  });

  it('seeds plans and subscriptions through the catalog API, once', async () => {
    // beforeAll seeded already: a second seeding creates nothing.
    expect(await seedDemoPlans(node.url)).toEqual({ plansCreated: [], subscriptionsCreated: [] });
    for (const plan of DEMO_PLANS) {
      for (const subject of plan.subscribers) {
        const response = await fetch(`${node.url}/v1/subscriptions?subject=${subject}`);
        const body = await response.json() as { subscriptions: { plan?: string; planVersionId?: string }[] };
        expect(body.subscriptions, subject).toHaveLength(1);
      }
    }
  });

  it('refuses a request with an unknown API key, like every tenant-scoped route', async () => {
    const response = await fetch(`${node.url}/v1/live`, { headers: { Authorization: 'Bearer tg_not_a_key' } });
    expect(response.status).toBe(401);
    expect((await response.json() as { error: { code: string } }).error.code).toBe('TG_UNAUTHORIZED');
  });

  it('renders in headless Chromium with non-zero live figures (screenshot)', async () => {
    const dir = join(TEST_INFRA.stateDir ?? join(projectRoot, '.state', 'test'), 'screenshots');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'live-page.png');
    const capture = await captureLivePage(`${node.url}/`, file);
    expect(figureValue(capture.ingestRateText)).toBeGreaterThan(0);
    expect(figureValue(capture.ratedRateText)).toBeGreaterThan(0);
    expect(figureValue(capture.activeCustomersText)).toBeGreaterThan(0);
    expect(capture.topCustomers.length).toBeGreaterThan(0);
    expect(capture.topCustomers[0]!.amount).toMatch(/^[\d,]+\.\d{2} USD$/);
    expect(capture.status).toMatch(/^updated /);
    expect(existsSync(file)).toBe(true);
    const png = readFileSync(file);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // Width and height from the IHDR chunk: the viewport the page was rendered at.
    expect(png.readUInt32BE(16)).toBe(1100);
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(500);
  });
});

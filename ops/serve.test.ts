/**
 * `tollgate serve --role`: role parsing, and nodes of one role on the real
 * test infrastructure serving only their role's routes (plus the ops routes).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestNode } from '../test/node-fixture.ts';
import { parseRoles, ServeUsageError } from './serve.ts';

/** A tenant of its own, so the events these tests post are never rated as another suite's customers. */
const TENANT = `ops-test-${randomUUID().slice(0, 8)}`;

describe('parseRoles', () => {
  it.each([
    ['ingest', ['ingest']],
    ['rater,api', ['rater', 'api']],
    ['all', ['ingest', 'rater', 'api']],
    [' api , api ', ['api']],
  ])('%s', (text, roles) => {
    expect([...parseRoles(text)]).toEqual(roles);
  });

  it('refuses an unknown or empty role with the list of valid ones', () => {
    expect(() => parseRoles('billing')).toThrow(ServeUsageError);
    expect(() => parseRoles('billing')).toThrow(/ingest, rater, api, all/);
    expect(() => parseRoles(' , ')).toThrow(/at least one role/);
  });
});

async function status(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

describe('a node of one role', () => {
  it('ingest serves events, the stream and the live page, but not the API; every role serves /metrics', async () => {
    const node = await startTestNode({ authMode: 'optional', defaultTenant: TENANT }, { roles: new Set(['ingest']) });
    try {
      expect(await status(`${node.url}/`)).toBe(200);
      expect(await status(`${node.url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ specversion: '1.0', id: 'serve-1', source: 'ops-serve-test', type: 'api_request', subject: 'cust_serve', data: { tokens: 1 } }) })).toBe(202);
      expect(await status(`${node.url}/v1/usage?subject=cust_serve&meter=tokens`)).toBe(404);
      expect(await status(`${node.url}/v1/wallets/cust_serve`)).toBe(404);
      expect(await status(`${node.url}/metrics`)).toBe(200);
      expect(node.rater.isRunning).toBe(false);
    } finally {
      await node.close();
    }
  });

  it('api serves usage and wallets, but takes no events', async () => {
    const node = await startTestNode({ authMode: 'optional', defaultTenant: TENANT }, { roles: new Set(['api']) });
    try {
      expect(await status(`${node.url}/v1/usage?subject=cust_serve&meter=tokens`)).toBe(200);
      expect(await status(`${node.url}/v1/events`, { method: 'POST', body: '[]' })).toBe(404);
      expect(await status(`${node.url}/`)).toBe(404);
      expect(await status(`${node.url}/readyz`)).toBe(200);
      expect(node.rater.isRunning).toBe(false);
    } finally {
      await node.close();
    }
  });
});

/**
 * k6 itself is not installable here, so the parts of bench/k6 that can run
 * in Node are checked: the scripts parse, the msgpack subset agrees with
 * msgpackr (what the server uses) both ways and against a real /v1/stream,
 * and the events equal the Node harness' bytes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../bench/k6/lib/msgpack.js';
import { benchEvent, benchEvents } from '../bench/k6/lib/events.js';
import { benchSubject, cloudEventJson } from '../bench/events.ts';
import { projectRoot } from '../scripts/infra.ts';
import { startTestNode } from '../test/node-fixture.ts';

/** A tenant of its own, so the events these tests post are never rated as another suite's customers. */
const TENANT = `ops-test-${randomUUID().slice(0, 8)}`;

const K6_DIR = join(projectRoot, 'bench', 'k6');
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const packr = new Packr({ useRecords: false });

describe('bench/k6 scripts', () => {
  it.each(readdirSync(K6_DIR).filter((f) => f.endsWith('.js')))('%s parses', (file) => {
    execFileSync(process.execPath, ['--check', join(K6_DIR, file)], { stdio: 'pipe' });
  });
});

describe('bench/k6/lib/msgpack.js', () => {
  const samples: [string, unknown][] = [
    ['small ints', { seq: 1, n: 127, m: 128, k: 65_535, big: 4_000_000_000 }],
    ['negatives and floats', { a: -1, b: -32, c: -33, d: -2_000_000_000, e: 1.5, f: -0.25 }],
    ['strings of every length class and unicode', { s: '', t: 'x'.repeat(31), u: 'y'.repeat(32), v: 'z'.repeat(300), w: 'héllo — 你好 😀', x: 'q'.repeat(70_000) }],
    ['nil, booleans, nested arrays and maps', { a: null, b: true, c: false, d: [1, [2, [3]], { e: 'f' }], g: Array.from({ length: 20 }, (_, i) => i) }],
    ['a stream frame', { seq: 3, events: benchEvents('r', 'src', 0, 20, 5, '2026-11-25T04:00:00.000Z') }],
    ['a map of 20 keys', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))],
  ];

  it.each(samples)('encodes %s as msgpackr reads it', (_name, value) => {
    expect(unpackr.unpack(Buffer.from(encode(value)))).toEqual(value);
  });

  it.each(samples)('decodes %s as msgpackr writes it', (_name, value) => {
    const bytes = packr.pack(value);
    const owned = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(decode(owned as ArrayBuffer)).toEqual(value);
  });
});

describe('bench/k6/lib/events.js', () => {
  it('produces exactly the Node harness\' events (bench/events.ts)', () => {
    const timeIso = '2026-11-25T04:00:00.000Z';
    for (const n of [0, 1, 2, 99, 12_345]) {
      const fromK6 = JSON.stringify(benchEvent('run', 'src', n, 100, timeIso));
      const fromHarness = cloudEventJson({ id: `k6-run-${n.toString(36)}`, source: 'src', subject: benchSubject(n % 100), timeIso, n });
      expect(fromK6).toBe(fromHarness);
    }
    expect(benchEvent('run', 'src', 5, 0, timeIso).subject).toBe('cust_42');
  });
});

describe('the k6 WebSocket protocol against a real /v1/stream', () => {
  it('gets a hello and an ack of every event for frames encoded by lib/msgpack.js', async () => {
    const node = await startTestNode({ authMode: 'optional', defaultTenant: TENANT }, { rater: false });
    try {
      const socket = new WebSocket(`${node.url.replace('http', 'ws')}/v1/stream`);
      const messages: Record<string, unknown>[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.on('message', (data: Buffer) => {
          const message = decode(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer) as Record<string, unknown>;
          messages.push(message);
          if (message.hello) {
            socket.send(Buffer.from(encode({ seq: 1, events: benchEvents('k6ws-test', 'ops-k6-test', 0, 50, 0, new Date().toISOString()) })));
            socket.send(Buffer.from(encode({ seq: 2, events: benchEvents('k6ws-test', 'ops-k6-test', 50, 50, 0, new Date().toISOString()) })));
          }
          if (message.seq === 2) socket.close();
        });
        socket.once('error', reject);
        socket.once('close', () => resolve());
      });
      expect(messages[0]).toHaveProperty('hello');
      expect(messages.slice(1)).toEqual([{ seq: 1, accepted: 50, rejected: [] }, { seq: 2, accepted: 50, rejected: [] }]);
    } finally {
      await node.close();
    }
  });
});

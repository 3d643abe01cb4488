/**
 * WebSocket load generator (its own process, forked by bench/scenarios/ingest.ts):
 * `connections` sockets to /v1/stream, each keeping `window` frames of
 * `batch` events in flight, for `seconds`. Reports acked events/s and the
 * send→ack latency of each frame. Bounded by time; exits by itself.
 *   argv: url authorization connections window seconds batchBodyJson
 */
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { percentiles } from '../stats.ts';

const [url, authorization, connectionsText, windowText, secondsText, batchJson] = process.argv.slice(2);
const connections = Number(connectionsText);
const windowFrames = Number(windowText);
const seconds = Number(secondsText);
const events = JSON.parse(batchJson!) as unknown[];
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const latencies: number[] = [];
let ackedEvents = 0;
let errorAcks = 0;
const cpuStart = process.cpuUsage();

async function drive(deadlineMs: number): Promise<void> {
  const ws = new WebSocket(url!, { headers: authorization ? { authorization } : {} });
  const sentAt = new Map<number, number>();
  let seq = 0;
  await new Promise<void>((resolve, reject) => {
    const sendMore = (): void => {
      while (sentAt.size < windowFrames && Date.now() < deadlineMs) {
        seq += 1;
        sentAt.set(seq, performance.now());
        // Copied: msgpackr reuses its output buffer, and ws may still hold the previous one.
        ws.send(Buffer.from(packr.pack({ seq, events })));
      }
      if (sentAt.size === 0) ws.close();
    };
    // Registered before 'open': the server's hello can arrive in the same packet as the upgrade.
    ws.on('message', (data: Buffer) => {
      const ack = unpackr.unpack(data) as { seq?: number; accepted?: number; error?: unknown };
      if (ack.seq === undefined) { sendMore(); return; } // hello
      const started = sentAt.get(ack.seq);
      sentAt.delete(ack.seq);
      if (started !== undefined) latencies.push(performance.now() - started);
      if (ack.error) errorAcks += 1; else ackedEvents += ack.accepted ?? 0;
      sendMore();
    });
    ws.once('error', reject);
    ws.on('close', () => resolve());
  });
}

const startedAt = performance.now();
await Promise.all(Array.from({ length: connections }, () => drive(Date.now() + seconds * 1000)));
const wallSeconds = (performance.now() - startedAt) / 1000;
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(`${JSON.stringify({ ackedEvents, errorAcks, frames: latencies.length, wallSeconds, latencyMs: percentiles(latencies),
  cpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallSeconds })}\n`);
process.exit(0);

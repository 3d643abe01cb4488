/**
 * The radius bench's load generator (a worker thread, so it does not share
 * the event loop it measures): the MikroTik simulator's accounting packets,
 * Interim-Updates with growing totals round-robin over many sessions, from
 * `socketCount` sockets × 256 RADIUS identifiers = the in-flight window.
 * Counts answers per second; a packet without an answer for 3 s is resent (a NAS default).
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeRequest, type AttributeList } from '../../router-gateway/radius/codec.ts';

export interface RadiusLoadInput {
  address: string;
  targetHost: string;
  targetPort: number;
  secret: string;
  seconds: number;
  warmupSeconds: number;
  socketCount: number;
  sessions: { acctSessionId: string; userName: string; className: string }[];
}

export interface RadiusLoadResult {
  answered: number;
  sent: number;
  resent: number;
  wallSeconds: number;
}

const input = workerData as RadiusLoadInput;
const totals = input.sessions.map(() => ({ bytesOut: 0, seconds: 0 }));
let cursor = 0;

/**
 * Each session's packet is encoded once by the codec; each send patches the
 * counters and the identifier in place and recomputes the Request
 * Authenticator (MD5), so the generator is not limited by the codec's encoder.
 */
const ATTR = { inputOctets: 42, outputOctets: 43, sessionTime: 46 } as const;
const templates = input.sessions.map((session) => {
  const attributes: AttributeList = [
    ['Acct-Status-Type', 'Interim-Update'], ['Acct-Session-Id', session.acctSessionId], ['User-Name', session.userName],
    ['Acct-Input-Octets', 0], ['Acct-Output-Octets', 0], ['Acct-Input-Gigawords', 0], ['Acct-Output-Gigawords', 0],
    ['Acct-Session-Time', 0], ['Framed-IP-Address', '10.5.50.2'], ['Class', Buffer.from(session.className, 'latin1')],
  ];
  const packet = encodeRequest('Accounting-Request', 0, attributes, input.secret);
  const offsets: Record<number, number> = {};
  for (let at = 20; at < packet.length; at += packet[at + 1]!) offsets[packet[at]!] = at + 2;
  return { packet, input: offsets[ATTR.inputOctets]!, output: offsets[ATTR.outputOctets]!, time: offsets[ATTR.sessionTime]! };
});

function nextPacket(identifier: number): Buffer {
  const i = cursor++ % input.sessions.length;
  const t = totals[i]!;
  t.bytesOut += 1500;
  t.seconds += 1;
  const template = templates[i]!;
  const packet = Buffer.from(template.packet);
  packet[1] = identifier;
  packet.writeUInt32BE(t.seconds * 10, template.input);
  packet.writeUInt32BE(t.bytesOut % 2 ** 32, template.output);
  packet.writeUInt32BE(t.seconds, template.time);
  packet.fill(0, 4, 20);
  createHash('md5').update(packet).update(input.secret).digest().copy(packet, 4);
  return packet;
}

async function main(): Promise<RadiusLoadResult> {
  let measuring = false;
  let answered = 0;
  let sent = 0;
  let resent = 0;
  const sockets: Socket[] = [];
  const inFlight: { packet: Buffer; sentAt: number }[][] = [];
  for (let s = 0; s < input.socketCount; s++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve) => socket.bind(0, input.address, () => resolve()));
    const slots: { packet: Buffer; sentAt: number }[] = [];
    inFlight.push(slots);
    socket.on('message', (msg) => {
      const id = msg[1]!;
      if (measuring) answered++;
      // The slot is free again: send the next packet with the same identifier.
      const packet = nextPacket(id);
      slots[id] = { packet, sentAt: performance.now() };
      socket.send(packet, input.targetPort, input.targetHost);
      if (measuring) sent++;
    });
    sockets.push(socket);
  }
  for (let s = 0; s < sockets.length; s++) {
    for (let id = 0; id < 256; id++) {
      const packet = nextPacket(id);
      inFlight[s]![id] = { packet, sentAt: performance.now() };
      sockets[s]!.send(packet, input.targetPort, input.targetHost);
    }
  }
  const resend = setInterval(() => {
    const now = performance.now();
    for (let s = 0; s < sockets.length; s++) {
      for (const slot of inFlight[s]!) {
        if (slot && now - slot.sentAt > 3000) { slot.sentAt = now; sockets[s]!.send(slot.packet, input.targetPort, input.targetHost); resent++; }
      }
    }
  }, 500);
  await new Promise((resolve) => setTimeout(resolve, input.warmupSeconds * 1000));
  measuring = true;
  const measuredFrom = performance.now();
  await new Promise((resolve) => setTimeout(resolve, input.seconds * 1000));
  measuring = false;
  const wallSeconds = (performance.now() - measuredFrom) / 1000;
  clearInterval(resend);
  for (const socket of sockets) socket.close();
  return { answered, sent, resent, wallSeconds };
}

main().then((result) => parentPort?.postMessage(result), (err: unknown) => parentPort?.postMessage({ error: String(err) }));

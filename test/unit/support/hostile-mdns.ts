// Hostile mDNS answers written against the wire format (DNS packets spelled out with the
// dns-packet encoder, or raw bytes), not with our announcer: junk, truncated and self-pointing
// packets, oversized ones, answers that name another host, a wrong protocol version, a display
// name carrying an icon, and answer floods. `sendHostileAnswers` multicasts them from a plain UDP
// socket on one interface.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { PROTOCOL_VERSION } from '@node-core/wire';

export const SERVICE = '_p2p-network._tcp.local';
const GROUP = '224.0.0.251';

export interface FakeService {
  instance: string;
  name: string;
  port: number;
  /** The address its A record names (another host's, for a spoof). */
  address: string;
  version?: string;
  ttl?: number;
  txt?: string[];
  target?: string;
}

export function fakeRecords(s: FakeService): Answer[] {
  const full = `${s.instance}.${SERVICE}`;
  const target = s.target ?? `${s.instance}.local`;
  const ttl = s.ttl ?? 120;
  return [
    { name: SERVICE, type: 'PTR', ttl, data: full },
    { name: full, type: 'SRV', ttl, data: { port: s.port, target, priority: 0, weight: 0 } },
    {
      name: full,
      type: 'TXT',
      ttl,
      data: s.txt ?? [`name=${s.name}`, `v=${s.version ?? PROTOCOL_VERSION}`, 'auth=none'],
    },
    { name: target, type: 'A', ttl, data: s.address },
  ];
}

export function responseBytes(answers: Answer[], additionals: Answer[] = []): Buffer {
  return dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers, additionals });
}

/** Every kind of bad answer `from` (the sender's own address) can send; none may be taken. */
export function hostilePackets(from: string, victim: string): Array<{ what: string; bytes: Buffer }> {
  const valid = (over: Partial<FakeService>): Answer[] =>
    fakeRecords({ instance: 'p2p-hostile1', name: 'Hostile', port: 4000, address: from, ...over });
  const header = Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]); // response, one answer
  return [
    { what: 'random bytes', bytes: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff)) },
    { what: 'a header and nothing else', bytes: header },
    { what: 'a name pointing at itself', bytes: Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]) },
    { what: 'a truncated answer', bytes: responseBytes(valid({})).subarray(0, 60) },
    { what: 'an answer naming another host', bytes: responseBytes(valid({ address: victim })) },
    { what: 'a wrong protocol version', bytes: responseBytes(valid({ version: '99' })) },
    { what: 'an icon in the name', bytes: responseBytes(valid({ name: '$(verified) Official' })) },
    { what: 'a bidi override in the name', bytes: responseBytes(valid({ name: 'net\u202ework' })) },
    { what: 'port 0', bytes: responseBytes(valid({ port: 0 })) },
    {
      what: 'a fingerprint that is not 64 hex digits',
      bytes: responseBytes(valid({ txt: ['name=Hostile', `v=${PROTOCOL_VERSION}`, `fp=${'z'.repeat(64)}`] })),
    },
    { what: 'a target outside .local', bytes: responseBytes(valid({ target: 'victim.example.com' })) },
    {
      what: 'too many TXT entries',
      bytes: responseBytes(valid({ txt: Array.from({ length: 40 }, (_, i) => `k${i}=v`) })),
    },
    {
      // 64 filler records first: the service after them is past what is read of a packet
      what: 'an oversized packet',
      bytes: responseBytes([
        ...Array.from({ length: 64 }, (_, i): Answer => ({ name: `x${i}.local`, type: 'A', ttl: 120, data: from })),
        ...valid({ instance: 'p2p-hostile2', name: 'Buried' }),
      ]),
    },
  ];
}

/** `count` different valid-looking networks from `from`, in one packet each. */
export function floodPackets(from: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    responseBytes(fakeRecords({ instance: `p2p-flood${i}`, name: `Flood ${i}`, port: 5000 + i, address: from })),
  );
}

/** A UDP socket that multicasts to the mDNS group through the interface with `address`. */
export async function multicastSender(address: string): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.bind(0, address);
  await once(socket, 'listening');
  socket.setMulticastInterface(address);
  socket.setMulticastLoopback(true);
  return socket;
}

export async function sendTo(socket: Socket, port: number, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    socket.send(bytes, port, GROUP, (err) => (err ? reject(err) : resolve())),
  );
}

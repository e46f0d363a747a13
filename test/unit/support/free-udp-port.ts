// A UDP port nothing uses on 127.0.0.1: the loopback mDNS tests announce and browse on one of
// their own, so they never meet the machine's real 5353 nor each other.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

export async function freeUdpPort(): Promise<number> {
  const probe = createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// The host a peer tells others to dial. It is the address it listens on, except when it listens
// on every interface (0.0.0.0 or ::): "0.0.0.0" means "this machine" to whoever dials it, so a
// peer announcing it would send everyone to themselves. Then --advertise names the address to
// announce, or, without it, the machine's first non-loopback IPv4 address is announced.
import { networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']);

export function isWildcardHost(host: string): boolean {
  return WILDCARDS.has(host);
}

export function advertisedHost(boundHost: string, advertise?: string): string {
  if (advertise) return advertise;
  if (!isWildcardHost(boundHost)) return boundHost;
  return firstExternalIPv4() ?? '127.0.0.1';
}

function firstExternalIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

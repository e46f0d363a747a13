// The IPv4 interfaces mDNS runs on, and which one a packet came through. Every multicast socket
// on a host hears the group on every interface, so each of ours keeps only packets whose sender
// is on its own subnet: an answer is then given, and a network is found, on the right link.
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface MdnsInterface {
  /** This host's address on the interface. */
  address: string;
  netmask: string;
  internal: boolean;
}

/** The host's IPv4 interfaces (loopback included), or only those whose address is in `only`. */
export function ipv4Interfaces(only?: readonly string[]): MdnsInterface[] {
  const all: MdnsInterface[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4') all.push({ address: a.address, netmask: a.netmask, internal: a.internal });
    }
  }
  if (!only) return all;
  const missing = only.filter((address) => !all.some((i) => i.address === address));
  if (missing.length > 0) {
    throw new Error(`no interface of this host has the address ${missing.join(', ')}`);
  }
  return all.filter((i) => only.includes(i.address));
}

/** True when `address` is on the interface's subnet. */
export function onSubnet(iface: MdnsInterface, address: string): boolean {
  if (!isIPv4(address)) return false;
  const mask = toNumber(iface.netmask);
  return ((toNumber(address) ^ toNumber(iface.address)) & mask) === 0;
}

function toNumber(ipv4: string): number {
  return ipv4.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

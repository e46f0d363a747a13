// The `p2p-node` command lines the extension runs (README.md, "Command-line"). The network key is
// deliberately absent: it goes in the environment (P2P_NETWORK_KEY), which `ps` does not show.

import type { Mode } from '@node-core/events';

export interface MetaserverOptions {
  host: string;
  /** 0: the OS picks; the ready event says which. */
  port: number;
  /** The topology bridge; 0: the OS picks. Undefined: no bridge. */
  httpPort?: number;
  maxPeers?: number;
  /** `--announce`: on the LAN (mDNS) even on loopback. Unset: the CLI's policy (beyond loopback only). */
  announce?: boolean;
  networkName?: string;
  /** `--identity-dir`: where it keeps its key pair across starts (peers pin it). */
  identityDir?: string;
}

export interface PeerOptions {
  id: string;
  /** `host:port` of the metadata server, or `auto` (found on the LAN); or `join`, the address of a known peer. */
  metaserver?: string;
  /** With `metaserver: 'auto'`: the interfaces to look on (`--discover-interface`); undefined: all. */
  discoverInterfaces?: string[];
  /** `--metaserver-fp`: the key the metaserver must show (a share link's `mfp`). */
  metaserverFingerprint?: string;
  join?: string;
  mode: Mode;
  /** Where the peer listens (`--host`); the CLI's default is 127.0.0.1. */
  host?: string;
  /** The address announced to other peers (`--advertise`); the CLI's default follows `host`. */
  advertise?: string;
  port?: number;
  /** Absolute path of the shared folder. */
  dir: string;
  maxNeighbors?: number;
  ttl?: number;
  /** `--max-upload`, in MiB/s (at least 1); undefined: no cap. */
  maxUploadMiBPerSecond?: number;
  /** `--allow-relay`: behind NAT, be reached through the metaserver's relay. */
  allowRelay?: boolean;
  /** `--punch`: behind NAT, try a hole punch to another relayed peer before relaying. */
  punch?: boolean;
}

export function metaserverArgs(options: MetaserverOptions): string[] {
  const args = ['metaserver', '--host', options.host, '--port', String(options.port)];
  if (options.httpPort !== undefined) args.push('--http-port', String(options.httpPort));
  if (options.maxPeers !== undefined) args.push('--max-peers', String(options.maxPeers));
  if (options.announce) args.push('--announce');
  if (options.networkName !== undefined) args.push('--network-name', options.networkName);
  if (options.identityDir !== undefined) args.push('--identity-dir', options.identityDir);
  return args;
}

export function peerArgs(options: PeerOptions): string[] {
  const args = ['peer', '--id', options.id, '--mode', options.mode, '--dir', options.dir];
  if (options.join) args.push('--join', options.join);
  else if (options.metaserver) args.push('--metaserver', options.metaserver);
  if (!options.join && options.metaserver && options.metaserverFingerprint)
    args.push('--metaserver-fp', options.metaserverFingerprint);
  if (!options.join && options.metaserver === 'auto') {
    for (const address of options.discoverInterfaces ?? []) args.push('--discover-interface', address);
  }
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.advertise !== undefined) args.push('--advertise', options.advertise);
  args.push('--port', String(options.port ?? 0));
  if (options.maxUploadMiBPerSecond !== undefined) args.push('--max-upload', `${options.maxUploadMiBPerSecond}M`);
  if (options.allowRelay) args.push('--allow-relay');
  if (options.punch) args.push('--punch');
  if (options.mode === 'flood') {
    if (options.maxNeighbors !== undefined) args.push('--max-neighbors', String(options.maxNeighbors));
    if (options.ttl !== undefined) args.push('--ttl', String(options.ttl));
  }
  return args;
}

/** The environment that carries the key, or none. */
export function keyEnvironment(networkKey: string | undefined): Record<string, string> {
  return networkKey ? { P2P_NETWORK_KEY: networkKey } : {};
}

/**
 * Arguments for restarting a node on the ports it had, so a metaserver started on port 0 comes
 * back where its peers (and an open topology panel) still look for it.
 */
export function pinPorts(args: readonly string[], ports: { port: number; httpPort?: number }): string[] {
  const pinned = [...args];
  const pin = (flag: string, value: number | undefined): void => {
    const at = pinned.indexOf(flag);
    if (value !== undefined && value > 0 && at >= 0 && at + 1 < pinned.length) pinned[at + 1] = String(value);
  };
  pin('--port', ports.port);
  pin('--http-port', ports.httpPort);
  return pinned;
}

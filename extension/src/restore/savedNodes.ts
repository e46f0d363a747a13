// What a window needs to start its nodes again after a reload or a restart of VS Code: the
// metaserver's ports, each peer's id, folder, mode, port and where it joined. vscode-free: read
// from the running nodes, checked when loaded back (the stored state may be from another version).

import { isNetworkName } from '@node-core/discovery/dns-sd';
import type { Mode } from '@node-core/events';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeInfo } from '../nodes/nodeInfo';
import { plural } from '../util/format';

export interface SavedMetaserver {
  host: string;
  port: number;
  httpPort?: number;
  /** Started with `--announce` (on the LAN even on loopback), and the name it announced. */
  announce?: true;
  networkName?: string;
}

export interface SavedPeer {
  id: string;
  dir: string;
  mode: Mode;
  port: number;
  /** `host:port` of the metaserver, or of the peer it joined (`join`). */
  metaserver?: string;
  join?: string;
}

export interface SavedNodes {
  metaserver?: SavedMetaserver;
  peers: SavedPeer[];
}

/** The running nodes, as they can be started again. */
export function savedNodesOf(nodes: readonly ManagedNode[]): SavedNodes {
  const saved: SavedNodes = { peers: [] };
  for (const node of nodes) {
    const info = node.info;
    if (node.status !== 'running' || !info) continue;
    const flag = (name: string): string | undefined => {
      const at = node.launch.args.indexOf(name);
      return at >= 0 ? node.launch.args[at + 1] : undefined;
    };
    if (node.launch.role === 'metaserver') {
      const networkName = flag('--network-name');
      saved.metaserver = {
        host: info.host,
        port: info.port,
        httpPort: info.httpPort,
        ...(node.launch.args.includes('--announce') && { announce: true }),
        ...(networkName !== undefined && { networkName }),
      };
    } else if (info.id && info.dir && info.mode) {
      saved.peers.push({
        id: info.id,
        dir: info.dir,
        mode: info.mode,
        port: info.port,
        metaserver: flag('--metaserver'),
        join: flag('--join'),
      });
    }
  }
  return saved;
}

/** What a restore brought back, in words ("P2P: restored the metadata server and 3 peers"), if anything. */
export function restoredMessage(started: readonly NodeInfo[]): string | undefined {
  const peers = started.filter((node) => node.role === 'peer').length;
  const parts = [
    ...(started.some((node) => node.role === 'metaserver') ? ['the metadata server'] : []),
    ...(peers > 0 ? [plural(peers, 'peer')] : []),
  ];
  return parts.length > 0 ? `P2P: restored ${parts.join(' and ')}` : undefined;
}

/** Loads stored state; anything malformed is dropped rather than started. */
export function parseSavedNodes(value: unknown): SavedNodes {
  const saved: SavedNodes = { peers: [] };
  if (typeof value !== 'object' || value === null) return saved;
  const { metaserver, peers } = value as Record<string, unknown>;
  if (isRecord(metaserver) && typeof metaserver.host === 'string' && isPort(metaserver.port)) {
    saved.metaserver = {
      host: metaserver.host,
      port: metaserver.port,
      httpPort: isPort(metaserver.httpPort) ? metaserver.httpPort : undefined,
      ...(metaserver.announce === true && { announce: true }),
      ...(isNetworkName(metaserver.networkName) && { networkName: metaserver.networkName }),
    };
  }
  for (const p of Array.isArray(peers) ? peers : []) {
    if (!isRecord(p) || typeof p.id !== 'string' || typeof p.dir !== 'string' || !isPort(p.port)) continue;
    if (p.mode !== 'flood' && p.mode !== 'chord') continue;
    saved.peers.push({
      id: p.id,
      dir: p.dir,
      mode: p.mode,
      port: p.port,
      metaserver: typeof p.metaserver === 'string' ? p.metaserver : undefined,
      join: typeof p.join === 'string' ? p.join : undefined,
    });
  }
  return saved;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

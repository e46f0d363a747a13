// What a running node is, as the commands that start one return it: built from its `ready` event
// and kept current by its `reachability` events.
import type { Mode, NodeEvent } from '@node-core/events';

export type NodeRole = 'metaserver' | 'peer';

/** What a running node is: returned by the commands that start one. */
export interface NodeInfo {
  key: string;
  role: NodeRole;
  label: string;
  /** Peers only. */
  id?: string;
  host: string;
  port: number;
  pid: number;
  mode?: Mode;
  dir?: string;
  /** Chord only. */
  nodeId?: string;
  /** SHA-256 of the node's public key: its identity on the network. */
  fingerprint?: string;
  /** Peers with a metaserver: whether it could dial them back (updated on each re-registration). */
  reachable?: boolean;
  /** Unreachable (behind NAT) and reached through the metaserver's relay. */
  relayed?: boolean;
  /** Peers with a metaserver: its key, pinned under its address (what a share link carries as `mfp`). */
  metaserverFingerprint?: string;
  /** Metaserver only: the topology bridge. */
  httpPort?: number;
  url?: string;
}

/** How the extension named the node it started, and the folder it asked for (a peer's event may omit it). */
export interface LaunchedAs {
  key: string;
  role: NodeRole;
  label: string;
  dir?: string;
}

export function infoFromReady(launch: LaunchedAs, event: NodeEvent & { event: 'ready' }, pid: number): NodeInfo {
  const base = {
    key: launch.key,
    role: launch.role,
    label: launch.label,
    host: event.host,
    port: event.port,
    pid,
    fingerprint: event.fingerprint,
  };
  if (event.role === 'metaserver') return { ...base, httpPort: event.httpPort, url: event.url };
  const { reachable, relayed, metaserverFingerprint } = event;
  return {
    ...base,
    id: event.id,
    mode: event.mode,
    nodeId: event.nodeId,
    dir: event.dir ?? launch.dir,
    reachable,
    relayed,
    metaserverFingerprint,
  };
}

/** The info after a re-registration told the peer whether the metaserver can dial it back. */
export function withReachability(info: NodeInfo, event: NodeEvent & { event: 'reachability' }): NodeInfo {
  return {
    ...info,
    reachable: event.reachable,
    relayed: event.relayed,
    metaserverFingerprint: event.metaserverFingerprint,
  };
}

// The network picture the metaserver keeps and serves: `p2p-node topo --json`,
// `GET /api/topology`, and the `/ws` stream of the bridge. Shared by node-core, the
// extension and the topology page (webview/), so it must stay free of Node-only imports.

import type { Mode } from './events';

export interface TopologyPeer {
  id: string;
  host: string;
  port: number;
  mode: Mode;
  /** Behind NAT: reached only through a relay (its links are relayed unless it reports `relayedLinks`). */
  relayed?: boolean;
  /** Ids of the peers this one links to (flood: neighbours; chord: successor and predecessor, the ring in `chord`). */
  neighbors: string[];
  /**
   * SHA-256 of its public key, as the metaserver's TLS session saw it when the peer registered
   * (the address check proved the peer's listener holds the same key).
   */
  fingerprint?: string;
  /**
   * The neighbours whose link this peer reports going through a relay now (a subset of
   * `neighbors`); absent when the peer does not report it (then its `relayed` stands for all its links).
   */
  relayedLinks?: string[];
  /** For each neighbour, the key fingerprint this peer's TLS link to it presented (flood and chord). */
  neighborKeys?: Record<string, string>;
  /** Names of the files the peer shares. */
  files?: string[];
  /** Chord only: the ring as this node sees it. */
  chord?: {
    nodeId: string;
    predecessor: string | null;
    successors: string[];
    fingers: string[];
  };
}

export interface TopologySnapshot {
  peers: TopologyPeer[];
}

/** Messages on the bridge's WebSocket (`/ws`): first a snapshot, then changes. */
export type BridgeMessage =
  | { type: 'snapshot'; topology: TopologySnapshot }
  | { type: 'peer-joined'; peer: TopologyPeer }
  | { type: 'peer-updated'; peer: TopologyPeer }
  | { type: 'peer-left'; id: string }
  | { type: 'link-up'; a: string; b: string }
  | { type: 'link-down'; a: string; b: string }
  | { type: 'file-shared'; peer: string; name: string }
  | { type: 'search'; origin: string; name: string; queryId: string; path: string[] }
  | { type: 'transfer'; from: string; to: string; name: string; bytes: number; total: number; done: boolean }
  /** File bytes peer `to` received from each holder since its previous report (about one a second). */
  | { type: 'traffic'; to: string; flows: TrafficFlow[] };

export interface TrafficFlow {
  from: string;
  bytes: number;
}

/** The key of an undirected link as drawn on the page: ids sorted, joined with `|`. */
export function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * What the bridge (HTTP + WebSocket) needs from the metaserver: the current picture and a
 * stream of changes. The metaserver implements it; the bridge depends only on this.
 */
export interface TopologySource {
  snapshot(): TopologySnapshot;
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (message: BridgeMessage) => void): () => void;
}

// The metaserver's picture of the network: registered peers, the links they report, the
// files they share. Every change is turned into BridgeMessages for the topology page, which
// makes this the TopologySource the bridge consumes.
import type { Mode, PeerRef } from '../events';
import {
  linkKey,
  type BridgeMessage,
  type TopologyPeer,
  type TopologySnapshot,
  type TopologySource,
} from '../topology';

export interface RegisteredPeer {
  id: string;
  host: string;
  port: number;
  mode: Mode;
  /** The key its registration's TLS session presented ('' on a bench-only plaintext link). */
  fingerprint?: string;
  /** Behind NAT: reached through the metaserver's relay only. */
  relayed?: boolean;
}

/** What a `links` message says (wire/messages.ts). */
export interface LinksReport {
  neighbors: string[];
  chord?: TopologyPeer['chord'];
  keys?: string[];
  relayed?: string[];
}

export class PeerRegistry implements TopologySource {
  private readonly peers = new Map<string, TopologyPeer>();
  private readonly listeners = new Set<(message: BridgeMessage) => void>();

  get size(): number {
    return this.peers.size;
  }

  has(id: string): boolean {
    return this.peers.has(id);
  }

  /** The address `id` registered, if it is registered. */
  addressOf(id: string): { host: string; port: number } | undefined {
    const peer = this.peers.get(id);
    return peer && { host: peer.host, port: peer.port };
  }

  isRelayed(id: string): boolean {
    return this.peers.get(id)?.relayed === true;
  }

  modeOf(id: string): Mode | undefined {
    return this.peers.get(id)?.mode;
  }

  snapshot(): TopologySnapshot {
    return { peers: [...this.peers.values()].map((p) => structuredClone(p)) };
  }

  onChange(listener: (message: BridgeMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits a message that is not a state change (search and transfer activity). */
  announce(message: BridgeMessage): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch {
        // a failing observer must not break the metaserver
      }
    }
  }

  add({ fingerprint, ...peer }: RegisteredPeer): void {
    const entry: TopologyPeer = { ...peer, ...(fingerprint ? { fingerprint } : {}), neighbors: [], files: [] };
    if (!peer.relayed) delete entry.relayed;
    this.peers.set(peer.id, entry);
    this.announce({ type: 'peer-joined', peer: structuredClone(entry) });
  }

  remove(id: string): void {
    if (!this.peers.has(id)) return;
    const before = this.links();
    this.peers.delete(id);
    this.announceLinkDiff(before);
    this.announce({ type: 'peer-left', id });
  }

  /**
   * A peer's links report, replacing its last. `keys[i]`: the fingerprint its link to
   * `neighbors[i]` presented (ignored unless aligned). `relayed`: its links through a relay, kept
   * only for ids among `neighbors`.
   */
  updateLinks(id: string, { neighbors, chord, keys, relayed }: LinksReport): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    const before = this.links();
    peer.neighbors = [...new Set(neighbors.filter((n) => n !== id))].sort();
    if (chord) peer.chord = chord;
    if (keys && keys.length === neighbors.length)
      peer.neighborKeys = Object.fromEntries(neighbors.map((n, i) => [n, keys[i]!]).filter(([n]) => n !== id));
    else delete peer.neighborKeys;
    const linked = new Set(peer.neighbors);
    if (relayed) peer.relayedLinks = [...new Set(relayed.filter((n) => linked.has(n)))].sort();
    else delete peer.relayedLinks;
    this.announce({ type: 'peer-updated', peer: structuredClone(peer) });
    this.announceLinkDiff(before);
  }

  updateFiles(id: string, files: string[]): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    const known = new Set(peer.files);
    peer.files = [...new Set(files)].sort();
    this.announce({ type: 'peer-updated', peer: structuredClone(peer) });
    for (const name of peer.files) if (!known.has(name)) this.announce({ type: 'file-shared', peer: id, name });
  }

  /** Peers of the same mode a newcomer may connect to, lowest degree first. */
  referrals(exclude: Iterable<string>, limit: number, mode?: Mode): PeerRef[] {
    const skip = new Set(exclude);
    return [...this.peers.values()]
      .filter((p) => !skip.has(p.id) && (mode === undefined || p.mode === mode))
      .map((peer) => ({ peer, tieBreak: Math.random() }))
      .sort((a, b) => a.peer.neighbors.length - b.peer.neighbors.length || a.tieBreak - b.tieBreak)
      .slice(0, limit)
      .map(({ peer }) => peer)
      .map(({ id, host, port, relayed }) => (relayed ? { id, host, port, relayed } : { id, host, port }));
  }

  /** Links either end reports, between peers that are both registered. */
  private links(): Set<string> {
    const links = new Set<string>();
    for (const peer of this.peers.values()) {
      for (const other of peer.neighbors) if (this.peers.has(other)) links.add(linkKey(peer.id, other));
    }
    return links;
  }

  private announceLinkDiff(before: Set<string>): void {
    const after = this.links();
    for (const key of after) {
      if (!before.has(key)) {
        const [a, b] = key.split('|');
        this.announce({ type: 'link-up', a, b });
      }
    }
    for (const key of before) {
      if (!after.has(key)) {
        const [a, b] = key.split('|');
        this.announce({ type: 'link-down', a, b });
      }
    }
  }
}

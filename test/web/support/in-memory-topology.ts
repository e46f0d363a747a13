// A real TopologySource kept in memory: tests and the bench feed it peers and links and it
// emits the same BridgeMessages the metaserver does. No network is faked: the bridge, the
// WebSocket and the page under test are all real.
import {
  linkKey,
  type BridgeMessage,
  type TopologyPeer,
  type TopologySnapshot,
  type TopologySource,
} from '@node-core/topology';

export class InMemoryTopology implements TopologySource {
  private readonly peers = new Map<string, TopologyPeer>();
  private readonly listeners = new Set<(message: BridgeMessage) => void>();

  snapshot(): TopologySnapshot {
    return { peers: [...this.peers.values()].map((p) => ({ ...p, neighbors: [...p.neighbors] })) };
  }

  onChange(listener: (message: BridgeMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** `extra`: the peer's fingerprint and its links' keys as the metaserver reports them, and whether it is relayed. */
  addPeer(
    id: string,
    port: number,
    mode: TopologyPeer['mode'] = 'flood',
    files: string[] = [],
    extra: Pick<TopologyPeer, 'fingerprint' | 'neighborKeys' | 'relayed'> = {},
  ): void {
    const peer: TopologyPeer = { id, host: '127.0.0.1', port, mode, neighbors: [], files, ...extra };
    this.peers.set(id, peer);
    this.emit({ type: 'peer-joined', peer: { ...peer, neighbors: [] } });
  }

  link(a: string, b: string): void {
    this.peers.get(a)?.neighbors.push(b);
    this.peers.get(b)?.neighbors.push(a);
    this.emit({ type: 'link-up', a, b });
  }

  unlink(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const peer = this.peers.get(x);
      if (peer) peer.neighbors = peer.neighbors.filter((n) => n !== y);
    }
    this.emit({ type: 'link-down', a, b });
  }

  /** `id` reports which of its links go through a relay now (a links report's `relayed`). */
  reportRelayedLinks(id: string, relayedLinks: string[]): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.relayedLinks = relayedLinks;
    this.emit({ type: 'peer-updated', peer: structuredClone(peer) });
  }

  removePeer(id: string): void {
    this.peers.delete(id);
    for (const peer of this.peers.values()) peer.neighbors = peer.neighbors.filter((n) => n !== id);
    this.emit({ type: 'peer-left', id });
  }

  emit(message: BridgeMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  /** Sorted keys of the undirected links, as the page draws them. */
  linkKeys(): string[] {
    const keys = new Set<string>();
    for (const peer of this.peers.values())
      for (const n of peer.neighbors) if (this.peers.has(n)) keys.add(linkKey(peer.id, n));
    return [...keys].sort();
  }
}

/** A connected ring-plus-chords network of `count` flood peers, for layout and page tests. */
export function buildMesh(topology: InMemoryTopology, count: number, prefix = 'p'): void {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  ids.forEach((id, i) => topology.addPeer(id, 40000 + i, 'flood', [`file-${i}.txt`]));
  ids.forEach((id, i) => {
    topology.link(id, ids[(i + 1) % count]);
    if (count > 6 && i % 3 === 0) topology.link(id, ids[(i + Math.floor(count / 2)) % count]);
  });
}

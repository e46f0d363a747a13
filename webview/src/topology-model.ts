// The page's copy of the network: the snapshot plus every change applied in order. Pure data,
// no DOM, so the same rules run in the page, in Node tests and in the bench.
import { linkKey, type BridgeMessage, type TopologyPeer, type TopologySnapshot } from '@node-core/topology';
import { linkRelayed } from './link-path';
import { linkSecurity, type LinkSecurity } from './link-security';

export interface Link {
  key: string;
  a: string;
  b: string;
}

/** Short-lived activity the view animates; the model only forwards it. */
export type ActivityMessage = Extract<BridgeMessage, { type: 'search' } | { type: 'transfer' }>;

export class TopologyModel {
  private readonly peers = new Map<string, TopologyPeer>();
  /** Derived from `peers`; rebuilt lazily after a change (a render asks for it once per peer). */
  private derived: { links: Link[]; neighbors: Map<string, string[]> } | undefined;

  /** Applies one bridge message; returns the activity to animate, if it is one. */
  apply(message: BridgeMessage): ActivityMessage | undefined {
    if (message.type !== 'search' && message.type !== 'transfer' && message.type !== 'traffic')
      this.derived = undefined;
    switch (message.type) {
      case 'snapshot':
        this.replace(message.topology);
        return undefined;
      case 'peer-joined':
      case 'peer-updated':
        this.peers.set(message.peer.id, clonePeer(message.peer));
        return undefined;
      case 'peer-left':
        this.removePeer(message.id);
        return undefined;
      case 'link-up':
        this.addNeighbor(message.a, message.b);
        this.addNeighbor(message.b, message.a);
        return undefined;
      case 'link-down':
        this.removeNeighbor(message.a, message.b);
        this.removeNeighbor(message.b, message.a);
        return undefined;
      case 'file-shared': {
        const peer = this.peers.get(message.peer);
        if (peer && !(peer.files ?? []).includes(message.name)) peer.files = [...(peer.files ?? []), message.name];
        return undefined;
      }
      case 'search':
      case 'transfer':
        return message;
      case 'traffic':
        return undefined; // rates live in TrafficModel
    }
  }

  peer(id: string): TopologyPeer | undefined {
    return this.peers.get(id);
  }

  peerList(): TopologyPeer[] {
    return [...this.peers.values()].sort((x, y) => x.id.localeCompare(y.id, undefined, { numeric: true }));
  }

  /** Undirected links between known peers; one side reporting the link is enough. */
  links(): Link[] {
    return this.derive().links;
  }

  /** How far the link between `a` and `b` is encrypted and its keys checked (link-security.ts). */
  linkSecurity(a: string, b: string): LinkSecurity {
    return linkSecurity(this.peers.get(a), this.peers.get(b));
  }

  /** Whether the link between `a` and `b` runs through a relay now (link-path.ts). */
  linkRelayed(a: string, b: string): boolean {
    return linkRelayed(this.peers.get(a), this.peers.get(b));
  }

  /** Neighbours in both directions, so the details panel agrees with the drawn links. */
  neighborsOf(id: string): string[] {
    return this.derive().neighbors.get(id) ?? [];
  }

  private derive(): { links: Link[]; neighbors: Map<string, string[]> } {
    if (this.derived) return this.derived;
    const links = new Map<string, Link>();
    for (const peer of this.peers.values()) {
      for (const other of peer.neighbors) {
        if (other === peer.id || !this.peers.has(other)) continue;
        const key = linkKey(peer.id, other);
        if (!links.has(key)) {
          const [a, b] = key.split('|');
          links.set(key, { key, a, b });
        }
      }
    }
    const neighbors = new Map<string, string[]>();
    for (const { a, b } of links.values()) {
      neighbors.set(a, [...(neighbors.get(a) ?? []), b]);
      neighbors.set(b, [...(neighbors.get(b) ?? []), a]);
    }
    for (const list of neighbors.values()) list.sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
    this.derived = { links: [...links.values()], neighbors };
    return this.derived;
  }

  private replace(topology: TopologySnapshot): void {
    this.peers.clear();
    for (const peer of topology.peers) this.peers.set(peer.id, clonePeer(peer));
  }

  private removePeer(id: string): void {
    this.peers.delete(id);
    for (const peer of this.peers.values()) peer.neighbors = peer.neighbors.filter((n) => n !== id);
  }

  private addNeighbor(id: string, other: string): void {
    const peer = this.peers.get(id);
    if (peer && !peer.neighbors.includes(other)) peer.neighbors = [...peer.neighbors, other];
  }

  private removeNeighbor(id: string, other: string): void {
    const peer = this.peers.get(id);
    if (peer) peer.neighbors = peer.neighbors.filter((n) => n !== other);
  }
}

function clonePeer(peer: TopologyPeer): TopologyPeer {
  return { ...peer, neighbors: [...peer.neighbors], files: peer.files ? [...peer.files] : undefined };
}

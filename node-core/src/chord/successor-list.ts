// The successor list: the next r nodes clockwise. Only the first is needed for correctness;
// the rest let the ring route around a dead successor without waiting for a repair, and they
// are also where the replicas of this node's keys live.
import { ringDistance } from './id';
import type { ChordPeer } from './remote';

export class SuccessorList {
  private list: ChordPeer[] = [];

  constructor(
    private readonly self: ChordPeer,
    readonly capacity: number,
  ) {
    if (capacity < 1) throw new RangeError('successor list needs room for at least one node');
  }

  /** The immediate successor; self on a one-node ring. */
  first(): ChordPeer {
    return this.list[0] ?? this.self;
  }

  all(): readonly ChordPeer[] {
    return this.list;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  /**
   * Rebuilds the list from a successor and that successor's own list: sorted clockwise from
   * self, without self or duplicates, cut to capacity.
   */
  adopt(successor: ChordPeer, itsSuccessors: readonly ChordPeer[]): void {
    this.list = this.normalize([successor, ...itsSuccessors]);
  }

  /** Puts a node in its clockwise place (used by join, notify of a closer node, and leave notices). */
  insert(peer: ChordPeer): void {
    this.list = this.normalize([peer, ...this.list]);
  }

  remove(nodeId: bigint): void {
    this.list = this.list.filter((p) => p.nodeId !== nodeId);
  }

  private normalize(peers: readonly ChordPeer[]): ChordPeer[] {
    const seen = new Set<bigint>([this.self.nodeId]);
    const unique = peers.filter((p) => !seen.has(p.nodeId) && seen.add(p.nodeId) !== undefined);
    unique.sort((a, b) => {
      const da = ringDistance(this.self.nodeId, a.nodeId);
      const db = ringDistance(this.self.nodeId, b.nodeId);
      return da < db ? -1 : da > db ? 1 : 0;
    });
    return unique.slice(0, this.capacity);
  }
}

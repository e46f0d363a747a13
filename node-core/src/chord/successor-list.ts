// The successor list: the next r nodes clockwise. Only the first is needed for correctness;
// the rest let the ring route around a dead successor without waiting for a repair, and they
// are also where the replicas of this node's keys live.
import { RING_SIZE, ringDistance } from './id';
import type { ChordContact } from './remote';

export class SuccessorList {
  private list: ChordContact[] = [];

  private size: number;

  constructor(
    private readonly self: ChordContact,
    capacity: number,
  ) {
    if (capacity < 1) throw new RangeError('successor list needs room for at least one node');
    this.size = capacity;
  }

  get capacity(): number {
    return this.size;
  }

  /** Grows or shrinks the list (the ring's estimated size changed). */
  resize(capacity: number): void {
    if (capacity < 1) throw new RangeError('successor list needs room for at least one node');
    this.size = capacity;
    this.list = this.list.slice(0, capacity);
  }

  /**
   * The ring's size as seen from here, from the density of ids: k successors span an arc of
   * about k/N of the ring. (Not from the list being short: a list also is short while it grows.)
   */
  estimateRingSize(): number {
    const k = this.list.length;
    if (k === 0) return 1;
    const arc = ringDistance(this.self.nodeId, this.list[k - 1].nodeId);
    if (arc === 0n) return k + 1;
    return Math.max(k + 1, Number((BigInt(k) * RING_SIZE) / arc));
  }

  /** The immediate successor; self on a one-node ring. */
  first(): ChordContact {
    return this.list[0] ?? this.self;
  }

  all(): readonly ChordContact[] {
    return this.list;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  /**
   * Rebuilds the list from a successor and that successor's own list: sorted clockwise from
   * self, without self or duplicates, cut to capacity.
   */
  adopt(successor: ChordContact, itsSuccessors: readonly ChordContact[]): void {
    this.list = this.normalize([successor, ...itsSuccessors]);
  }

  /** Puts a node in its clockwise place (used by join, notify of a closer node, and leave notices). */
  insert(peer: ChordContact): void {
    this.list = this.normalize([peer, ...this.list]);
  }

  remove(nodeId: bigint): void {
    this.list = this.list.filter((p) => p.nodeId !== nodeId);
  }

  private normalize(peers: readonly ChordContact[]): ChordContact[] {
    const seen = new Set<bigint>([this.self.nodeId]);
    const unique = peers.filter((p) => !seen.has(p.nodeId) && seen.add(p.nodeId) !== undefined);
    unique.sort((a, b) => {
      const da = ringDistance(this.self.nodeId, a.nodeId);
      const db = ringDistance(this.self.nodeId, b.nodeId);
      return da < db ? -1 : da > db ? 1 : 0;
    });
    return unique.slice(0, this.size);
  }
}

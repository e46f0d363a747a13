// The finger table: finger i points at successor(self + 2^i). Lookups jump through it, halving
// the remaining distance each hop, which is where Chord's O(log N) path length comes from.
import { ID_BITS, fingerStart, inOpen, inHalfOpen, ringDistance } from './id';
import type { ChordContact } from './remote';

export class FingerTable {
  private readonly fingers: Array<ChordContact | undefined> = new Array(ID_BITS);
  /** Round-robin cursor of fix_fingers. */
  private nextToFix = 0;

  constructor(private readonly self: ChordContact) {}

  start(i: number): bigint {
    return fingerStart(this.self.nodeId, i);
  }

  get(i: number): ChordContact | undefined {
    return this.fingers[i];
  }

  set(i: number, peer: ChordContact | undefined): void {
    this.fingers[i] = peer && peer.nodeId === this.self.nodeId ? undefined : peer;
  }

  /**
   * Fingers i whose start lies in (self, peer] are all served by `peer` when it is the node
   * found for finger i: copying it down saves one lookup per finger. On a ring of N nodes only
   * about log2 N of the 160 fingers then need a lookup of their own.
   */
  fillFrom(i: number, peer: ChordContact): void {
    this.set(i, peer);
    for (let j = i + 1; j < ID_BITS && inHalfOpen(this.start(j), this.self.nodeId, peer.nodeId); j++) {
      this.set(j, peer);
    }
  }

  /**
   * The next finger worth a lookup, advancing the round-robin cursor; fingers whose start the
   * previous finger already covers are filled without a lookup.
   */
  nextIndexToFix(successor: ChordContact | undefined): number {
    for (let tries = 0; tries < ID_BITS; tries++) {
      const i = this.nextToFix;
      this.nextToFix = (this.nextToFix + 1) % ID_BITS;
      const covering = i === 0 ? successor : this.fingers[i - 1];
      if (covering && inHalfOpen(this.start(i), this.self.nodeId, covering.nodeId)) {
        this.set(i, covering);
        continue;
      }
      return i;
    }
    return 0;
  }

  /** Forgets a node found dead; its slots are refilled by fix_fingers. */
  remove(nodeId: bigint): void {
    for (let i = 0; i < ID_BITS; i++) if (this.fingers[i]?.nodeId === nodeId) this.fingers[i] = undefined;
  }

  /** Distinct finger nodes in (self, key), the closest to the key first. */
  precedingNodes(key: bigint): ChordContact[] {
    const out: ChordContact[] = [];
    let last: bigint | undefined;
    for (let i = ID_BITS - 1; i >= 0; i--) {
      const f = this.fingers[i];
      if (!f || f.nodeId === last) continue;
      if (inOpen(f.nodeId, this.self.nodeId, key)) {
        out.push(f);
        last = f.nodeId;
      }
    }
    return out;
  }

  /** One entry per run of equal fingers, for TOPO and the topology report. */
  distinct(): Array<{ start: bigint; node: ChordContact }> {
    const out: Array<{ start: bigint; node: ChordContact }> = [];
    for (let i = 0; i < ID_BITS; i++) {
      const f = this.fingers[i];
      if (f && (out.length === 0 || out[out.length - 1].node.nodeId !== f.nodeId))
        out.push({ start: this.start(i), node: f });
    }
    return out;
  }

  /** Whether `a` is closer (clockwise, before) to `key` than `b`, both preceding it. */
  static closerTo(key: bigint, a: ChordContact, b: ChordContact): boolean {
    return ringDistance(a.nodeId, key) < ringDistance(b.nodeId, key);
  }
}

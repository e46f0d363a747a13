// One lying node in a ring of honest ones (hostile-chord.ts): how many lookups it turns wrong.
// Shared by test/unit/chord-liar.test.ts and bench/chord-liar.bench.ts.
import type { ChordRing } from '@node-core/chord/chord-ring';
import { idToHex } from '@node-core/chord/id';
import { toNodeRef } from '@node-core/chord/remote';
import { randomKey, ringIsExact, startRing, waitFor } from './chord-harness';
import { LyingChordNode, ownerAmong, type Lie } from './hostile-chord';

export interface LiarFigures {
  lie: Lie;
  nodes: number;
  lookups: number;
  /** Lookups that named a node other than the key's true owner. */
  wrong: number;
  /**
   * Keys of the liar's own range named to its honest successor: the liar, caught lying, was
   * routed around as if it were dead (counted apart, not as wrong).
   */
  routedAround: number;
  /** Lookups that ended in an error (no answer is better than a wrong one). */
  failed: number;
  /** Lookup answers the liar gave. */
  lies: number;
  /** Honest nodes that had the liar as successor or predecessor (it was in the ring). */
  liarNeighbours: number;
  meanRpcs: number;
}

/**
 * Builds `n` honest nodes, lets the liar in, then runs `lookups` lookups from random honest origins,
 * and up to twice as many more while none has reached the liar (a liar placed where few routes
 * pass is asked by no lookup of 150 now and then: a figure about lies needs some).
 */
export async function measureLiar(n: number, lookups: number, lie: Lie): Promise<LiarFigures> {
  const rings: ChordRing[] = await startRing(n, { successorListLength: 6, rpcTimeoutMs: 2000 });
  const liar = new LyingChordNode(lie, () => rings.map((r) => toNodeRef(r.self)));
  try {
    await waitFor('the honest ring', () => ringIsExact(rings), 20_000);
    await liar.listen();
    await liar.enter();
    // The liar is in once stabilize has spread it (or the ring has refused it); a few rounds.
    const liarId = BigInt('0x' + liar.ref.nodeId);
    const knowsLiar = (r: ChordRing): boolean =>
      r.node.successor.nodeId === liarId || r.node.predecessor?.nodeId === liarId;
    await waitFor('the liar spread', () => rings.filter(knowsLiar).length >= 2, 3000).catch(() => undefined);
    await Promise.all(rings.map((r) => r.node.fixAllFingers().catch(() => undefined)));
    const honest = rings.map((r) => toNodeRef(r.self));
    const members = [...honest];
    // a liar at its true id legitimately owns its range; one with a false id owns nothing
    if (lie !== 'false-node-id') members.push(liar.ref);
    let wrong = 0;
    let routedAround = 0;
    let failed = 0;
    let rpcs = 0;
    let done = 0;
    for (; done < lookups || (liar.lies === 0 && done < lookups * 3); done++) {
      const key = randomKey();
      const origin = rings[Math.floor(Math.random() * rings.length)];
      try {
        const result = await origin.lookup(key);
        rpcs += result.rpcs;
        const named = idToHex(result.owner.nodeId);
        const truth = ownerAmong(key, members).nodeId;
        if (named === truth) continue;
        if (truth === liar.ref.nodeId && named === ownerAmong(key, honest).nodeId) routedAround++;
        else wrong++;
      } catch {
        failed++;
      }
    }
    return {
      lie,
      nodes: n,
      lookups: done,
      wrong,
      routedAround,
      failed,
      lies: liar.lies,
      liarNeighbours: rings.filter(knowsLiar).length,
      meanRpcs: rpcs / Math.max(1, done - failed),
    };
  } finally {
    await liar.close();
    await Promise.all(rings.map((r) => r.close()));
  }
}

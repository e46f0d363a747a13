// Checks on the owner a lookup is about to return, so one lying node cannot hand out keys. A
// node answers "the owner is X" or "I am the owner"; before the origin believes it, the owner's
// own neighbours must agree: the key lies between the owner's predecessor and the owner, and
// (for a node that names itself) that predecessor knows no node between itself and the owner.
import { inHalfOpen, inOpen } from './id';
import type { ChordContact, NeighborState } from './remote';

/**
 * By its own state the owner holds `key`: key in (predecessor, owner]. A predecessor found dead
 * says nothing (its keys are the owner's now), nor does none, unless `requirePredecessor`.
 */
export function ownerRangeHolds(
  key: bigint,
  owner: ChordContact,
  state: NeighborState,
  dead: ReadonlyMap<bigint, ChordContact>,
  requirePredecessor: boolean,
): boolean {
  const p = state.predecessor;
  if (!p) return !requirePredecessor;
  if (dead.has(p.nodeId)) return true;
  return p.nodeId === owner.nodeId || inHalfOpen(key, p.nodeId, owner.nodeId);
}

/** The owner's predecessor, asked itself, has no live successor between itself and the owner. */
export function predecessorVouches(
  owner: ChordContact,
  predecessor: ChordContact,
  predecessorState: NeighborState,
  dead: ReadonlyMap<bigint, ChordContact>,
): boolean {
  const next = predecessorState.successors.find((s) => !dead.has(s.nodeId));
  return !next || !inOpen(next.nodeId, predecessor.nodeId, owner.nodeId);
}

// The pieces of stabilize that only read the ring: walking back from a successor to the closest
// one, the automatic successor-list length, and a stand-in when every successor died. Apart from
// the node, which applies what they find to its own state.
import { inOpen, ringDistance } from './id';
import { samePeer, type ChordContact, type NeighborState } from './remote';

/** Smallest automatic successor list: survives 3 neighbours dying at once, holds 2 replicas. */
export const MIN_SUCCESSORS = 4;
const MAX_SUCCESSORS = 32;
/** Predecessor hops stabilize and join follow per round. */
const MAX_WALK_BACK = 8;

export interface FoundSuccessor {
  successor: ChordContact;
  state: NeighborState;
}

/**
 * Starting from `succ` (which must answer, or this rejects), follows predecessor pointers
 * while they lie between `self` and it: the paper's stabilize step, repeated a few times so a
 * burst of joins into one gap settles in one round instead of one per joiner. `askPatiently`
 * retries a slow node: stopping at a slow `x` would adopt a successor past it (join keeps that).
 */
export async function walkBackToSuccessor(
  self: ChordContact,
  succ: ChordContact,
  ask: (peer: ChordContact) => Promise<NeighborState>,
  askPatiently: (peer: ChordContact) => Promise<NeighborState>,
): Promise<FoundSuccessor> {
  let current = succ;
  let state = await ask(current);
  for (let step = 0; step < MAX_WALK_BACK; step++) {
    const x = state.predecessor;
    if (!x || samePeer(x, self) || !inOpen(x.nodeId, self.nodeId, current.nodeId)) break;
    try {
      const xState = await askPatiently(x);
      state = { predecessor: xState.predecessor, successors: [current, ...xState.successors] };
      current = x;
    } catch {
      break; // a stale pointer to a dead node: keep the live successor we have
    }
  }
  return { successor: current, state };
}

/** 'auto' length: log2 of the estimated ring size, plus one so a full list keeps estimating. */
export function autoSuccessorCount(estimatedRingSize: number): number {
  const wanted = Math.ceil(Math.log2(Math.max(2, estimatedRingSize))) + 1;
  return Math.min(MAX_SUCCESSORS, Math.max(MIN_SUCCESSORS, wanted));
}

/** Every successor is dead: the closest of the other nodes known will do until stabilize repairs. */
export function closestKnown(self: ChordContact, known: ChordContact[], except?: bigint): ChordContact | undefined {
  const candidates = known.filter((p) => p.nodeId !== except);
  candidates.sort((a, b) => (ringDistance(self.nodeId, a.nodeId) < ringDistance(self.nodeId, b.nodeId) ? -1 : 1));
  return candidates[0];
}

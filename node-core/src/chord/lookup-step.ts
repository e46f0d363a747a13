// One node's answer to a step of someone's lookup, from its routing state alone: the key's owner
// if it knows it, else the nodes it knows closest before the key. Pure, so the rule reads apart
// from the node that keeps the state.
import { inHalfOpen, inOpen, ringDistance } from './id';
import type { FingerTable } from './finger-table';
import type { ChordContact, LookupStep } from './remote';
import type { SuccessorList } from './successor-list';

/** What a node knows of the ring: itself, its predecessor, its successors and fingers. */
export interface RoutingState {
  self: ChordContact;
  predecessor: ChordContact | null;
  successors: SuccessorList;
  fingers: FingerTable;
}

/** How many candidates a lookup step offers: the best plus fallbacks in case it is dead. */
const STEP_CANDIDATES = 4;

/** Knows no other node at all: a ring of one (a node that merely lost its successors is not). */
export function knowsNoOtherNode({ successors, predecessor, fingers }: RoutingState): boolean {
  return successors.isEmpty() && !predecessor && fingers.distinct().length === 0;
}

/** Is this node responsible for `key` (key in (predecessor, self])? */
export function ownsKey(state: RoutingState, key: bigint): boolean {
  if (state.predecessor) return inHalfOpen(key, state.predecessor.nodeId, state.self.nodeId);
  // Without a predecessor only a lone node can be sure.
  return knowsNoOtherNode(state);
}

/** The answer to `lookup-step`, skipping the nodes in `avoid` (the asker found them dead). */
export function lookupStepFrom(state: RoutingState, key: bigint, avoid: ReadonlySet<bigint>): LookupStep {
  const { self, predecessor, successors, fingers } = state;
  if (ownsKey(state, key)) return { owner: self };
  // Nodes the asker found dead are skipped as if stabilize had already removed them: the
  // first live successor is then the successor.
  const live = successors.all().filter((p) => !avoid.has(p.nodeId));
  const succ = live[0];
  if (!succ) {
    if (knowsNoOtherNode(state)) return { owner: self };
  } else if (inHalfOpen(key, self.nodeId, succ.nodeId)) {
    return { owner: succ };
  }
  const candidates = new Map<bigint, ChordContact>();
  // The predecessor too: a node whose successors all died still knows a way around the ring.
  const pred = predecessor && !avoid.has(predecessor.nodeId) ? [predecessor] : [];
  for (const p of [...fingers.precedingNodes(key), ...live, ...pred]) {
    if (!avoid.has(p.nodeId) && inOpen(p.nodeId, self.nodeId, key)) candidates.set(p.nodeId, p);
  }
  const next = [...candidates.values()].sort((a, b) =>
    ringDistance(a.nodeId, key) < ringDistance(b.nodeId, key) ? -1 : 1,
  );
  return { next: next.slice(0, STEP_CANDIDATES) };
}

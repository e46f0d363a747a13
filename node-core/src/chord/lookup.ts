// Iterative lookup, driven by the origin.
//
// Why iterative and not recursive: the origin talks to every hop itself, so (1) the hop count is
// simply the number of nodes it asked, with no counter to trust along a forwarding chain; (2) a
// dead hop is a failed request at the origin, which just asks the next-best candidate the
// previous hop offered, instead of a lookup silently lost somewhere mid-ring; (3) each RPC is a
// short request/response with its own timeout and the origin's AbortSignal, nothing is left
// pending in intermediate nodes. The cost is one extra round trip per hop compared to
// recursive routing, which is negligible on the links this runs on.
//
// Failures: every node the origin found dead goes into `avoid`, sent with each step, so the
// node asked answers as if those nodes were already gone from its tables (its first live
// successor becomes its successor). An answer naming a node other than the answerer is checked
// with one getNeighbors call (not counted as a hop): a successor that died since the answerer
// last stabilized is avoided and the same answerer asked again, so the key lands on the next
// live node; a node that joined in front of the named owner shows as the owner's predecessor
// and takes the key. Both are what the answerer's next stabilize would have learnt.
import { P2PError, toP2PError } from '../wire/errors';
import { idToHex, inHalfOpen, inOpen } from './id';
import type { ChordPeer, ChordRemote, LookupStep, NeighborState } from './remote';

export interface LookupResult {
  owner: ChordPeer;
  /** Nodes the origin asked, re-asks and dead ones included (0 when it answered from its own state). */
  hops: number;
  /** Every request sent: the hops plus the owner check(s). */
  rpcs: number;
}

export interface LookupContext {
  self: ChordPeer;
  /** The origin's own answer: owner, or candidates closer to the key. */
  localStep(key: bigint, avoid: ReadonlySet<bigint>): LookupStep;
  remote(peer: ChordPeer): ChordRemote;
  /** Called for a node that failed to answer, so routing state stops pointing at it. */
  suspect(peer: ChordPeer): void;
  /** The origin's own predecessor and successors. */
  localNeighbors(): NeighborState;
  rpcTimeoutMs: number;
}

/** More than enough: each hop at least halves the distance (160 bits) plus dead-node retries. */
const MAX_STEPS = 2 * 160;
/** Dead nodes reported per step (the wire caps lists; more than this many dead in a row is not a ring). */
const MAX_AVOID = 32;
/** Predecessor hops an owner check follows (joins the answerer has not seen yet). */
const MAX_WALK_BACK = 8;

/** A lookup that found no live route; carries the last failure's code (AUTH_FAILED for a wrong key...). */
export class LookupFailedError extends P2PError {
  constructor(message: string, lastError: unknown) {
    const last = lastError === undefined ? undefined : toP2PError(lastError, 'PEER_UNREACHABLE');
    super(last && last.code !== 'CANCELLED' ? last.code : 'PEER_UNREACHABLE', last ? `${message}: ${last.message}` : message);
    this.name = 'LookupFailedError';
  }
}

export async function iterativeLookup(ctx: LookupContext, key: bigint, signal: AbortSignal): Promise<LookupResult> {
  const dead = new Map<bigint, ChordPeer>();
  let lastError: unknown;
  const rpcSignal = (): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(ctx.rpcTimeoutMs)]);
  const markDead = (peer: ChordPeer): void => {
    dead.set(peer.nodeId, peer);
    ctx.suspect(peer);
  };
  /** Asks `peer` for its step (the origin answers itself locally). Undefined: it is dead. */
  const ask = async (peer: ChordPeer): Promise<LookupStep | undefined> => {
    if (peer.nodeId === ctx.self.nodeId) return ctx.localStep(key, new Set(dead.keys()));
    hops++;
    rpcs++;
    try {
      return await ctx.remote(peer).lookupStep(key, [...dead.values()].slice(-MAX_AVOID), rpcSignal());
    } catch (err) {
      signal.throwIfAborted();
      lastError = err;
      markDead(peer);
      return undefined;
    }
  };
  /** A node's predecessor and successors (one RPC, tried twice; the origin's own are local). Undefined: it is dead. */
  const neighborsOf = async (peer: ChordPeer): Promise<NeighborState | undefined> => {
    if (peer.nodeId === ctx.self.nodeId) return ctx.localNeighbors();
    // Twice: a dead node refuses at once both times, a merely slow one gets a second chance
    // before the key is handed past it.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        rpcs++;
        return await ctx.remote(peer).getNeighbors(rpcSignal());
      } catch (err) {
        signal.throwIfAborted();
        lastError = err;
      }
    }
    markDead(peer);
    return undefined;
  };
  /**
   * Confirms the owner `answerer` named (its successor, as far as it knows): the owner must be
   * alive, and if a node joined between the two since the answerer last stabilized, the
   * owner's predecessor pointer already says so — walk back while the key falls at or before
   * it. Undefined: the owner is dead.
   */
  const confirmOwner = async (answerer: ChordPeer, named: ChordPeer): Promise<ChordPeer | undefined> => {
    let owner = named;
    let state = await neighborsOf(owner);
    if (!state) return undefined;
    for (let walk = 0; walk < MAX_WALK_BACK; walk++) {
      const p = state.predecessor;
      if (!p || dead.has(p.nodeId) || !inOpen(p.nodeId, answerer.nodeId, owner.nodeId) || !inHalfOpen(key, answerer.nodeId, p.nodeId)) break;
      const pState = await neighborsOf(p);
      if (!pState) break;
      owner = p;
      state = pState;
    }
    return owner;
  };

  let hops = 0;
  let rpcs = 0;
  // The answerers so far: when the current one dies, the lookup backs up to the previous one.
  const path: ChordPeer[] = [];
  let answerer: ChordPeer = ctx.self;
  let step: LookupStep | undefined = await ask(ctx.self);
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    signal.throwIfAborted();
    if (!step) {
      // The current answerer is dead: ask the previous one again, now avoiding it.
      const previous = path.pop();
      if (!previous) break;
      answerer = previous;
      step = await ask(answerer);
      continue;
    }
    if ('owner' in step) {
      if (step.owner.nodeId === answerer.nodeId) return { owner: step.owner, hops, rpcs };
      const owner = await confirmOwner(answerer, step.owner);
      if (owner) return { owner, hops, rpcs };
      // Its successor died: the same node, told so, names the next one.
      step = await ask(answerer);
      continue;
    }
    // Only nodes strictly between the one asked and the key count: that is what makes every
    // hop progress, even when a node answers from stale state.
    const from = answerer;
    const target = step.next.find((p) => !dead.has(p.nodeId) && inOpen(p.nodeId, from.nodeId, key));
    if (!target) {
      // Nothing usable from this node (its whole neighbourhood towards the key is dead): avoid
      // it too, without accusing it, and back up.
      dead.set(answerer.nodeId, answerer);
      step = undefined;
      continue;
    }
    const answer = await ask(target);
    if (answer) {
      path.push(answerer);
      answerer = target;
      step = answer;
    } else {
      // The target is dead (now in `avoid`): the same answerer offers the next-best node.
      step = await ask(answerer);
    }
  }
  throw new LookupFailedError(`no live route to key ${idToHex(key)} (last asked ${answerer.id}, ${dead.size} dead nodes met)`, lastError);
}

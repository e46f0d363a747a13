// Iterative lookup, driven by the origin.
//
// Why iterative and not recursive: the origin talks to every hop itself, so (1) the hop count is
// simply the number of nodes it asked, with no counter to trust along a forwarding chain; (2) a
// dead hop is a failed request at the origin, which just asks the next-best candidate the
// previous hop offered, instead of a lookup silently lost somewhere mid-ring; (3) each RPC is a
// short request/response with its own timeout and the origin's AbortSignal, nothing is left
// pending in intermediate nodes. The cost is one extra round trip per hop compared to
// recursive routing, which is negligible on the links this runs on.
import { inOpen } from './id';
import type { ChordPeer, ChordRemote, LookupStep } from './remote';

export interface LookupResult {
  owner: ChordPeer;
  /** Nodes the origin asked, a dead one included (0 when it answered from its own state). */
  hops: number;
}

export interface LookupContext {
  self: ChordPeer;
  /** The origin's own answer: owner, or candidates closer to the key. */
  localStep(key: bigint): LookupStep;
  remote(peer: ChordPeer): ChordRemote;
  /** Called for a node that failed to answer, so routing state stops pointing at it. */
  suspect(peer: ChordPeer): void;
  rpcTimeoutMs: number;
}

/** More than enough: each hop at least halves the distance (160 bits) plus dead-node retries. */
const MAX_STEPS = 2 * 160;

export class LookupFailedError extends Error {}

export async function iterativeLookup(ctx: LookupContext, key: bigint, signal: AbortSignal): Promise<LookupResult> {
  let step = ctx.localStep(key);
  if ('owner' in step) return { owner: step.owner, hops: 0 };
  let candidates = step.next;
  let asked: ChordPeer = ctx.self;
  let hops = 0;
  const dead = new Set<bigint>();

  for (let steps = 0; steps < MAX_STEPS; steps++) {
    signal.throwIfAborted();
    const target = candidates.find((c) => !dead.has(c.nodeId));
    if (!target) throw new LookupFailedError(`no live node left to route key ${key.toString(16)} (last asked ${asked.id})`);
    try {
      hops++;
      step = await ctx.remote(target).lookupStep(key, AbortSignal.any([signal, AbortSignal.timeout(ctx.rpcTimeoutMs)]));
    } catch {
      signal.throwIfAborted();
      dead.add(target.nodeId);
      ctx.suspect(target);
      continue;
    }
    if ('owner' in step) return { owner: step.owner, hops };
    // Only nodes strictly between the one asked and the key count: that is what makes every
    // hop progress, even when a node answers from stale state.
    const fromTarget = target;
    const better = step.next.filter((p) => !dead.has(p.nodeId) && inOpen(p.nodeId, fromTarget.nodeId, key));
    // Keep the previous hop's other candidates as fallbacks in case all of these are dead.
    candidates = [...better, ...candidates.filter((c) => c.nodeId !== target.nodeId)];
    asked = target;
  }
  throw new LookupFailedError(`lookup of ${key.toString(16)} did not converge`);
}

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
import { setTimeout as sleep } from 'node:timers/promises';
import { P2PError, toP2PError } from '../wire/errors';
import { idToHex, inHalfOpen, inOpen } from './id';
import { ownerRangeHolds, predecessorVouches } from './owner-claim';
import type { ChordContact, ChordRemote, LookupStep, NeighborState } from './remote';

export interface LookupResult {
  owner: ChordContact;
  /** Nodes the origin asked, re-asks and dead ones included (0 when it answered from its own state). */
  hops: number;
  /** Every request sent: the hops plus the owner check(s). */
  rpcs: number;
}

export interface LookupContext {
  self: ChordContact;
  /** The origin's own answer: owner, or candidates closer to the key. */
  localStep(key: bigint, avoid: ReadonlySet<bigint>): LookupStep;
  remote(peer: ChordContact): ChordRemote;
  /** Called for a node that failed to answer, so routing state stops pointing at it. */
  suspect(peer: ChordContact): void;
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

/**
 * Tries of an owner-check RPC that timed out (not refused) before the lookup gives up on
 * that node. A timeout only says "slow": under load a live node can miss a deadline, and
 * treating it as dead would make its predecessor name the next node as owner of its keys — a
 * wrong answer. A hop that is merely slow is skipped after one try (the owner check guards
 * the answer, so a detour costs time, not correctness).
 */
const SLOW_TRIES = 2;
const SLOW_BACKOFF_MS = 100;

/**
 * Thrown by rpcWithTimeout when the RPC's own deadline passed: the node is slow, maybe alive.
 * Anything else thrown (refused, reset, closed) means the node is gone.
 */
export class RpcTimeoutError extends P2PError {
  constructor(message: string) {
    super('PEER_UNREACHABLE', message);
    this.name = 'RpcTimeoutError';
  }
}

/** Runs `fn` with a `timeoutMs` deadline plus `signal`; a passed deadline becomes RpcTimeoutError. */
export async function rpcWithTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    return await fn(AbortSignal.any([signal, deadline]));
  } catch (err) {
    if (deadline.aborted && !signal.aborted) throw new RpcTimeoutError(`no answer within ${timeoutMs} ms`);
    throw err;
  }
}

/** A lookup that found no live route; carries the last failure's code (AUTH_FAILED for a wrong key...). */
export class LookupFailedError extends P2PError {
  constructor(message: string, lastError: unknown) {
    const last = lastError === undefined ? undefined : toP2PError(lastError, 'PEER_UNREACHABLE');
    super(
      last && last.code !== 'CANCELLED' ? last.code : 'PEER_UNREACHABLE',
      last ? `${message}: ${last.message}` : message,
    );
    this.name = 'LookupFailedError';
  }
}

/** The lookup stopped rather than guess past a node that may own the key but timed out: retry. */
export class LookupUnsureError extends LookupFailedError {
  constructor(message: string, lastError: unknown) {
    super(message, lastError);
    this.name = 'LookupUnsureError';
  }
}

export function iterativeLookup(ctx: LookupContext, key: bigint, signal: AbortSignal): Promise<LookupResult> {
  return new IterativeLookup(ctx, key, signal).run();
}

/** One lookup: what it learnt about nodes on the way (dead, slow) and what it spent. */
class IterativeLookup {
  private readonly dead = new Map<bigint, ChordContact>();
  /**
   * Nodes that timed out: skipped as hops, but never put in `avoid` (that would make other nodes
   * route as if they were gone) and never accepted as "not the owner".
   */
  private readonly slow = new Set<bigint>();
  private lastError: unknown;
  private hops = 0;
  private rpcs = 0;

  constructor(
    private readonly ctx: LookupContext,
    private readonly key: bigint,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<LookupResult> {
    // The answerers so far: when the current one dies, the lookup backs up to the previous one.
    const path: ChordContact[] = [];
    let answerer: ChordContact = this.ctx.self;
    let step: LookupStep | undefined = await this.ask(answerer);
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      this.signal.throwIfAborted();
      if (!step) {
        // The current answerer is dead: ask the previous one again, now avoiding it.
        const previous = path.pop();
        if (!previous) break;
        answerer = previous;
        step = await this.ask(answerer);
        continue;
      }
      if ('owner' in step) {
        const trusted = answerer.nodeId === this.ctx.self.nodeId;
        if (step.owner.nodeId === answerer.nodeId) {
          if (trusted || (await this.selfClaimHolds(answerer))) return this.result(step.owner);
          step = this.distrust(answerer);
          continue;
        }
        const confirmed = await this.confirmOwner(answerer, step.owner);
        if (confirmed && (trusted || ownerRangeHolds(this.key, confirmed.owner, confirmed.state, this.dead, false)))
          return this.result(confirmed.owner);
        // Its successor died (the same node, told so, names the next one), or it lied.
        step = confirmed ? this.distrust(answerer) : await this.ask(answerer);
        continue;
      }
      const target = this.nextHop(answerer, step.next);
      if (!target) {
        // Nothing usable from this node (its whole neighbourhood towards the key is dead): avoid
        // it too, without accusing it, and back up.
        this.dead.set(answerer.nodeId, answerer);
        step = undefined;
        continue;
      }
      const answer = await this.ask(target);
      if (answer) {
        path.push(answerer);
        answerer = target;
        step = answer;
      } else {
        // The target is dead (now in `avoid`) or slow (skipped): the same answerer offers the
        // next-best node.
        step = await this.ask(answerer);
      }
    }
    throw new LookupFailedError(
      `no live route to key ${idToHex(this.key)} (last asked ${answerer.id}, ${this.dead.size} dead nodes met)`,
      this.lastError,
    );
  }

  /**
   * The candidate to ask next. Only nodes strictly between the one asked and the key count: that is
   * what makes every hop progress, even when a node answers from stale state. Undefined: none usable.
   */
  private nextHop(from: ChordContact, candidates: readonly ChordContact[]): ChordContact | undefined {
    const target = candidates.find(
      (p) => !this.dead.has(p.nodeId) && !this.slow.has(p.nodeId) && inOpen(p.nodeId, from.nodeId, this.key),
    );
    if (target) return target;
    // Some candidates were only slow: avoiding this node would be a guess; fail, the caller retries.
    const slowOne = candidates.find((p) => this.slow.has(p.nodeId));
    if (slowOne) throw this.unsure(slowOne);
    return undefined;
  }

  private markDead(peer: ChordContact): void {
    this.dead.set(peer.nodeId, peer);
    this.ctx.suspect(peer);
  }

  /**
   * One RPC to `peer`: timeouts are tried again (`tries` in all, with backoff), a refusal or
   * reset is final. 'dead': refused/reset, 'slow': every try timed out.
   */
  private async rpc<T>(
    peer: ChordContact,
    fn: (signal: AbortSignal) => Promise<T>,
    tries: number,
  ): Promise<T | 'dead' | 'slow'> {
    for (let attempt = 0; attempt < tries; attempt++) {
      if (attempt > 0) await this.backOff(SLOW_BACKOFF_MS * 2 ** (attempt - 1));
      try {
        this.rpcs++;
        return await rpcWithTimeout(fn, this.signal, this.ctx.rpcTimeoutMs);
      } catch (err) {
        this.signal.throwIfAborted();
        this.lastError = err;
        if (!(err instanceof RpcTimeoutError)) {
          this.markDead(peer);
          return 'dead';
        }
      }
    }
    this.slow.add(peer.nodeId);
    return 'slow';
  }

  /** Waits `ms`; an abort ends the wait with the signal's own reason, as everywhere else in the lookup. */
  private async backOff(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal }).catch(() => this.signal.throwIfAborted());
  }

  /** Asks `peer` for its step (the origin answers itself locally). Undefined: dead or too slow. */
  private async ask(peer: ChordContact): Promise<LookupStep | undefined> {
    if (peer.nodeId === this.ctx.self.nodeId) return this.ctx.localStep(this.key, new Set(this.dead.keys()));
    this.hops++;
    const avoid = [...this.dead.values()].slice(-MAX_AVOID);
    const answer = await this.rpc(peer, (s) => this.ctx.remote(peer).lookupStep(this.key, avoid, s), 1);
    return answer === 'dead' || answer === 'slow' ? undefined : answer;
  }

  /** A node's predecessor and successors (the origin's own are local). */
  private async neighborsOf(peer: ChordContact): Promise<NeighborState | 'dead' | 'slow'> {
    if (peer.nodeId === this.ctx.self.nodeId) return this.ctx.localNeighbors();
    return this.rpc(peer, (s) => this.ctx.remote(peer).getNeighbors(s), SLOW_TRIES);
  }

  /** A node that may own the key did not answer in time: no guessing past it. */
  private unsure(peer: ChordContact): LookupUnsureError {
    return new LookupUnsureError(
      `node ${peer.id} may own key ${idToHex(this.key)} but does not answer in time`,
      this.lastError,
    );
  }

  private result(owner: ChordContact): LookupResult {
    return { owner, hops: this.hops, rpcs: this.rpcs };
  }

  /**
   * A remote node that names itself as the owner (see owner-claim.ts): its predecessor must
   * place the key in its range and vouch for it. A predecessor that cannot be asked is not held
   * against it (a ring under churn has those).
   */
  private async selfClaimHolds(claimant: ChordContact): Promise<boolean> {
    const state = await this.neighborsOf(claimant);
    if (state === 'slow') throw this.unsure(claimant);
    if (state === 'dead') return false;
    // a lone node owns everything, believed only by an origin that knows no one else (a joiner)
    if (!state.predecessor && state.successors.length === 0)
      return this.ctx.localNeighbors().successors.every((s) => s.nodeId === claimant.nodeId);
    if (!ownerRangeHolds(this.key, claimant, state, this.dead, true)) return false;
    const p = state.predecessor as ChordContact;
    const pState = await this.neighborsOf(p);
    return typeof pState !== 'object' || predecessorVouches(claimant, p, pState, this.dead);
  }

  /** An answer the owner's neighbours contradict: avoid its author and back up a step. */
  private distrust(answerer: ChordContact): undefined {
    this.lastError = new P2PError('PROTOCOL', `node ${answerer.id} named an owner its neighbours contradict`);
    this.markDead(answerer);
    return undefined;
  }

  /**
   * Confirms the owner `answerer` named (its successor, as far as it knows): the owner must be
   * alive, and if a node joined between the two since the answerer last stabilized, the
   * owner's predecessor pointer already says so — walk back while the key falls at or before
   * it. Undefined: the owner is dead. Throws when the owner, or a predecessor that claims the
   * key, only timed out: skipping a live node would name the wrong owner.
   */
  private async confirmOwner(
    answerer: ChordContact,
    named: ChordContact,
  ): Promise<{ owner: ChordContact; state: NeighborState } | undefined> {
    let owner = named;
    let state = await this.neighborsOf(owner);
    if (state === 'slow') throw this.unsure(owner);
    if (state === 'dead') return undefined;
    for (let walk = 0; walk < MAX_WALK_BACK; walk++) {
      const p: ChordContact | null = state.predecessor;
      if (
        !p ||
        this.dead.has(p.nodeId) ||
        !inOpen(p.nodeId, answerer.nodeId, owner.nodeId) ||
        !inHalfOpen(this.key, answerer.nodeId, p.nodeId)
      )
        break;
      const pState: NeighborState | 'dead' | 'slow' = await this.neighborsOf(p);
      if (pState === 'slow') throw this.unsure(p);
      if (pState === 'dead') break; // a stale pointer to a dead node: `owner` is right
      owner = p;
      state = pState;
    }
    return { owner, state };
  }
}

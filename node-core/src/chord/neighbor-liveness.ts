// Telling a slow neighbour from a dead one: a refusal or reset means dead at once, a timeout only
// after TIMEOUTS_BEFORE_DEAD in a row; and retrying a call while it fails only the way a slow
// node fails. Apart from the protocol steps, which only ask "give up on it yet?".
import { setTimeout as sleep } from 'node:timers/promises';
import { LookupUnsureError, RpcTimeoutError } from './lookup';
import type { ChordContact } from './remote';

/**
 * Consecutive timeouts (not refusals) before stabilize or check_predecessor give up on a
 * neighbour. A loaded machine can make a live node miss a deadline; dropping it at once would
 * leave its predecessor naming the next node as owner of its keys until the next repair.
 */
export const TIMEOUTS_BEFORE_DEAD = 3;
/** Runs of a lookup that stopped at a slow node (LookupUnsureError) before it reports failure. */
const LOOKUP_TRIES = 3;

export class NeighborTimeouts {
  /** Consecutive RPC timeouts per neighbour. */
  private readonly counts = new Map<bigint, number>();

  /** The neighbour answered: its count starts again. */
  answered(peer: ChordContact): void {
    this.counts.delete(peer.nodeId);
  }

  /** After a failed call to a neighbour: dead now (refused, reset), or after repeated timeouts. */
  givesUpOn(peer: ChordContact, err: unknown): boolean {
    if (!(err instanceof RpcTimeoutError)) {
      this.counts.delete(peer.nodeId);
      return true;
    }
    const n = (this.counts.get(peer.nodeId) ?? 0) + 1;
    if (n < TIMEOUTS_BEFORE_DEAD) {
      this.counts.set(peer.nodeId, n);
      return false;
    }
    this.counts.delete(peer.nodeId);
    return true;
  }
}

export interface RetryPolicy {
  /** Only these failures are tried again; any other rejects at once. */
  when: (err: unknown) => boolean;
  /** Runs in all, the first included. */
  tries: number;
  /** The pause before run n + 1 is n times this. */
  backoffMs: number;
  signal: AbortSignal;
}

/** Runs `run` until it resolves, fails otherwise than `policy.when`, or has had its tries. */
export async function retrying<T>(run: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const { signal } = policy;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!policy.when(err) || attempt >= policy.tries) throw err;
      await sleep(policy.backoffMs * attempt, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
}

/** A call a join must get through, retried while it only times out (TIMEOUTS_BEFORE_DEAD runs). */
export function whileSlow(signal: AbortSignal): RetryPolicy {
  return { when: (err) => err instanceof RpcTimeoutError, tries: TIMEOUTS_BEFORE_DEAD, backoffMs: 100, signal };
}

/** A lookup that would have had to guess past a slow node, run again (LOOKUP_TRIES runs). */
export function whileUnsure(signal: AbortSignal): RetryPolicy {
  return { when: (err) => err instanceof LookupUnsureError, tries: LOOKUP_TRIES, backoffMs: 200, signal };
}

// How a chord peer gets onto the ring and stays on it through the metaserver's referrals: the
// first join (--join, a referral, or a new ring) and, later, rejoining when isolated and meeting a
// referral now and then so that two rings merge. It holds no timer or socket of its own: its
// periodic checks run on the ring's timer set, which the ring's close, crash or leave clears.
import type { PeerRef } from '../events';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import type { PeerOptions } from '../peer';
import type { MetaserverRelay } from '../relay/relay-route';
import { P2PError, toP2PError } from '../wire';
import type { ChordRing } from './chord-ring';
import { nodeIdOf } from './id';
import { retrying } from './neighbor-liveness';

/** Passes over the referrals before a start fails; the pause before pass n + 1 is n times JOIN_PAUSE_MS. */
const JOIN_ROUNDS = 3;
const JOIN_PAUSE_MS = 300;
/** Refusals a retry cannot change: this node may not be on the ring as it is. */
const JOIN_FATAL: ReadonlySet<string> = new Set([
  'DUPLICATE_ID',
  'AUTH_FAILED',
  'BLOCKED',
  'NOT_TRUSTED',
  'KEY_CHANGED',
  'CANCELLED',
]);

/** Replication rounds between two meetings of a random referral (ring merge check). */
const MEET_EVERY_REPLICATIONS = 4;

export class RingEntry {
  constructor(
    private readonly ring: ChordRing,
    /** Absent without --metaserver: then only --join or a new ring. */
    private readonly metaserver: MetaserverClient | undefined,
    private readonly relay: MetaserverRelay,
    /** The peer's operations: stopping it ends the join retries. */
    private readonly signal: AbortSignal,
    private readonly log?: (line: string) => void,
  ) {}

  /** Joins through --join, a referral of the registration, or starts a ring. */
  async enter(join: PeerOptions['join'], registered: PeerRef[]): Promise<void> {
    const referrals = this.noteRelayed(registered);
    if (join) {
      await this.ring.begin(join);
      // The referrals may be on another ring than the --join address: merge with it.
      for (const ref of referrals.slice(0, 2)) void this.ring.meet(ref);
      return;
    }
    if (referrals.length === 0) return this.ring.begin();
    // A slow or settling ring (lookups timing out, answers its neighbours contradict for a moment)
    // gets more passes; a refusal about who we are does not.
    const policy = {
      when: (err: unknown) => !JOIN_FATAL.has(toP2PError(err).code),
      tries: JOIN_ROUNDS,
      backoffMs: JOIN_PAUSE_MS,
      signal: this.signal,
    };
    try {
      await retrying(() => this.joinThroughAny(referrals), policy);
    } catch (err) {
      if (!policy.when(err)) throw err;
      throw new P2PError(
        'PEER_UNREACHABLE',
        `could not join the ring through any referral: ${toP2PError(err).message}`,
      );
    }
  }

  /** Once on the ring, with a metaserver: rejoin when isolated, meet a referral now and then. */
  keepOnRing(): void {
    if (!this.metaserver) return;
    const { ring } = this;
    ring.every('rejoin', ring.replicateMs, () => this.rejoinIfIsolated());
    ring.every('meet', MEET_EVERY_REPLICATIONS * ring.replicateMs, () => this.meetAReferral());
  }

  /** One pass over the referrals; rejects with the last failure. */
  private async joinThroughAny(referrals: PeerRef[]): Promise<void> {
    let lastError: unknown;
    for (const ref of referrals) {
      // A referral may be a flood peer (the metaserver serves both): it refuses chord-step.
      try {
        return await this.ring.begin(ref);
      } catch (err) {
        lastError = err;
        if (JOIN_FATAL.has(toP2PError(err).code)) throw err;
        // A lone node may have joined us meanwhile (it rejoins through the metaserver): its ring is ours.
        if (!this.ring.node.isAlone()) return this.ring.begin();
      }
    }
    throw lastError;
  }

  /**
   * A node that lost every successor and its predecessor (more consecutive deaths than its
   * successor list covers, or a partition) is a ring of one; the metaserver knows who else is
   * out there, so it joins through them again.
   */
  private async rejoinIfIsolated(): Promise<void> {
    const { ring } = this;
    if (!ring.node.successors.isEmpty() || ring.node.predecessor || !this.metaserver?.connected) return;
    const referrals = this.noteRelayed(await this.metaserver.referrals([ring.self.id]));
    for (const ref of referrals) {
      try {
        await ring.node.join({ id: ref.id, host: ref.host, port: ref.port, nodeId: nodeIdOf(ref.host, ref.port) });
        this.log?.(`chord: was alone, rejoined through ${ref.id}`);
        return;
      } catch {
        // a flood peer, a dead one, or one that is on our own (one-node) ring: try the next
      }
    }
  }

  /**
   * The metaserver may see nodes of another ring (peers that joined through `--join`, a ring
   * that formed while it was down): meeting one of its referrals now and then merges the rings.
   */
  private async meetAReferral(): Promise<void> {
    const { ring } = this;
    if (ring.node.isAlone() || !this.metaserver?.connected) return;
    const referrals = this.noteRelayed(await this.metaserver.referrals([ring.self.id]));
    const pick = referrals[Math.floor(Math.random() * referrals.length)];
    if (pick && (await ring.meet(pick))) this.log?.(`chord: ${pick.id} is on another ring, merging`);
  }

  /** Referrals the metaserver admitted as relayed are dialed through the relay from the first try. */
  private noteRelayed(referrals: PeerRef[]): PeerRef[] {
    for (const ref of referrals) if (ref.relayed) this.relay.reachedThroughRelay(ref);
    return referrals;
  }
}

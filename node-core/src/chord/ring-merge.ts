// Merging two rings that grew apart (two metaservers, `--join` into separate nodes, a partition
// that healed). Stabilize alone cannot do it: every node's successor is a live node of its own
// ring, so nothing looks wrong. The merge works the way a join does, through a node of the other
// ring:
//   meet   a node learns of a node X (a referral, a `--join` address): it looks its own id up
//          through X. If the owner found lies between it and its successor, X's ring has nodes
//          it did not know: it adopts that owner as successor (and notifies it);
//   walk   such a node then sends a `chord-merge` walk round the ring: each node looks its own id
//          up through the two contacts (one per ring), adopts a closer successor, and passes the
//          walk to its successor, now the true one; the walk ends back at its origin (or after
//          MAX_WALK nodes). Predecessors follow by notify, successor lists and fingers by the usual
//          stabilize and fix_fingers, and lookups are exact once every successor is.
// A peer's hints cost a bounded amount: steps run one at a time, at most MAX_QUEUED wait (more are
// dropped), each is at most MAX_CONTACTS lookups, a node takes part in one walk (origin and
// contacts) once a minute, and a successor is only ever replaced by a live node strictly closer
// than the current one.
import type { ChordNode } from './chord-node';
import { samePeer, type ChordContact } from './remote';

/** Steps waiting to run; beyond this, hints are dropped (a walk is repeated by the next meet). */
const MAX_QUEUED = 8;
/** Nodes a merge walk visits at most: bounds what one hint can make the ring spend. */
export const MAX_WALK = 1024;
/** Contacts a step looks up through (one per ring is all a walk needs). */
const MAX_CONTACTS = 2;
/** A walk seen again within this time is dropped: each walk visits each node once. */
const WALK_MEMORY_MS = 60_000;
/** Walks remembered at most (oldest forgotten first). */
const MAX_REMEMBERED_WALKS = 64;

interface MergeJob {
  contacts: ChordContact[];
  /** Set for a step of a walk; absent for a local meet, which starts a walk only if it changed something. */
  walk?: { origin: ChordContact; ttl: number };
  done: (changed: boolean) => void;
}

export class RingMerger {
  private readonly queue: MergeJob[] = [];
  /** Walks taken part in lately (key → when), in arrival order. */
  private readonly seenWalks = new Map<string, number>();
  private running = false;
  private closed = false;

  constructor(
    private readonly node: ChordNode,
    private readonly onError: (task: string, err: unknown) => void = () => undefined,
  ) {
    node.onMergeHint = (hint) => {
      const contacts = hint.contacts.slice(0, MAX_CONTACTS);
      if (samePeer(hint.origin, node.self) || this.seenRecently([hint.origin, ...contacts])) return;
      this.enqueue({
        contacts,
        walk: { origin: hint.origin, ttl: Math.min(hint.ttl, MAX_WALK) },
        done: () => undefined,
      });
    };
  }

  /**
   * A node we learned of, on our ring or maybe another. If its ring names another owner of our
   * id than ours does (not us, not our successor), the rings differ: adopt that owner if it is
   * closer than our successor, and start a merge walk. Resolves whether a walk started.
   */
  meet(contact: ChordContact): Promise<boolean> {
    if (samePeer(contact, this.node.self)) return Promise.resolve(false);
    return new Promise((resolve) => this.enqueue({ contacts: [contact], done: resolve }));
  }

  /** Drops waiting steps; a step under way ends with the node's signal. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.done(false);
  }

  private enqueue(job: MergeJob): void {
    if (this.closed || this.queue.length >= MAX_QUEUED) return job.done(false);
    this.queue.push(job);
    if (!this.running) void this.drain();
  }

  /** Remembers this walk; true if it was already seen within WALK_MEMORY_MS. */
  private seenRecently(walk: readonly ChordContact[]): boolean {
    const key = walk.map((c) => c.nodeId.toString(16)).join('|');
    const now = Date.now();
    const seen = this.seenWalks.get(key);
    if (seen !== undefined && now - seen < WALK_MEMORY_MS) return true;
    this.seenWalks.delete(key);
    this.seenWalks.set(key, now);
    for (const oldest of this.seenWalks.keys()) {
      if (this.seenWalks.size <= MAX_REMEMBERED_WALKS) break;
      this.seenWalks.delete(oldest);
    }
    return false;
  }

  private async drain(): Promise<void> {
    this.running = true;
    for (let job = this.queue.shift(); job && !this.closed; job = this.queue.shift()) {
      const stranger = await this.step(job.contacts);
      if (job.walk) this.passOn(job.walk.origin, job.contacts, job.walk.ttl - 1);
      else if (stranger) this.passOn(this.node.self, [this.node.self, stranger], MAX_WALK);
      job.done(stranger !== undefined);
    }
    this.running = false;
  }

  /**
   * Our own id looked up through each contact, adopting a closer successor. Returns an owner
   * found that our ring does not see as ours (neither us nor our successor), if any.
   */
  private async step(contacts: readonly ChordContact[]): Promise<ChordContact | undefined> {
    const { node } = this;
    let stranger: ChordContact | undefined;
    for (const contact of contacts) {
      if (samePeer(contact, node.self) || node.signal.aborted) continue;
      try {
        const { owner } = await node.lookupThrough(contact, node.self.nodeId);
        if (samePeer(owner, node.self) || samePeer(owner, node.successor)) continue;
        stranger = owner;
        node.adoptCloserSuccessor(owner);
      } catch (err) {
        if (!node.signal.aborted) this.onError('merge', err);
      }
    }
    return stranger;
  }

  private passOn(origin: ChordContact, contacts: ChordContact[], ttl: number): void {
    const { node } = this;
    if (ttl <= 0 || node.successors.isEmpty() || node.signal.aborted) return;
    const next = node.successor;
    if (samePeer(next, origin) || samePeer(next, node.self)) return;
    node
      .call(next, (r, s) => r.mergeHint({ origin, contacts, ttl }, s))
      .catch((err: unknown) => this.onError('merge walk', err));
  }
}

// Files on the ring: a file lives on the node responsible for its key (SHA-1 of its name) and
// on the next `replicas` successors. Placement is kept by four rules, all in this module:
//   put        SHARE: the sharer offers the file to the key's owner, which fetches it;
//   replicate  periodically, an owner offers the keys it owns to its first `replicas`
//              successors (so after a crash the successor that inherits the range already holds
//              the files, and re-replicates them one node further);
//   hand over  when a node gains a new predecessor, that node takes over part of its range:
//              it is offered every held key outside (predecessor, self];
//   hand off   a leaving node offers everything to its successor before it goes;
//   republish  the sharer re-offers what it put whenever the key's owner changed, so a file
//              outlives even the loss of its owner and all replicas while its sharer lives;
//   records    with each put and every round, the sharer tells the owner which version it
//              serves (VersionPublisher, chord-versions.ts): a node keeps one file per name, so
//              other versions of the name are found through those records, not the copies;
//   prune      a copy this node fetched for the ring (never one it shares itself or the user
//              downloaded) whose key moved on (joins) is dropped once the key's owner and its
//              `replicas` successors, this node not among them, all serve the same version.
// An offer is only names: the receiver fetches what it lacks from the offerer with the
// verified chunked transfer (ChordFileHost.fetch), so there is one transfer protocol.
import type { ChordRing } from './chord-ring';
import { hashToId } from './id';
import type { LookupResult } from './lookup';
import { samePeer, type ChordContact, type VersionClaim } from './remote';

export interface ChordFileHost {
  /** Names this node holds and serves. */
  names(): string[];
  has(name: string): boolean;
  /**
   * Fetches `name` from one of `sources` with the verified transfer; resolves once it is served
   * here. Concurrent fetches of one name must share a single download.
   */
  fetch(name: string, sources: ChordContact[], signal: AbortSignal): Promise<void>;
  /** Does `peer` serve the version of `name` this node holds? */
  holdsSameVersion(name: string, peer: ChordContact, signal: AbortSignal): Promise<boolean>;
  /** The version of `name` this node serves (undefined: none). */
  versionHere(name: string): Promise<VersionClaim | undefined>;
  /** The version of `name` `peer` serves, from its manifest (root computed here); undefined: none, or no answer. */
  versionAt(name: string, peer: ChordContact, signal: AbortSignal): Promise<VersionClaim | undefined>;
  /** Stops serving `name` and deletes the copy the ring brought. */
  drop(name: string): Promise<void>;
}

/** Tells a name's owner which version this node serves (chord-versions.ts). */
export interface VersionPublisher {
  publish(name: string, owner: ChordContact, signal?: AbortSignal): Promise<void>;
  withdraw(name: string): Promise<void>;
}

export interface ChordStorageOptions {
  /** Copies beyond the owner. */
  replicas: number;
  /** Per-offer timeout: covers the receiver's download. */
  offerTimeoutMs: number;
}

/** Copies checked for pruning per replication round: bounds the lookups one round makes. */
const PRUNE_PER_ROUND = 8;

/**
 * A replica's confirmation is trusted for this many replication rounds, then everything is offered
 * again: a replica may have pruned a copy while briefly out of range (a join and a leave between two
 * of our rounds), and offers are only names, so re-offering costs little.
 */
const CONFIRMATION_ROUNDS = 10;

/** Not a node id (ids are ≥ 0): "not placed yet". */
const NO_OWNER = -1n;

export const DEFAULT_STORAGE_OPTIONS: ChordStorageOptions = { replicas: 2, offerTimeoutMs: 120_000 };

export class ChordStorage {
  /** Per replica node, the names it confirmed holding and when: offers are not repeated every round. */
  private readonly confirmed = new Map<bigint, { names: Set<string>; at: number }>();
  /** Set once a graceful leave began: offers are refused so the offerer tries its next successor. */
  private leaving = false;
  /** Offers being received: a leave hands these files on too, once they have landed. */
  private readonly receiving = new Set<Promise<void>>();
  private replicating: Promise<void> | undefined;
  /** Names this node put on the ring (SHARE), and the owner that last took each. */
  private readonly published = new Map<string, bigint>();
  /** Names fetched because the ring offered them and not the user's (published): the only copies prune may drop. */
  private readonly heldForRing = new Set<string>();

  constructor(
    private readonly ring: ChordRing,
    private readonly files: ChordFileHost,
    private readonly versions: VersionPublisher,
    private readonly options: ChordStorageOptions = DEFAULT_STORAGE_OPTIONS,
    private readonly onError: (what: string, err: unknown) => void = () => undefined,
  ) {
    const node = ring.node;
    node.onFileOffer = (source, names, signal) => this.receive(source, names, signal);
    node.on('predecessor-changed', (pred) => {
      if (pred) this.handOver(pred).catch((err: unknown) => this.onError('hand-over', err));
    });
    ring.every('replicate', ring.replicateMs, () => this.replicate());
  }

  /** SHARE: place a file this node serves on the ring. Returns the owner it went to. */
  async put(name: string, signal?: AbortSignal): Promise<LookupResult> {
    // Remembered first, with no owner yet: if this attempt fails, republish retries it. A copy the
    // ring put here becomes the user's (a GET of it): prune never drops it.
    if (!this.published.has(name)) this.published.set(name, NO_OWNER);
    this.heldForRing.delete(name);
    const found = await this.ring.lookup(hashToId(name), signal);
    // The record first: searches find the file here while the owner is still fetching its copy.
    await this.versions.publish(name, found.owner, signal);
    if (!samePeer(found.owner, this.ring.self)) await this.offer(found.owner, [name]);
    else await this.replicate();
    this.published.set(name, found.owner.nodeId);
    return found;
  }

  /**
   * The sharer no longer serves `name`: stop re-offering it and withdraw its version record
   * (copies already placed stay until replaced).
   */
  unpublish(name: string): void {
    this.published.delete(name);
    this.versions.withdraw(name).catch((err: unknown) => this.onError('withdraw', err));
  }

  /** Whether this node holds `name` only because the ring placed a copy here. */
  holdsForRing(name: string): boolean {
    return this.heldForRing.has(name) && this.files.has(name);
  }

  /** Drops the ring's copy of `name` (the user wants another version; one file per name). */
  async dropRingCopy(name: string): Promise<void> {
    if (!this.heldForRing.delete(name)) return;
    await this.files.drop(name);
  }

  /** GET: who serves `name`: the key's owner first, then its replicas. */
  async holders(name: string, signal?: AbortSignal): Promise<{ lookup: LookupResult; holders: ChordContact[] }> {
    const found = await this.ring.lookup(hashToId(name), signal);
    const holders = [found.owner];
    try {
      const state = await this.ring.node.call(found.owner, (r, s) => r.getNeighbors(s));
      holders.push(...state.successors.slice(0, this.options.replicas));
    } catch {
      // The owner is unreachable: its replicas are exactly the successors we can find by lookup.
      const next = await this.ring.lookup(found.owner.nodeId + 1n, signal).catch(() => undefined);
      if (next) holders.push(next.owner);
    }
    return { lookup: found, holders: holders.filter((h, i) => holders.findIndex((o) => samePeer(o, h)) === i) };
  }

  /** Owner duty: make sure the first `replicas` successors hold every key this node owns. */
  replicate(): Promise<void> {
    this.replicating ??= this.replicateOnce().finally(() => {
      this.replicating = undefined;
    });
    return this.replicating;
  }

  /** Leaving: the successor takes everything this node holds (it becomes their owner or a replica). */
  async handOffAll(): Promise<void> {
    this.leaving = true;
    await Promise.allSettled(this.receiving);
    const names = this.files.names();
    for (const succ of this.ring.node.successors.all()) {
      if (names.length === 0) return;
      try {
        await this.offer(succ, names);
        return;
      } catch (err) {
        this.onError('hand-off', err);
      }
    }
  }

  private async replicateOnce(): Promise<void> {
    await this.republish();
    await this.prune().catch((err: unknown) => this.onError('prune', err));
    const node = this.ring.node;
    const owned = this.files.names().filter((name) => node.owns(hashToId(name)));
    if (owned.length === 0) return;
    const targets = node.successors.all().slice(0, this.options.replicas);
    // Forget confirmations from nodes that are no longer replicas: if one comes back (a restart
    // on the same address has the same id) it is offered everything again.
    const stale = Date.now() - CONFIRMATION_ROUNDS * this.ring.replicateMs;
    for (const [nodeId, { at }] of this.confirmed)
      if (at < stale || !targets.some((t) => t.nodeId === nodeId)) this.confirmed.delete(nodeId);
    await Promise.all(
      targets.map(async (target) => {
        const missing = owned.filter((name) => !this.confirmed.get(target.nodeId)?.names.has(name));
        if (missing.length > 0)
          await this.offer(target, missing).catch((err: unknown) => this.onError('replicate', err));
      }),
    );
  }

  private async republish(): Promise<void> {
    for (const [name, lastOwner] of this.published) {
      const found = await this.ring.lookup(hashToId(name)).catch((err: unknown) => this.onError('republish', err));
      if (!found) continue;
      const { owner } = found;
      try {
        if (owner.nodeId !== lastOwner && !samePeer(owner, this.ring.self)) await this.offer(owner, [name]);
        // Every round, changed owner or not: the owner forgets holders that stop vouching.
        await this.versions.publish(name, owner);
        if (this.published.has(name)) this.published.set(name, owner.nodeId);
      } catch (err) {
        this.onError('republish', err);
      }
    }
  }

  /** Drops copies held for keys whose placement (owner + `replicas` successors) moved past us. */
  private async prune(): Promise<void> {
    const node = this.ring.node;
    const candidates = [...this.heldForRing].filter(
      (name) => !this.published.has(name) && this.files.has(name) && !node.owns(hashToId(name)),
    );
    for (const name of candidates.slice(0, PRUNE_PER_ROUND)) {
      const placement = await this.placementOf(name);
      if (!placement || placement.some((p) => samePeer(p, this.ring.self))) continue;
      const signal = node.signal;
      const held = await Promise.all(placement.map((p) => this.files.holdsSameVersion(name, p, signal)));
      // Checked again after the awaits: a SHARE or a new offer may have claimed the name meanwhile.
      if (!held.every(Boolean) || this.published.has(name) || !this.heldForRing.has(name)) continue;
      this.heldForRing.delete(name);
      await this.files.drop(name);
    }
    for (const name of this.heldForRing) if (!this.files.has(name)) this.heldForRing.delete(name);
  }

  /** The key's owner and its first `replicas` successors, as the owner sees them now. */
  private async placementOf(name: string): Promise<ChordContact[] | undefined> {
    const found = await this.ring.lookup(hashToId(name)).catch(() => undefined);
    if (!found) return undefined;
    const state = await this.ring.node.call(found.owner, (r, s) => r.getNeighbors(s)).catch(() => undefined);
    if (!state) return undefined;
    return [found.owner, ...state.successors.slice(0, this.options.replicas)];
  }

  private async handOver(pred: ChordContact): Promise<void> {
    const node = this.ring.node;
    // The user's own files are not handed over: republish offers them to their owner, wherever it is.
    const theirs = this.files.names().filter((name) => !node.owns(hashToId(name)) && !this.published.has(name));
    if (theirs.length > 0) await this.offer(pred, theirs);
  }

  private async offer(target: ChordContact, names: string[]): Promise<void> {
    await this.ring.node.call(target, (r, s) => r.offerFiles(this.ring.self, names, s), this.options.offerTimeoutMs);
    let entry = this.confirmed.get(target.nodeId);
    if (!entry) this.confirmed.set(target.nodeId, (entry = { names: new Set(), at: Date.now() }));
    for (const name of names) entry.names.add(name);
  }

  /** Someone asks us to hold files: fetch the missing ones from it (the host runs one download per name). */
  private receive(source: ChordContact, names: string[], signal: AbortSignal): Promise<void> {
    if (this.leaving) return Promise.reject(new Error('this node is leaving the ring'));
    const landing = this.fetchOffered(source, names, signal);
    this.receiving.add(landing);
    return landing.finally(() => this.receiving.delete(landing));
  }

  private async fetchOffered(source: ChordContact, names: string[], signal: AbortSignal): Promise<void> {
    for (const name of names) {
      // Checked per name, after each await: another offer may have brought it meanwhile.
      if (this.files.has(name)) continue;
      await this.files.fetch(name, [source], signal);
      // a GET of the name may have joined this fetch and published it as the user's meanwhile
      if (!this.published.has(name)) this.heldForRing.add(name);
    }
    // Files that landed in our own range must reach our replicas without waiting a round.
    if (names.some((name) => this.ring.node.owns(hashToId(name)))) {
      this.replicate().catch((err: unknown) => this.onError('replicate', err));
    }
  }
}

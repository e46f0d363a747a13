// Which versions of a file name exist on the ring, and who serves each. A file's key is SHA-1 of
// its name, so every version of a name has the same owner; the owner keeps a record per version
// (VersionIndex), and the ring keeps those records as it keeps files:
//   publish    a holder (the sharer, a downloader) tells the owner which version it serves, and
//              again every replication round; the owner keeps a new record only once the
//              holder's own manifest confirms it, and forgets a holder not vouched for in
//              RECORD_TTL_ROUNDS rounds;
//   withdraw   a holder that stops serving a name tells the owner, which checks with the holder;
//   replicate  the owner sends its names' records to its first `replicas` successors (what
//              changed, every round; everything, every FULL_PUSH_ROUNDS rounds);
//   hand over  a new predecessor is sent the records of the names it now owns;
//   hand off   a leaving node sends every record to its successor.
// Records sent by another node are kept unchecked but cannot move a holder recorded under
// another version; they only tell a search whom to ask, and the search checks every holder
// (version-search.ts). The bytes stay with the holders and the ring's copies (chord-storage.ts).
import { P2PError } from '../wire/errors';
import type { ChordFileHost } from './chord-storage';
import type { ChordRing } from './chord-ring';
import { hashToId } from './id';
import { samePeer, type ChordContact, type FileVersion, type VersionClaim, type VersionId } from './remote';
import { VersionIndex } from './version-index';

/** Rounds a holder stays recorded without being vouched for again. */
const RECORD_TTL_ROUNDS = 10;
/** Every this many rounds an owner sends all its records, not only what changed. */
const FULL_PUSH_ROUNDS = 4;
/** Holders asked for their manifest at once; past MAX_WAITING_CHECKS waiting, a publish is refused. */
const CONCURRENT_CHECKS = 4;
const MAX_WAITING_CHECKS = 64;
const CHECK_TIMEOUT_MS = 5000;
/** A publish waits for the owner's check of this node (its manifest), beyond a plain RPC. */
const PUBLISH_TIMEOUT_MS = 2 * CHECK_TIMEOUT_MS;

export class ChordVersions {
  readonly index = new VersionIndex();
  /** The version this node published of each name it serves, to withdraw it by. */
  private readonly mine = new Map<string, VersionClaim>();
  /** Per replica node, the revision of each name it was last sent. */
  private readonly sent = new Map<bigint, Map<string, number>>();
  private rounds = 0;
  private activeChecks = 0;
  private readonly waitingChecks: Array<() => void> = [];

  constructor(
    private readonly ring: ChordRing,
    private readonly files: Pick<ChordFileHost, 'versionHere' | 'versionAt'>,
    private readonly replicas: number,
    private readonly onError: (what: string, err: unknown) => void = () => undefined,
  ) {
    const node = ring.node;
    node.versionRecords = {
      publishVersion: (name, claim, holder, signal) => this.recordPublished(name, claim, holder, signal),
      withdrawVersion: (name, version, holder, signal) => this.recordWithdrawn(name, version, holder, signal),
      versionsOf: (name) => this.index.versions(name),
      putVersions: (name, versions) => this.keep(name, versions),
    };
    node.on('predecessor-changed', (pred) => {
      if (pred) this.handOver(pred).catch((err: unknown) => this.onError('versions hand-over', err));
    });
    ring.every('versions', ring.replicateMs, () => this.replicate());
  }

  // ---- as a holder ----

  /** Tells `owner` which version of `name` this node serves (a refresh when it already knows). */
  async publish(name: string, owner: ChordContact, signal?: AbortSignal): Promise<void> {
    const claim = await this.files.versionHere(name);
    if (!claim) return;
    this.mine.set(name, claim);
    const self = this.ring.self;
    if (samePeer(owner, self)) this.index.add(name, claim, self, Date.now());
    else
      await this.ring.node.call(
        owner,
        (r, s) => r.publishVersion(name, claim, self, anyOf(s, signal)),
        PUBLISH_TIMEOUT_MS,
      );
  }

  /** This node no longer serves `name`: its owner forgets this node as a holder of it. */
  async withdraw(name: string): Promise<void> {
    const claim = this.mine.get(name);
    if (!claim) return;
    this.mine.delete(name);
    const self = this.ring.self;
    this.index.remove(name, claim, self);
    const { owner } = await this.ring.lookup(hashToId(name));
    if (!samePeer(owner, self)) await this.ring.node.call(owner, (r, s) => r.withdrawVersion(name, claim, self, s));
  }

  // ---- as an owner or replica ----

  private async recordPublished(
    name: string,
    claim: VersionClaim,
    holder: ChordContact,
    signal: AbortSignal,
  ): Promise<void> {
    if (!this.ring.node.owns(hashToId(name)))
      throw new P2PError('NOT_FOUND', `this node is not the owner of "${name}"`, name);
    if (this.index.holds(name, claim, holder)) {
      this.index.add(name, claim, holder, Date.now());
      return;
    }
    const served = await this.versionServedBy(name, holder, signal);
    if (!served || !sameVersion(served, claim) || served.size !== claim.size)
      throw new P2PError('VERIFY_FAILED', `${holder.id} does not serve that version of "${name}"`, name);
    if (!this.index.add(name, claim, holder, Date.now()))
      throw new P2PError('RATE_LIMITED', `this node keeps records of too many names to add "${name}"`, name);
  }

  private async recordWithdrawn(name: string, version: VersionId, holder: ChordContact, signal: AbortSignal) {
    if (!this.index.holds(name, version, holder)) return;
    const served = await this.versionServedBy(name, holder, signal);
    if (served && sameVersion(served, version)) return; // still served there: not the holder's word
    this.index.remove(name, version, holder);
  }

  /** Records another node sent: kept as pointers (each holder is checked when searched). */
  private keep(name: string, versions: readonly FileVersion[]): void {
    const now = Date.now();
    for (const version of versions)
      for (const holder of version.holders) this.index.add(name, version, holder, now, { move: false });
  }

  /** The version `holder` serves, from its manifest; at most CONCURRENT_CHECKS asked at once. */
  private async versionServedBy(
    name: string,
    holder: ChordContact,
    signal: AbortSignal,
  ): Promise<VersionClaim | undefined> {
    if (this.activeChecks < CONCURRENT_CHECKS) this.activeChecks++;
    else if (this.waitingChecks.length >= MAX_WAITING_CHECKS)
      throw new P2PError('RATE_LIMITED', `too many version checks waiting; "${name}" not recorded`, name);
    else await new Promise<void>((resolve) => this.waitingChecks.push(resolve));
    try {
      return await this.files.versionAt(name, holder, anyOf(signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)));
    } finally {
      // The slot passes straight to the next waiting check.
      const next = this.waitingChecks.shift();
      if (next) next();
      else this.activeChecks--;
    }
  }

  /** Owner duty, every round: forget stale holders, send the records of owned names to the replicas. */
  async replicate(): Promise<void> {
    const node = this.ring.node;
    this.index.expire(Date.now() - RECORD_TTL_ROUNDS * this.ring.replicateMs);
    const full = ++this.rounds % FULL_PUSH_ROUNDS === 0;
    const owned = this.index.names().filter((name) => node.owns(hashToId(name)));
    const targets = node.successors
      .all()
      .slice(0, this.replicas)
      .filter((t) => !samePeer(t, this.ring.self));
    for (const [nodeId, sent] of this.sent) {
      if (!targets.some((t) => t.nodeId === nodeId)) this.sent.delete(nodeId);
      else for (const name of sent.keys()) if (this.index.revision(name) === 0) sent.delete(name);
    }
    await Promise.all(
      targets.map(async (target) => {
        let sent = this.sent.get(target.nodeId);
        if (!sent) this.sent.set(target.nodeId, (sent = new Map()));
        for (const name of owned) {
          const revision = this.index.revision(name);
          if (!full && sent.get(name) === revision) continue;
          try {
            await this.send(target, name);
            sent.set(name, revision);
          } catch (err) {
            this.onError('versions replicate', err);
            return;
          }
        }
      }),
    );
  }

  /** Leaving: the successor takes every record (it becomes their owner or a replica). */
  async handOffAll(): Promise<void> {
    const names = this.index.names();
    for (const succ of this.ring.node.successors.all()) {
      if (names.length === 0 || samePeer(succ, this.ring.self)) return;
      try {
        for (const name of names) await this.send(succ, name);
        return;
      } catch (err) {
        this.onError('versions hand-off', err);
      }
    }
  }

  private async handOver(pred: ChordContact): Promise<void> {
    const node = this.ring.node;
    for (const name of this.index.names()) if (!node.owns(hashToId(name))) await this.send(pred, name);
  }

  private send(target: ChordContact, name: string): Promise<void> {
    const versions = this.index.versions(name);
    if (versions.length === 0) return Promise.resolve();
    return this.ring.node.call(target, (r, s) => r.putVersions(name, versions, s));
  }
}

function sameVersion(a: VersionId, b: VersionId): boolean {
  return a.root === b.root;
}

function anyOf(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}

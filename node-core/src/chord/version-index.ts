// The version records a chord node keeps: per file name, the versions (size, Merkle root) and
// the nodes that serve each, every holder with the time it was last vouched for.
// Strangers fill it, so it is bounded three ways:
//   - a holder serves one version of a name (a folder holds one file per name): recording it
//     under a new version moves it there, so one node takes at most one version slot;
//   - at most MAX_CHORD_VERSIONS versions per name: a new one takes the place of the version
//     with the fewest holders, the most recently added among those, so a stream of new versions
//     replaces its own and never the versions kept before it;
//   - at most MAX_VERSION_HOLDERS holders per version (the least recently seen one gives way) and
//     `maxNames` names in all (a new name past that is not kept).
import { MAX_CHORD_VERSIONS, MAX_VERSION_HOLDERS } from '../wire/fields';
import type { ChordContact, FileVersion, VersionClaim, VersionId } from './remote';

/** Names a node keeps records for by default. */
export const MAX_RECORD_NAMES = 4096;

interface VersionEntry extends VersionClaim {
  /** By node id: the holder and when it was last vouched for. */
  holders: Map<bigint, { contact: ChordContact; seenAt: number }>;
  /** Order of arrival, to pick which version gives way. */
  addedAt: number;
}

export class VersionIndex {
  private readonly byName = new Map<string, VersionEntry[]>();
  /** Bumped at every change of a name's versions or holders (not at a mere refresh). */
  private readonly revisions = new Map<string, number>();
  private arrivals = 0;
  private changes = 0;

  constructor(private readonly maxNames = MAX_RECORD_NAMES) {}

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Changes so far to `name`'s records (0: none kept). */
  revision(name: string): number {
    return this.revisions.get(name) ?? 0;
  }

  /** Is `holder` recorded as serving this version of `name`? */
  holds(name: string, claim: VersionId, holder: ChordContact): boolean {
    return this.find(name, claim)?.holders.has(holder.nodeId) ?? false;
  }

  /** The versions of `name`, most held first; each one's holders most recently seen first. */
  versions(name: string): FileVersion[] {
    const entries = this.byName.get(name) ?? [];
    return entries
      .map((v) => ({
        size: v.size,
        root: v.root,
        holders: [...v.holders.values()].sort((a, b) => b.seenAt - a.seenAt).map((h) => h.contact),
      }))
      .sort((a, b) => b.holders.length - a.holders.length);
  }

  /**
   * Records that `holder` serves this version of `name` (seen `now`). Returns false when the
   * name is new and the index is full, or (`move: false`) the holder is recorded under another
   * version: only the holder's own word, checked, moves it.
   */
  add(name: string, claim: VersionClaim, holder: ChordContact, now: number, { move = true } = {}): boolean {
    let entries = this.byName.get(name);
    if (!entries) {
      if (this.byName.size >= this.maxNames) return false;
      this.byName.set(name, (entries = []));
    }
    const existing = this.find(name, claim);
    const known = existing?.holders.get(holder.nodeId);
    if (known) {
      known.seenAt = now;
      known.contact = holder;
      return true;
    }
    if (!move && entries.some((v) => v !== existing && v.holders.has(holder.nodeId))) return false;
    this.dropHolder(entries, holder.nodeId, existing);
    const entry = existing ?? this.makeRoom(entries, claim);
    entry.holders.set(holder.nodeId, { contact: holder, seenAt: now });
    if (entry.holders.size > MAX_VERSION_HOLDERS) {
      const stalest = [...entry.holders].sort((a, b) => a[1].seenAt - b[1].seenAt)[0][0];
      entry.holders.delete(stalest);
    }
    this.changed(name);
    return true;
  }

  /** Forgets that `holder` serves this version; a version left with no holder is dropped. */
  remove(name: string, claim: VersionId, holder: ChordContact): void {
    const entries = this.byName.get(name);
    const entry = this.find(name, claim);
    if (!entries || !entry?.holders.delete(holder.nodeId)) return;
    if (entry.holders.size === 0) entries.splice(entries.indexOf(entry), 1);
    if (entries.length === 0) this.byName.delete(name);
    this.changed(name);
  }

  /** Drops holders last vouched for before `cutoff`, then empty versions and names. */
  expire(cutoff: number): void {
    for (const [name, entries] of [...this.byName]) {
      let changed = false;
      for (const entry of entries)
        for (const [id, h] of [...entry.holders]) if (h.seenAt < cutoff) changed = entry.holders.delete(id) || changed;
      const kept = entries.filter((e) => e.holders.size > 0);
      if (kept.length === 0) this.byName.delete(name);
      else this.byName.set(name, kept);
      if (changed) this.changed(name);
    }
  }

  /** A version is its root (bound to the size). */
  private find(name: string, claim: VersionId): VersionEntry | undefined {
    return this.byName.get(name)?.find((v) => v.root === claim.root);
  }

  /** A holder moves to the version it now serves: it leaves any other version of the name. */
  private dropHolder(entries: VersionEntry[], holderId: bigint, keep: VersionEntry | undefined): void {
    for (const entry of [...entries]) {
      if (entry === keep || !entry.holders.delete(holderId)) continue;
      if (entry.holders.size === 0) entries.splice(entries.indexOf(entry), 1);
    }
  }

  /** A new version's entry, in place of the least held (most recently added) one when full. */
  private makeRoom(entries: VersionEntry[], claim: VersionClaim): VersionEntry {
    if (entries.length >= MAX_CHORD_VERSIONS) {
      const victim = entries.reduce((worst, v) =>
        v.holders.size < worst.holders.size || (v.holders.size === worst.holders.size && v.addedAt > worst.addedAt)
          ? v
          : worst,
      );
      entries.splice(entries.indexOf(victim), 1);
    }
    const entry: VersionEntry = {
      size: claim.size,
      root: claim.root,
      holders: new Map(),
      addedAt: ++this.arrivals,
    };
    entries.push(entry);
    return entry;
  }

  private changed(name: string): void {
    if (this.byName.has(name)) this.revisions.set(name, ++this.changes);
    else this.revisions.delete(name);
  }
}

// SEARCH in chord mode: every version of a name, each with the holders that serve it. The key's
// owner and its replicas are asked for their version records (chord-versions.ts); then each of
// them and every holder a record names is asked for its own manifest, and listed under the
// version that manifest proves (its root computed here). A record is only a hint of whom to
// ask: a holder that no longer serves the file, or serves another version, is never listed
// under the recorded one.
import type { PeerRef, SearchHitEvent, SearchResultEvent } from '../events';
import { MAX_CHORD_VERSIONS, MAX_VERSION_HOLDERS } from '../wire/fields';
import type { ChordContact, FileVersion, VersionClaim } from './remote';

export interface VersionSearchSources {
  /** The key's owner and its replicas. */
  placement(name: string, signal: AbortSignal): Promise<ChordContact[]>;
  /** The version records `node` keeps for `name`. */
  recordsAt(node: ChordContact, name: string, signal: AbortSignal): Promise<FileVersion[]>;
  /** The version of `name` `peer` serves, from its manifest (undefined: none). */
  versionAt(name: string, peer: ChordContact, signal: AbortSignal): Promise<VersionClaim | undefined>;
}

/** Holders asked for their manifest at once, how long each may take, and all of them together. */
const CONCURRENT_CHECKS = 8;
const CHECK_TIMEOUT_MS = 5000;
const CHECKS_DEADLINE_MS = 10_000;
/** Holders asked per search beyond the placement: what a full set of records can name. */
const MAX_CHECKED_HOLDERS = MAX_CHORD_VERSIONS * MAX_VERSION_HOLDERS;

/** One result per version found (most holders first); empty: not found. */
export async function searchVersions(
  sources: VersionSearchSources,
  name: string,
  signal: AbortSignal,
  onHit?: (hit: SearchHitEvent) => void,
): Promise<SearchResultEvent[]> {
  const placement = await sources.placement(name, signal);
  const records = await Promise.all(placement.map((p) => sources.recordsAt(p, name, signal).catch(() => [])));
  const toAsk = new Map<bigint, ChordContact>(placement.map((p) => [p.nodeId, p]));
  for (const holder of records.flat().flatMap((v) => v.holders)) {
    if (toAsk.size >= placement.length + MAX_CHECKED_HOLDERS) break;
    if (!toAsk.has(holder.nodeId)) toAsk.set(holder.nodeId, holder);
  }
  const found = new Map<string, SearchResultEvent>();
  // Recorded holders that never answer (a liar's addresses) cost at most the deadline: the
  // versions proven by then are the result.
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(CHECKS_DEADLINE_MS)]);
  await forEachAtMost(CONCURRENT_CHECKS, [...toAsk.values()], async (peer) => {
    if (deadline.aborted) return;
    const timeout = AbortSignal.any([deadline, AbortSignal.timeout(CHECK_TIMEOUT_MS)]);
    const version = await sources.versionAt(name, peer, timeout).catch(() => undefined);
    if (!version) return;
    const { size, root } = version;
    let result = found.get(root);
    if (!result) found.set(root, (result = { event: 'search-result', name, size, root, holders: [] }));
    const holder: PeerRef = { id: peer.id, host: peer.host, port: peer.port };
    result.holders.push(holder);
    onHit?.({ event: 'search-hit', name, size, root, holder });
  });
  return [...found.values()].sort((a, b) => b.holders.length - a.holders.length);
}

/** Runs `task` on every item, at most `limit` at a time. */
async function forEachAtMost<T>(limit: number, items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

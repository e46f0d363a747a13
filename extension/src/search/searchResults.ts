// Files found in the network, as the `p2p.files` view lists them: the latest search's first, then
// earlier searches' for other names. A search may answer with several `search-result` events for
// one name (one per holder, or per content); they are merged here by name and version (Merkle
// root). No `vscode` import.

import type { PeerRef, SearchResultEvent } from '@node-core/events';
import { Emitter, type Event } from '../util/emitter';

export interface NetworkFile {
  name: string;
  size: number;
  /** The Merkle root: the version a download of this entry fetches. */
  root: string;
  holders: PeerRef[];
  /** The managed peer that searched, and so the one that downloads. */
  foundBy: string;
}

/** Merges one event into a result list (same name and root: union of the holders). */
export function mergeSearchResult(results: NetworkFile[], event: SearchResultEvent, foundBy: string): NetworkFile[] {
  const existing = results.find((r) => r.name === event.name && r.root === event.root && r.foundBy === foundBy);
  if (!existing) {
    return [
      ...results,
      {
        name: event.name,
        size: event.size,
        root: event.root,
        holders: dedupeHolders(event.holders ?? []),
        foundBy,
      },
    ];
  }
  existing.holders = dedupeHolders([...existing.holders, ...(event.holders ?? [])]);
  return results;
}

function dedupeHolders(holders: PeerRef[]): PeerRef[] {
  const byId = new Map<string, PeerRef>();
  for (const h of holders) byId.set(h.id, { id: h.id, host: h.host, port: h.port });
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Holders answer for themselves: what they can make the list hold is bounded. */
const MAX_RESULTS = 200;

export class SearchResults {
  private current: NetworkFile[] = [];
  private lastQuery: string | undefined;
  private readonly changeEmitter = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  get files(): NetworkFile[] {
    return this.current;
  }

  get query(): string | undefined {
    return this.lastQuery;
  }

  /**
   * A search's results, first in the list: they replace an earlier search for the same name and
   * keep the others', so files found by several searches can be selected and downloaded together.
   */
  replace(query: string, files: NetworkFile[]): void {
    this.lastQuery = query;
    const earlier = this.current.filter((file) => file.name !== query && !files.includes(file));
    this.current = [...files, ...earlier].slice(0, MAX_RESULTS);
    this.changeEmitter.fire();
  }

  /** Drops results found by a peer that left: it can no longer download them. */
  forgetPeer(peerId: string): void {
    const kept = this.current.filter((f) => f.foundBy !== peerId);
    if (kept.length !== this.current.length) {
      this.current = kept;
      this.changeEmitter.fire();
    }
  }

  clear(): void {
    this.lastQuery = undefined;
    this.current = [];
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

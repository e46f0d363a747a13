// The searcher's side of a flood search: holders answer it directly (`hit`). Each new holder
// is reported at once (onHit); the answers are gathered per file version until a short
// grace period after the first hit, or until the search times out with nothing. A version is its
// Merkle root with the size claimed with it: a holder lying about the size lands in a version of
// its own and cannot spoil the honest one. What one search keeps is bounded, since any peer can
// answer with made-up versions and holders.
import type { PeerRef, SearchHitEvent, SearchResultEvent } from '../events';

export interface SearchOptions {
  /** Give up after this long with no hit. */
  timeoutMs?: number;
  /** After the first hit, wait this long for more holders before the final results. */
  graceMs?: number;
  signal?: AbortSignal;
  /** Each holder's answer, the moment it arrives (before the final results). */
  onHit?: (hit: SearchHitEvent) => void;
}

/** Versions (distinct root and size) one search keeps; later ones are ignored. */
export const MAX_VERSIONS = 32;
/** Holders kept per version. */
export const MAX_HOLDERS = 256;

export class SearchCollector {
  private readonly byVersion = new Map<string, SearchResultEvent>();
  private firstHitAt: number | undefined;
  private finish: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private noHitTimer: NodeJS.Timeout | undefined;
  readonly startedAt = Date.now();

  constructor(
    /** In NFC, as the query carried it. */
    readonly name: string,
    private readonly options: SearchOptions,
  ) {}

  /** Milliseconds from start to the first hit (undefined if none yet). */
  get firstHitMs(): number | undefined {
    return this.firstHitAt === undefined ? undefined : this.firstHitAt - this.startedAt;
  }

  /** One holder's answer; ignored if it names another file, or once the search is over or full. */
  addHit(hit: { name: string; size: number; root: string; holder: PeerRef }): void {
    const { name, size, root, holder } = hit;
    if (!this.finish || name.normalize('NFC') !== this.name) return;
    const version = `${root}:${size}`;
    let result = this.byVersion.get(version);
    if (!result) {
      if (this.byVersion.size >= MAX_VERSIONS) return;
      result = { event: 'search-result', name: this.name, size, root, holders: [] };
      this.byVersion.set(version, result);
    }
    if (result.holders.length >= MAX_HOLDERS || result.holders.some((h) => h.id === holder.id)) return;
    const ref = { id: holder.id, host: holder.host, port: holder.port };
    result.holders.push(ref);
    this.options.onHit?.({ event: 'search-hit', name: this.name, size: result.size, root, holder: ref });
    if (this.firstHitAt === undefined) {
      this.firstHitAt = Date.now();
      clearTimeout(this.noHitTimer);
      this.graceTimer = setTimeout(() => this.finish?.(), this.options.graceMs ?? 150);
    }
  }

  /** Resolves with the results (most holders first); an empty list means not found. */
  wait(): Promise<SearchResultEvent[]> {
    return new Promise((resolve) => {
      this.noHitTimer = setTimeout(() => this.finish?.(), this.options.timeoutMs ?? 2000);
      const onAbort = (): void => this.finish?.();
      this.options.signal?.addEventListener('abort', onAbort, { once: true });
      this.finish = () => {
        this.finish = undefined;
        clearTimeout(this.noHitTimer);
        clearTimeout(this.graceTimer);
        this.options.signal?.removeEventListener('abort', onAbort);
        resolve([...this.byVersion.values()].sort((a, b) => b.holders.length - a.holders.length));
      };
    });
  }

  /** Ends the wait early (peer stopping). */
  cancel(): void {
    this.finish?.();
  }
}

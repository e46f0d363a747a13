// The searcher's side of a flood search: holders answer it directly (`hit`), and it gathers
// them per file version until a short grace period after the first hit, or until the search
// times out with nothing. A version is its Merkle root with the whole-file SHA-256 it claims:
// a holder lying about either lands in a version of its own and cannot spoil the honest one.
import type { PeerRef, SearchResultEvent } from '../events';

export interface SearchOptions {
  /** Give up after this long with no hit. */
  timeoutMs?: number;
  /** After the first hit, wait this long for more holders. */
  graceMs?: number;
  signal?: AbortSignal;
}

export class SearchCollector {
  private readonly byVersion = new Map<string, SearchResultEvent>();
  private firstHitAt: number | undefined;
  private finish: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    private readonly options: SearchOptions,
  ) {}

  /** Milliseconds from start to the first hit (undefined if none yet). */
  get firstHitMs(): number | undefined {
    return this.firstHitAt === undefined ? undefined : this.firstHitAt - this.startedAt;
  }

  addHit(hit: { size: number; sha256: string; root: string; holder: PeerRef }): void {
    const { size, sha256, root, holder } = hit;
    const version = `${root}:${sha256}:${size}`;
    let result = this.byVersion.get(version);
    if (!result) {
      result = { event: 'search-result', name: this.name, size, sha256, root, holders: [] };
      this.byVersion.set(version, result);
    }
    if (!result.holders.some((h) => h.id === holder.id))
      result.holders.push({ id: holder.id, host: holder.host, port: holder.port });
    if (this.firstHitAt === undefined) {
      this.firstHitAt = Date.now();
      this.graceTimer = setTimeout(() => this.finish?.(), this.options.graceMs ?? 150);
    }
  }

  /** Resolves with the results (most holders first); an empty list means not found. */
  wait(): Promise<SearchResultEvent[]> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish?.(), this.options.timeoutMs ?? 2000);
      const onAbort = (): void => this.finish?.();
      this.options.signal?.addEventListener('abort', onAbort, { once: true });
      this.finish = () => {
        this.finish = undefined;
        clearTimeout(timer);
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

// The searcher's side of a flood search: holders answer it directly (`hit`), and it gathers
// them per file version (sha256) until a short grace period after the first hit, or until the
// search times out with nothing.
import type { PeerRef, SearchResultEvent } from '../events';

export interface SearchOptions {
  /** Give up after this long with no hit. */
  timeoutMs?: number;
  /** After the first hit, wait this long for more holders. */
  graceMs?: number;
  signal?: AbortSignal;
}

export class SearchCollector {
  private readonly byDigest = new Map<string, SearchResultEvent>();
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

  addHit(size: number, sha256: string, holder: PeerRef): void {
    let result = this.byDigest.get(sha256);
    if (!result) {
      result = { event: 'search-result', name: this.name, size, sha256, holders: [] };
      this.byDigest.set(sha256, result);
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
        resolve([...this.byDigest.values()].sort((a, b) => b.holders.length - a.holders.length));
      };
    });
  }

  /** Ends the wait early (peer stopping). */
  cancel(): void {
    this.finish?.();
  }
}

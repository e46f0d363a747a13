// Query ids this peer has handled recently. An id is kept for `keepMs`, far longer than any
// flood lasts, so a duplicate within that time is always recognised. When `capacity` ids are
// all still fresh, new queries are refused ('full') rather than an id forgotten early: a peer
// that floods ids cannot make us forget one and then replay it. The per-link rate limit
// (query-guard.ts) keeps honest traffic far below the capacity.
export type SeenVerdict = 'new' | 'seen' | 'full';

export const SEEN_KEEP_MS = 30_000;
export const SEEN_CAPACITY = 16_384;

export class SeenQueries {
  /** qid → when it may be forgotten; insertion order is expiry order (one fixed keepMs). */
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly capacity = SEEN_CAPACITY,
    private readonly keepMs = SEEN_KEEP_MS,
  ) {}

  /** Records `qid` unless it was seen or the memory is full of fresh ids. */
  remember(qid: string, now = Date.now()): SeenVerdict {
    this.forgetExpired(now);
    if (this.ids.has(qid)) return 'seen';
    if (this.ids.size >= this.capacity) return 'full';
    this.ids.set(qid, now + this.keepMs);
    return 'new';
  }

  /** Our own searches: always recorded (their number is bounded by the searches we start). */
  add(qid: string, now = Date.now()): void {
    this.ids.delete(qid);
    this.ids.set(qid, now + this.keepMs);
  }

  get size(): number {
    return this.ids.size;
  }

  private forgetExpired(now: number): void {
    for (const [qid, expires] of this.ids) {
      if (expires > now) return;
      this.ids.delete(qid);
    }
  }
}

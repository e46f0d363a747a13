// Where each forwarded query came from, so its hits go back the same way (as in Gnutella): a
// holder answers on the link the query arrived on, and each peer passes the hit to the
// neighbour it got that query from. Nobody ever dials the address a query names, so a query
// cannot aim connections at a third party. Entries expire with the seen-query memory, and each
// query may send back at most MAX_HITS_PER_QUERY hits through us.
import { SEEN_CAPACITY, SEEN_KEEP_MS } from './seen-queries';

export const MAX_HITS_PER_QUERY = 64;

interface Upstream {
  /** The neighbour the query came from (by id: the link may move to a new connection). */
  from: string;
  expires: number;
  hits: number;
}

export class ReversePaths {
  private readonly upstream = new Map<string, Upstream>();

  constructor(
    private readonly capacity = SEEN_CAPACITY,
    private readonly keepMs = SEEN_KEEP_MS,
  ) {}

  remember(qid: string, from: string, now = Date.now()): void {
    this.forgetExpired(now);
    if (this.upstream.size >= this.capacity || this.upstream.has(qid)) return;
    this.upstream.set(qid, { from, expires: now + this.keepMs, hits: 0 });
  }

  /** The neighbour a hit for `qid` goes back to; undefined if unknown, expired or over its budget. */
  nextHop(qid: string, now = Date.now()): string | undefined {
    this.forgetExpired(now);
    const entry = this.upstream.get(qid);
    if (!entry || entry.hits >= MAX_HITS_PER_QUERY) return undefined;
    entry.hits++;
    return entry.from;
  }

  private forgetExpired(now: number): void {
    for (const [qid, entry] of this.upstream) {
      if (entry.expires > now) return;
      this.upstream.delete(qid);
    }
  }
}

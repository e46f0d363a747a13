// What a neighbour's queries may cost this peer. A query's TTL is lowered to MAX_TTL, so nobody
// can make a flood travel further than an honest searcher could. Each link may send
// QUERY_RATE.perSecond queries on average (a token bucket of QUERY_RATE.burst): beyond that its
// queries are dropped unanswered (throttled), and a link that keeps going until it owes another
// full bucket is cut.
import type { ErrorEvent, PeerRef } from '../events';

/** Hops an own search travels unless told otherwise (`--ttl`). */
export const DEFAULT_TTL = 7;
/** The most hops any query travels here: larger TTLs, ours or a neighbour's, are lowered to it. */
export const MAX_TTL = 10;

export interface QueryRate {
  perSecond: number;
  burst: number;
}

/** Far above what searching users send (each link carries each flood at most once each way). */
export const QUERY_RATE: QueryRate = { perSecond: 100, burst: 100 };

/** What the user hears when a neighbour's link was cut for flooding queries. */
export function queryFloodEvent(ref: PeerRef): ErrorEvent {
  return {
    event: 'error',
    code: 'RATE_LIMITED',
    message: `neighbour "${ref.id}" (${ref.host}:${ref.port}) sent queries beyond ${QUERY_RATE.perSecond}/s: link cut`,
    name: ref.id,
  };
}

export function capTtl(ttl: number): number {
  return Math.min(ttl, MAX_TTL);
}

export type QueryVerdict = 'pass' | 'throttle' | 'cut';

/** One link's token bucket. Throttled queries still cost a token, so a flood digs into debt. */
export class QueryBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: QueryRate = QUERY_RATE,
    now = Date.now(),
  ) {
    this.tokens = rate.burst;
    this.last = now;
  }

  take(now = Date.now()): QueryVerdict {
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.last) / 1000) * this.rate.perSecond);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 'pass';
    return this.tokens < -this.rate.burst ? 'cut' : 'throttle';
  }
}

/** How long a neighbour cut for flooding is refused when it tries to join again. */
export const CUT_LINK_BAN_MS = 60_000;
const MAX_BANNED = 1024;

/** The overlay's side: one bucket per link, and the ids recently cut for flooding. */
export class QueryGuard {
  private readonly buckets = new Map<string, QueryBucket>();
  private readonly banned = new Map<string, number>();

  constructor(private readonly rate: QueryRate = QUERY_RATE) {}

  /** Counts one query from neighbour `id`. */
  admit(id: string, now = Date.now()): QueryVerdict {
    let bucket = this.buckets.get(id);
    if (!bucket) this.buckets.set(id, (bucket = new QueryBucket(this.rate, now)));
    return bucket.take(now);
  }

  /** The link to `id` is gone: its bucket too (a ban outlives it). */
  forget(id: string): void {
    this.buckets.delete(id);
  }

  ban(id: string, now = Date.now()): void {
    this.forget(id);
    this.banned.delete(id);
    this.banned.set(id, now + CUT_LINK_BAN_MS);
    if (this.banned.size > MAX_BANNED) this.banned.delete(this.banned.keys().next().value as string);
  }

  isBanned(id: string, now = Date.now()): boolean {
    const until = this.banned.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.banned.delete(id);
    return false;
  }
}

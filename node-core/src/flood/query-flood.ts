// Flooding queries over the overlay's links: a TTL (capped), a path that is not sent back, a
// bounded memory of query ids already handled, a rate guard per link, the reverse path each
// query came by (hits go back that way), and the searches this peer started, which go out again
// on any link that comes up (or moves) before they end.
import type { PeerRef } from '../events';
import type { AnyMessage, Connection } from '../wire';
import { capTtl, QueryGuard } from './query-guard';
import { ReversePaths } from './reverse-path';
import { SeenQueries } from './seen-queries';

export type QueryMessage = Extract<AnyMessage, { t: 'query' }>;
export type HitMessage = Extract<AnyMessage, { t: 'hit' }>;

interface Link {
  ref: PeerRef;
  conn: Connection;
}

/** What to do with a neighbour's query: answer it (first sight), ignore it, or cut the link. */
export type RelayVerdict = 'answer' | 'ignore' | 'cut';

export class QueryFlood {
  private readonly seen = new SeenQueries();
  private readonly guard = new QueryGuard();
  private readonly reversePaths = new ReversePaths();
  /** Floods this peer started and is still collecting answers for (see originate()). */
  private readonly open = new Map<string, QueryMessage>();
  /** Query messages this peer sent (originated or forwarded): the cost of a flood. */
  sent = 0;

  constructor(
    private readonly selfId: string,
    private readonly links: () => Iterable<Link>,
  ) {}

  /**
   * A query from a neighbour: 'answer' the first time its id is seen (the caller then answers it
   * if it holds the file); forwarded while TTL remains. 'cut': the link sent far beyond the rate
   * (query-guard.ts) and its id is banned for a while.
   */
  relay(from: Link, msg: QueryMessage): RelayVerdict {
    const verdict = this.guard.admit(from.ref.id);
    if (verdict === 'cut') {
      this.guard.ban(from.ref.id);
      return 'cut';
    }
    if (verdict === 'throttle' || this.seen.remember(msg.qid) !== 'new') return 'ignore';
    this.reversePaths.remember(msg.qid, from.ref.id);
    const ttl = capTtl(msg.ttl);
    if (ttl > 1) {
      const { qid, name, origin } = msg;
      const path = [...(msg.path ?? []), this.selfId].slice(-64);
      this.forward({ t: 'query', qid, name, ttl: ttl - 1, origin, path }, from.conn);
    }
    return 'answer';
  }

  /** The neighbour a query came from, for its hits (undefined: unknown or expired). */
  upstreamOf(qid: string): string | undefined {
    return this.reversePaths.nextHop(qid);
  }

  isBanned(id: string): boolean {
    return this.guard.isBanned(id);
  }

  /** A link went down: its rate state goes (a ban stays until it expires). */
  forget(id: string): void {
    this.guard.forget(id);
  }

  /**
   * Starts a flood from this peer. The query stays open until end(): a link that comes up
   * meanwhile (a heal, or a duplicate link replaced by its twin) gets it too, so a search is not
   * lost because the only path was being rebuilt when it went out. Peers drop repeats by qid.
   */
  originate(msg: QueryMessage): void {
    this.seen.add(msg.qid);
    this.open.set(msg.qid, msg);
    this.forward(msg, undefined);
  }

  end(qid: string): void {
    this.open.delete(qid);
  }

  /** Searches still open go out on a link that comes up (or moves) before they end. */
  resendOpen(conn: Connection): void {
    for (const query of this.open.values()) {
      this.sent++;
      conn.send(query).catch(() => undefined);
    }
  }

  private forward(msg: QueryMessage, except: Connection | undefined): void {
    for (const link of this.links()) {
      if (link.conn === except || msg.path?.includes(link.ref.id)) continue;
      this.sent++;
      link.conn.send(msg).catch(() => undefined);
    }
  }
}

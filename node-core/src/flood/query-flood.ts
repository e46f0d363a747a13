// Flooding queries over the overlay's links: a TTL, a path that is not sent back, a bounded memory
// of query ids already handled, and the searches this peer started, which go out again on any
// link that comes up (or moves) before they end.
import type { PeerRef } from '../events';
import type { AnyMessage, Connection } from '../wire';
import { SeenQueries } from './seen-queries';

export type QueryMessage = Extract<AnyMessage, { t: 'query' }>;

interface Link {
  ref: PeerRef;
  conn: Connection;
}

export class QueryFlood {
  private readonly seen = new SeenQueries();
  /** Floods this peer started and is still collecting answers for (see originate()). */
  private readonly open = new Map<string, QueryMessage>();
  /** Query messages this peer sent (originated or forwarded): the cost of a flood. */
  sent = 0;

  constructor(
    private readonly selfId: string,
    private readonly links: () => Iterable<Link>,
  ) {}

  /**
   * A query from a neighbour: true the first time its id is seen (the caller then answers it if
   * it holds the file); forwarded while TTL remains.
   */
  relay(from: Connection, msg: QueryMessage): boolean {
    if (!this.seen.remember(msg.qid)) return false;
    if (msg.ttl > 1) {
      const path = [...(msg.path ?? []), this.selfId].slice(-64);
      this.forward({ ...msg, ttl: msg.ttl - 1, path }, from);
    }
    return true;
  }

  /**
   * Starts a flood from this peer. The query stays open until end(): a link that comes up
   * meanwhile (a heal, or a duplicate link replaced by its twin) gets it too, so a search is not
   * lost because the only path was being rebuilt when it went out. Peers drop repeats by qid.
   */
  originate(msg: QueryMessage): void {
    this.seen.remember(msg.qid);
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

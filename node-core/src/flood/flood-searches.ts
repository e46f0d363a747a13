// The two ends of a flood search: the searches this peer runs (each query id's hits collected
// until it ends) and a holder's answer to another's query. Apart from the overlay, which only
// carries queries and hits between neighbours.
import { randomBytes } from 'node:crypto';
import type { PeerRef, SearchResultEvent } from '../events';
import type { FileStore } from '../files/file-store';
import { sharedName } from '../files/folder-listing';
import type { AnyMessage, Connection } from '../wire';
import type { FloodOverlay, HitMessage, QueryMessage } from './flood-overlay';
import { capTtl } from './query-guard';
import { SearchCollector, type SearchOptions } from './search-collector';

type SearchReport = Extract<AnyMessage, { t: 'activity-search' }>;

export class FloodSearches {
  private readonly open = new Map<string, SearchCollector>();

  constructor(
    /** The peer's own search options; each search's options override them. */
    private readonly defaults: SearchOptions | undefined,
    /** TTL of this peer's queries (capped as a neighbour's would be). */
    private readonly ttl: number,
  ) {}

  /** Floods a search for `name` from `self`; resolves with one result per file version found. */
  async run(
    overlay: FloodOverlay,
    self: PeerRef,
    name: string,
    options: SearchOptions,
    report: (msg: SearchReport) => void,
  ): Promise<SearchResultEvent[]> {
    const qid = randomBytes(12).toString('hex');
    const collector = new SearchCollector(name, { ...this.defaults, ...options });
    const results = collector.wait();
    this.open.set(qid, collector);
    try {
      overlay.originate({ t: 'query', qid, name, ttl: capTtl(this.ttl), origin: self, path: [self.id] });
      report({ t: 'activity-search', origin: self.id, name, qid, path: [self.id] });
      return await results;
    } finally {
      this.open.delete(qid);
      overlay.endQuery(qid);
    }
  }

  /** A hit for one of this peer's own searches: collected (true); anyone else's: false. */
  collect(msg: HitMessage): boolean {
    const collector = this.open.get(msg.qid);
    collector?.addHit(msg);
    return collector !== undefined;
  }

  /** Ends every search early (the peer is stopping). */
  cancelAll(): void {
    for (const collector of this.open.values()) collector.cancel();
  }
}

/**
 * Holders answer on the link the query came in on, and the hit travels back along the
 * query's path (reverse-path.ts): `origin` is never dialed, so a query cannot aim us at anyone.
 */
export async function answerQuery(store: FileStore, conn: Connection, msg: QueryMessage, holder: PeerRef) {
  const manifest = await store.manifest(msg.name);
  const { qid } = msg;
  const name = sharedName(msg.name);
  const { size, root } = manifest;
  await conn.send({ t: 'hit', qid, name, size, root, holder });
}

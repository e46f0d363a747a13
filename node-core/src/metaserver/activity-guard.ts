// Search and transfer reports (`activity-search`, `activity-transfer`) animate the page: a peer's
// own word, so only a registered peer's reports about itself pass (a search it started, a download
// it receives from another registered peer), at a bounded rate each. Everything else is dropped,
// silently: a stranger cannot make the page show searches or transfers of others.
import type { BridgeMessage } from '../topology';
import type { AnyMessage } from '../wire';
import { RateBuckets } from './rate-buckets';

/** A user starts a few searches a second at most; bursts of a script are cut here. */
export const SEARCH_REPORTS_PER_SECOND = 10;
/** A download reports about 4 times a second: room for a few downloads at once. */
export const TRANSFER_REPORTS_PER_SECOND = 16;

type SearchReport = Extract<AnyMessage, { t: 'activity-search' }>;
type TransferReport = Extract<AnyMessage, { t: 'activity-transfer' }>;

export interface ActivityTarget {
  has(id: string): boolean;
  announce(message: BridgeMessage): void;
}

export class ActivityGuard {
  private readonly searches: RateBuckets;
  private readonly transfers: RateBuckets;
  /** Reports dropped (not the reporter's own, naming strangers, or over the rate). */
  dropped = 0;

  constructor(
    private readonly target: ActivityTarget,
    now?: () => number,
  ) {
    this.searches = new RateBuckets(SEARCH_REPORTS_PER_SECOND, 2 * SEARCH_REPORTS_PER_SECOND, now);
    this.transfers = new RateBuckets(TRANSFER_REPORTS_PER_SECOND, TRANSFER_REPORTS_PER_SECOND, now);
  }

  /** A search `reporter` started: its origin and the path's first hop are the reporter itself. */
  search(reporter: string, msg: SearchReport): void {
    const own = msg.origin === reporter && msg.path[0] === reporter && msg.path.every((id) => this.target.has(id));
    if (!own || !this.searches.take(reporter)) return void this.dropped++;
    const { origin, name, qid, path } = msg;
    this.target.announce({ type: 'search', origin, name, queryId: qid, path: [...path] });
  }

  /** A download `reporter` receives, from another registered peer. */
  transfer(reporter: string, msg: TransferReport): void {
    const own = msg.to === reporter && msg.from !== reporter && this.target.has(msg.from);
    if (!own || !this.transfers.take(reporter)) return void this.dropped++;
    const { from, to, name, bytes, total, done } = msg;
    this.target.announce({ type: 'transfer', from, to, name, bytes, total, done });
  }

  forget(reporter: string): void {
    this.searches.forget(reporter);
    this.transfers.forget(reporter);
  }
}

// Traffic reports (`activity-traffic`) are a peer's own word about the bytes it received: the
// metaserver cannot check them, so it bounds what one peer can make it relay to the page. Per
// registered reporter, at most REPORTS_PER_SECOND reports pass (a token bucket); a flow must
// name another registered peer, at most once per report. Everything else is dropped, silently.
import type { BridgeMessage, TrafficFlow } from '../topology';
import { RateBuckets } from './rate-buckets';

/** A meter reports about once a second; twice that leaves room for timer jitter. */
export const TRAFFIC_REPORTS_PER_SECOND = 2;
const BURST = 2;

export interface TrafficRelayTarget {
  has(id: string): boolean;
  announce(message: BridgeMessage): void;
}

export class TrafficRelay {
  private readonly buckets: RateBuckets;
  /** Reports refused by the rate limit (for tests and diagnostics). */
  droppedReports = 0;

  constructor(
    private readonly target: TrafficRelayTarget,
    now?: () => number,
  ) {
    this.buckets = new RateBuckets(TRAFFIC_REPORTS_PER_SECOND, BURST, now);
  }

  /** Relays what holds up of `reporter`'s report; false when nothing was relayed. */
  relay(reporter: string, flows: readonly TrafficFlow[]): boolean {
    if (!this.buckets.take(reporter)) {
      this.droppedReports++;
      return false;
    }
    const named = new Set<string>();
    const kept: TrafficFlow[] = [];
    for (const { from, bytes } of flows) {
      if (from === reporter || named.has(from) || bytes === 0 || !this.target.has(from)) continue;
      named.add(from);
      kept.push({ from, bytes }); // a fresh object: nothing the peer sent beyond these two fields
    }
    if (kept.length === 0) return false;
    this.target.announce({ type: 'traffic', to: reporter, flows: kept });
    return true;
  }

  /** The reporter left: its bucket goes too (the map holds registered peers only). */
  forget(reporter: string): void {
    this.buckets.forget(reporter);
  }
}

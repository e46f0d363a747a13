// Traffic reports (`activity-traffic`) are a peer's own word about the bytes it received: the
// metaserver cannot check them, so it bounds what one peer can make it relay to the page. Per
// registered reporter, at most REPORTS_PER_SECOND reports pass (a token bucket); a flow must
// name another registered peer, at most once per report. Everything else is dropped, silently.
import type { BridgeMessage, TrafficFlow } from '../topology';

/** A meter reports about once a second; twice that leaves room for timer jitter. */
export const TRAFFIC_REPORTS_PER_SECOND = 2;
const BURST = 2;

export interface TrafficRelayTarget {
  has(id: string): boolean;
  announce(message: BridgeMessage): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TrafficRelay {
  private readonly buckets = new Map<string, Bucket>();
  /** Reports refused by the rate limit (for tests and diagnostics). */
  droppedReports = 0;

  constructor(
    private readonly target: TrafficRelayTarget,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Relays what holds up of `reporter`'s report; false when nothing was relayed. */
  relay(reporter: string, flows: readonly TrafficFlow[]): boolean {
    if (!this.take(reporter)) {
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
    this.buckets.delete(reporter);
  }

  private take(reporter: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(reporter) ?? { tokens: BURST, at: now };
    bucket.tokens = Math.min(BURST, bucket.tokens + ((now - bucket.at) * TRAFFIC_REPORTS_PER_SECOND) / 1000);
    bucket.at = now;
    this.buckets.set(reporter, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

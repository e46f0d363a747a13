// Counts the file bytes a peer receives from each holder and hands the counts on about once a
// second (for the topology page's link rates), only when something moved. close() stops it.
import type { TrafficFlow } from '../topology';
import { MAX_TRAFFIC_BYTES, MAX_TRAFFIC_FLOWS } from '../wire/fields';

export const TRAFFIC_REPORT_MS = 1000;

export class TrafficMeter {
  private readonly received = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly report: (flows: TrafficFlow[]) => void,
    private readonly intervalMs = TRAFFIC_REPORT_MS,
  ) {}

  add(from: string, bytes: number): void {
    this.received.set(from, (this.received.get(from) ?? 0) + bytes);
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Reports what was counted since the last report; an idle meter stops its timer. */
  flush(): void {
    if (this.received.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    // the wire takes at most MAX_TRAFFIC_FLOWS per report: the largest flows are the ones worth drawing
    const flows = [...this.received]
      .map(([from, bytes]) => ({ from, bytes: Math.min(bytes, MAX_TRAFFIC_BYTES) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, MAX_TRAFFIC_FLOWS);
    this.received.clear();
    this.report(flows);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.received.clear();
  }
}

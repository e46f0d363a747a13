// Bytes per second over a sliding window, from cumulative byte counts (a download's progress
// events say how far it is, not how much came since the last one). Pure: the caller gives the time.

/** Long enough to smooth the 200 ms progress ticks, short enough to follow a pause or a slow holder. */
const WINDOW_MS = 5000;

interface Sample {
  at: number;
  bytes: number;
}

export class RateMeter {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = WINDOW_MS) {}

  /** Records that `bytes` (cumulative) were reached at `at` ms. A count going back starts afresh. */
  record(bytes: number, at: number): void {
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) this.samples = [];
    this.samples.push({ at, bytes });
    // keep one sample older than the window as the baseline of the rate
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window ending at `now`; 0 when nothing moved in it. */
  bytesPerSecond(now: number): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last === first || now - last.at > this.windowMs) return 0;
    const span = Math.max(now, last.at) - first.at;
    return span > 0 ? ((last.bytes - first.bytes) * 1000) / span : 0;
  }

  /** Seconds until `total` at the current rate; undefined while the rate is unknown. */
  etaSeconds(total: number, now: number): number | undefined {
    const rate = this.bytesPerSecond(now);
    const last = this.samples.at(-1);
    if (!last || rate <= 0) return undefined;
    return Math.max(0, (total - last.bytes) / rate);
  }

  reset(): void {
    this.samples = [];
  }
}

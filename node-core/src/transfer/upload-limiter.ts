// A peer's cap on the chunk bytes it sends, whoever asks (`--max-upload`). A user shares files
// without giving away the whole uplink, the way every BitTorrent client lets them. It also
// lets the multi-source download be shown doing its job: capped holders are the case where
// pulling from three really is three times as fast (large-transfer.bench.ts).
//
// A virtual clock, not a refilled bucket: each chunk is given the moment the previous ones'
// bytes will have left at the capped rate, and waits for it. Calls are served in the order
// they were made, and an idle limiter sends at once (no burst is saved up while idle).

/**
 * The lowest cap accepted. Chunks leave whole, one paced slot each, so a getter's link is quiet
 * between them; far below this, with several getters sharing the cap, it would stay quiet past
 * the getter's chunk timeout (30 s without bytes).
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 1024 * 1024;

export class UploadLimiter {
  /** When the bytes granted so far will have left, in performance.now() milliseconds. */
  private freeAt = 0;

  constructor(private readonly bytesPerSecond: number) {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < MIN_UPLOAD_BYTES_PER_SECOND) {
      throw new RangeError(
        `an upload cap must be at least ${MIN_UPLOAD_BYTES_PER_SECOND} bytes per second, not ${bytesPerSecond}`,
      );
    }
  }

  /** The limiter for a peer's `--max-upload`, or none when it has no cap. */
  static forCap(bytesPerSecond: number | undefined): UploadLimiter | undefined {
    return bytesPerSecond === undefined ? undefined : new UploadLimiter(bytesPerSecond);
  }

  /** Resolves when `bytes` may be sent without passing the cap. */
  take(bytes: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + (bytes * 1000) / this.bytesPerSecond;
    const wait = start - now;
    if (wait < 1) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, wait).unref());
  }
}

// Read buffers a holder reuses for the chunks it serves. A fresh 1 MiB buffer per chunk costs
// malloc, 256 page faults and zeroing by the kernel, and GC work; with three holders sharing a
// 1 GiB GET, allocation was ~12 % of each holder's main thread in perf. A buffer comes back once
// the socket has handed its bytes to the kernel (see Connection.reply's onPayloadReleased).
export class ChunkBufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** The only size pooled (the store's chunk size); other sizes are plain allocations. */
    private readonly size: number,
    /** Buffers kept for reuse at most; beyond that, released ones are left to the GC. */
    private readonly maxRetained = 16,
  ) {}

  acquire(length: number): Buffer {
    if (length === this.size) return this.free.pop() ?? Buffer.allocUnsafeSlow(length);
    return Buffer.allocUnsafeSlow(length);
  }

  /** The buffer is no longer used by anyone: it may be handed out again. */
  release(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.maxRetained) this.free.push(buffer);
  }
}

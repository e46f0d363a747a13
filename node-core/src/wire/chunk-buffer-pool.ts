// Chunk-size buffers, reused. Two users: a holder reads the chunks it serves into them (a buffer
// comes back once the socket has handed its bytes to the kernel, see Connection.reply's
// onPayloadReleased), and a downloader receives chunks into them (payload-pool.ts). A fresh
// 1 MiB buffer per chunk costs malloc, 256 page faults and zeroing by the kernel, and GC work.
// Every buffer handed out has its own memory (never a slice of a shared slab), so it can be
// moved to a worker thread and back.
export class ChunkBufferPool {
  private readonly free: Buffer[] = [];
  private made = 0;

  constructor(
    /** The only size pooled (the store's chunk size); other sizes are plain allocations. */
    private readonly size: number,
    /** Buffers kept for reuse at most; beyond that, released ones are left to the GC. */
    private readonly maxRetained = 16,
    /** Makes a buffer with memory of its own (a holder's: with room for its frame's prefix, frame.ts). */
    private readonly allocate: (length: number) => Buffer = (length) => Buffer.allocUnsafeSlow(length),
  ) {}

  acquire(length: number): Buffer {
    if (length !== this.size) return this.allocate(length);
    const reused = this.free.pop();
    if (reused) return reused;
    this.made++;
    return this.allocate(length);
  }

  /** Chunk-size buffers this pool had to allocate so far (the rest of its hand-outs were reused). */
  get allocated(): number {
    return this.made;
  }

  /** The buffer is no longer used by anyone: it may be handed out again. */
  release(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.maxRetained) this.free.push(buffer);
  }
}

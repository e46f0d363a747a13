// The buffers that answers' payloads are read into: in practice the downloader's 1 MiB chunks.
// One pool per process, so a long-running peer's downloads reuse the same few megabytes: the
// chunk sink hands each buffer back once its bytes are written and hashed (worker-sink.ts).
// Fresh buffers would be freed only when V8's GC runs, which lets tens of megabytes of them pile
// up first (node-core/README.md, "Memory of a downloader").
import { ChunkBufferPool } from './chunk-buffer-pool';
import { MAX_CHUNK_BYTES } from './frame';

/** Below this a payload gets a plain allocation (manifests of small files; not worth pooling). */
const POOLED_FROM_BYTES = 64 * 1024;

/** Chunk buffers kept for reuse: the request window (8), the hasher's held chunks (4), some in transit. */
export const payloadPool = new ChunkBufferPool(MAX_CHUNK_BYTES, 24);

/** A buffer of exactly `length` bytes for an expected payload (its own memory from `POOLED_FROM_BYTES` up). */
export function payloadBuffer(length: number): Buffer {
  return length >= POOLED_FROM_BYTES ? payloadPool.acquire(length) : Buffer.allocUnsafe(length);
}

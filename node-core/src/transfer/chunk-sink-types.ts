// What every chunk sink offers, apart from the sinks themselves so that neither they nor the
// code choosing between them (chunk-sink.ts) import each other.
import type { FileHandle } from 'node:fs/promises';

/** Where a download's chunks go: each checked against the manifest, then written at its offset in the .part. */
export interface ChunkSink {
  /**
   * Checks the chunk against its manifest digest, then writes it at its offset; resolves with its
   * length once it is on disk (in the page cache). A chunk that does not match is not written:
   * the promise rejects with a `P2PError` `VERIFY_FAILED` (any other rejection is our own failure).
   */
  write(index: number, pieces: readonly Buffer[]): Promise<number>;
  /** Releases the sink (stops its worker); safe to call more than once. */
  close(): void;
}

/** The download's .part, open, and its path (for sinks that open it again in another thread). */
export interface PartFile {
  file: FileHandle;
  path: string;
}

// What every chunk sink offers, apart from the sinks themselves so that neither they nor the
// code choosing between them (chunk-sink.ts) import each other.
import type { FileHandle } from 'node:fs/promises';

/**
 * Where a download's chunks go: each checked against the manifest, written at its offset in the
 * .part, and folded in file order into the whole-file SHA-256.
 */
export interface ChunkSink {
  /**
   * Checks the chunk against its manifest digest, then writes it at its offset; resolves with its
   * length once it is on disk (in the page cache). A chunk that does not match is not written:
   * the promise rejects with a `P2PError` `VERIFY_FAILED` (any other rejection is our own failure).
   */
  write(index: number, pieces: readonly Buffer[]): Promise<number>;
  /** A chunk already on disk (resumed, or kept from an earlier round): hashed from the file. */
  markPresent(index: number): void;
  /** The hex SHA-256 of the whole file, once every chunk was written or marked present. */
  digest(): Promise<string>;
  /** Releases the sink (stops its workers); safe to call more than once. */
  close(): void;
}

/** The download's .part, open, and its path (for sinks that open it again in another thread). */
export interface PartFile {
  file: FileHandle;
  path: string;
}

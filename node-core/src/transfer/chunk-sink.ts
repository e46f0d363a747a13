// Where a download's verified-or-not chunks go: written at their offsets in the .part, and
// folded in file order into the whole-file SHA-256. Two sinks: one in the main thread for
// small files (no thread to start), one in two worker threads for large files, where the main
// thread's job shrinks to reading the socket (see worker-sink.ts for the measurements).
import type { FileHandle } from 'node:fs/promises';
import type { FileManifest } from '../files/manifest';
import { InThreadSink } from './in-thread-sink';
import { WorkerSink } from './worker-sink';

export interface ChunkSink {
  /** Writes a chunk at its offset; resolves with its length once it is on disk (in the page cache). */
  write(index: number, pieces: readonly Buffer[]): Promise<number>;
  /** A chunk already on disk (resumed, or kept from an earlier round): hashed from the file. */
  markPresent(index: number): void;
  /** The hex SHA-256 of the whole file, once every chunk was written or marked present. */
  digest(): Promise<string>;
  /** Releases the sink (stops its workers); safe to call more than once. */
  close(): void;
}

/** Files from this size up go through worker threads (which cost ~20 ms to start). */
export const WORKER_SINK_FROM_BYTES = 32 * 1024 * 1024;

export interface PartFile {
  file: FileHandle;
  path: string;
}

export function openChunkSink(
  manifest: FileManifest,
  part: PartFile,
  workerFromBytes = WORKER_SINK_FROM_BYTES,
): ChunkSink {
  return manifest.size >= workerFromBytes ? new WorkerSink(manifest, part.path) : new InThreadSink(manifest, part.file);
}

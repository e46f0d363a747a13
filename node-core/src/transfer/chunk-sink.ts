// Picks a download's chunk sink by file size: in the main thread for small files (no thread to
// start), in a worker thread for large ones, where the main thread's job shrinks to reading the
// socket (node-core/README.md, "Where the bytes go").
import type { FileManifest } from '../files/manifest';
import type { ChunkSink, PartFile } from './chunk-sink-types';
import { InThreadSink } from './in-thread-sink';
import { WorkerSink } from './worker-sink';

/** Files from this size up go through a worker thread (which costs ~20 ms to start). */
export const WORKER_SINK_FROM_BYTES = 32 * 1024 * 1024;

export function openChunkSink(
  manifest: FileManifest,
  part: PartFile,
  workerFromBytes = WORKER_SINK_FROM_BYTES,
): ChunkSink {
  return manifest.size >= workerFromBytes ? new WorkerSink(manifest, part.path) : new InThreadSink(manifest, part.file);
}

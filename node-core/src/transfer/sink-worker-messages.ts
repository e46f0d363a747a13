// What the worker sink's threads send each other: the main thread (worker-sink.ts), the writer
// (sink-writer.worker.ts) and the hasher (sink-hasher.worker.ts). Buffers are moved, not copied.
import type { MessagePort } from 'node:worker_threads';

/** A chunk on its way from the main thread to the writer, then from the writer to the hasher. */
export interface ChunkMessage {
  pieces: Uint8Array[];
  index: number;
  /** The write it settles, once the hasher has taken the chunk. */
  id: number;
}

export interface WriterData {
  path: string;
  size: number;
  chunkSize: number;
  /** The manifest's chunk digests, 32 bytes each: a chunk is written only if it matches its own. */
  chunkHashes: Uint8Array;
  /** The hasher's end of the writer-to-hasher channel. */
  hasher: MessagePort;
}

export interface HasherData {
  path: string;
  size: number;
  chunkSize: number;
  count: number;
  /** Out-of-order chunks the hasher keeps in memory until their turn (others are read back). */
  heldMax: number;
  /** The writer's end of the writer-to-hasher channel. */
  writer: MessagePort;
}

/** The main thread to the hasher: a chunk already on disk, or a request for the digest. */
export type HasherCommand = { present: number } | { digest: true };

/** Either worker to the main thread. */
export type SinkWorkerReply =
  /** A chunk's buffers, back to receive another chunk. */
  | { returned: ArrayBuffer[] }
  /** The hasher has taken the chunk of this write (hashed, held, or handed back). */
  | { taken: number }
  /** The write failed; `mismatch`: the chunk did not match its digest and was not written. */
  | { failed: true; id: number; message: string; mismatch?: boolean }
  | { sha256: string }
  | { error: string };

/** The ArrayBuffers under the pieces, to move them along with a message. */
export function buffersOf(pieces: readonly Uint8Array[]): ArrayBuffer[] {
  return pieces.map((piece) => piece.buffer as ArrayBuffer);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

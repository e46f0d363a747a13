// What the worker sink's main thread (worker-sink.ts) and its writer thread
// (sink-writer.worker.ts) send each other. Buffers are moved, not copied.

/** A chunk on its way from the main thread to the writer. */
export interface ChunkMessage {
  pieces: Uint8Array[];
  index: number;
  /** The write it settles. */
  id: number;
}

export interface WriterData {
  path: string;
  size: number;
  chunkSize: number;
  /** The manifest's chunk digests, 32 bytes each: a chunk is written only if it matches its own. */
  chunkHashes: Uint8Array;
}

/**
 * The writer to the main thread, once per chunk, with the chunk's buffers moved back to receive
 * another chunk: written, or not (`mismatch`: it did not match its digest and was not written).
 */
export type SinkWorkerReply =
  | { written: number; returned: ArrayBuffer[] }
  | { failed: number; returned: ArrayBuffer[]; message: string; mismatch: boolean };

/** The ArrayBuffers under the pieces, to move them along with a message. */
export function buffersOf(pieces: readonly Uint8Array[]): ArrayBuffer[] {
  return pieces.map((piece) => piece.buffer as ArrayBuffer);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

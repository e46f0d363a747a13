// A chunk's length and digest check, apart from manifest.ts so the sink's writer thread can use
// the same check without loading the wire layer.
import { createHash } from 'node:crypto';

/** What a chunk check needs of a manifest (a worker gets the digests as a plain Uint8Array). */
export interface ChunkLayout {
  size: number;
  chunkSize: number;
  /** 32 bytes (SHA-256) per chunk, in order. */
  chunkHashes: Uint8Array;
}

export function chunkLength(layout: Pick<ChunkLayout, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(layout.chunkSize, layout.size - index * layout.chunkSize);
}

/** Whether the pieces are chunk `index` of the file the layout describes (length and digest). */
export function chunkVerifies(layout: ChunkLayout, index: number, pieces: readonly Uint8Array[]): boolean {
  const hash = createHash('sha256');
  let length = 0;
  for (const piece of pieces) {
    hash.update(piece);
    length += piece.length;
  }
  const expected = layout.chunkHashes.subarray(index * 32, index * 32 + 32);
  return length === chunkLength(layout, index) && hash.digest().equals(expected);
}

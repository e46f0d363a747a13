// A chunk may be handed over as several buffers (pieces) written back to back.

/** The total length of the pieces. */
export function byteLength(pieces: readonly Buffer[]): number {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return length;
}

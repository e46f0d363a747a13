// The main-thread sink: each chunk is checked against its manifest digest, then written with one
// writev of its pieces (a received chunk is one buffer; callers may pass several), one write at a
// time. One write at a time: concurrent positional writes to one file contend for its inode lock
// and are no faster.
import type { FileHandle } from 'node:fs/promises';
import { chunkVerifies, type FileManifest } from '../files/manifest';
import type { ChunkSink } from './chunk-sink-types';
import { byteLength } from './pieces';
import { chunkMismatch } from './chunk-mismatch';

export class InThreadSink implements ChunkSink {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly manifest: FileManifest,
    private readonly file: FileHandle,
  ) {}

  write(index: number, pieces: readonly Buffer[]): Promise<number> {
    if (!chunkVerifies(this.manifest, index, pieces)) return Promise.reject(chunkMismatch(this.manifest, index));
    const written = this.writes.then(() => writeAll(this.file, pieces, index * this.manifest.chunkSize));
    this.writes = written.catch(() => undefined);
    return written;
  }

  close(): void {}
}

/** Writes the pieces back to back from `position` (writev; resumes after a short write). Returns the byte count. */
async function writeAll(file: FileHandle, pieces: readonly Buffer[], position: number): Promise<number> {
  const total = byteLength(pieces);
  let rest = [...pieces];
  let written = 0;
  while (written < total) {
    const { bytesWritten } = await file.writev(rest, position + written);
    if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} bytes`);
    written += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
  return total;
}

/** The pieces without their first `count` bytes (slices, no copy). */
function skipBytes(pieces: Buffer[], count: number): Buffer[] {
  let left = count;
  let i = 0;
  while (i < pieces.length && pieces[i].length <= left) left -= pieces[i++].length;
  const rest = pieces.slice(i);
  if (rest.length > 0 && left > 0) rest[0] = rest[0].subarray(left);
  return rest;
}

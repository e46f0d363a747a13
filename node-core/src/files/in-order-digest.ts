// The whole-file SHA-256 of a download, folded in the main thread while chunks arrive. A chunk
// whose turn it is gets hashed from the socket pieces it arrived in, so the bytes are hashed
// once and never read back; a chunk that arrives early waits in memory (a few of them, at most
// MAX_WAITING); anything else (resumed chunks, chunks past the cap) is read back from the .part
// when its turn comes. Used for small files; large ones are hashed in a worker (worker-sink.ts).
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { chunkCount, chunkLength, type FileManifest } from './manifest';

/**
 * Early chunks kept in memory (1 MiB each) instead of being read back. Small on purpose: chunks
 * held across several young-generation GCs get promoted and their buffers are freed only by a
 * full GC, and more of them saves no CPU (one holder replies nearly in order).
 */
const MAX_WAITING = 3;

export class InOrderDigest {
  private readonly hash = createHash('sha256');
  private readonly count: number;
  private readonly present: Uint8Array;
  private readonly waiting = new Map<number, readonly Buffer[]>();
  private next = 0;
  /** Read-backs are async: each advance runs after the previous one. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private scratch: Buffer | undefined;

  constructor(
    private readonly manifest: FileManifest,
    /** The .part, open for reading; chunks are written at their offsets before they are added. */
    private readonly file: FileHandle,
  ) {
    this.count = chunkCount(manifest.size, manifest.chunkSize);
    this.present = new Uint8Array(this.count);
  }

  /** A chunk just written at its offset, with its bytes (kept only until its turn, if that is soon). */
  add(index: number, pieces: readonly Buffer[]): void {
    if (this.present[index]) return;
    if (index === this.next || this.waiting.size < MAX_WAITING) this.waiting.set(index, pieces);
    this.markPresent(index);
  }

  /** A chunk already on disk (resumed, or kept after a failed round): read back when its turn comes. */
  markPresent(index: number): void {
    if (this.present[index]) return;
    this.present[index] = 1;
    if (index !== this.next) return; // nothing to fold yet: an earlier chunk is still missing
    this.chain = this.chain
      .then(() => this.advance())
      .catch((err: unknown) => {
        this.failure ??= err;
      });
  }

  /** The whole-file SHA-256, once every chunk was added or marked present. */
  async digest(): Promise<string> {
    await this.chain;
    if (this.failure) throw this.failure;
    if (this.next !== this.count) throw new Error('not every chunk has arrived');
    return this.hash.digest('hex');
  }

  private async advance(): Promise<void> {
    while (this.next < this.count && this.present[this.next]) {
      const index = this.next;
      const pieces = this.waiting.get(index);
      if (pieces) {
        this.waiting.delete(index);
        for (const piece of pieces) this.hash.update(piece);
      } else {
        this.hash.update(await this.readBack(index));
      }
      this.next++;
    }
  }

  private async readBack(index: number): Promise<Buffer> {
    const length = chunkLength(this.manifest, index);
    this.scratch ??= Buffer.allocUnsafe(this.manifest.chunkSize);
    const data = this.scratch.subarray(0, length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.file.read(
        data,
        filled,
        length - filled,
        index * this.manifest.chunkSize + filled,
      );
      if (bytesRead === 0) throw new Error(`chunk ${index} is missing from the .part`);
      filled += bytesRead;
    }
    return data;
  }
}

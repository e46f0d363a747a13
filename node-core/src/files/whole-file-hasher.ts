// Whole-file SHA-256 over chunks that complete out of order (several sources, a window of
// requests each). Chunks are hashed in order as soon as the prefix is complete; a few early
// chunks wait in memory, the rest are read back from disk, so memory stays bounded.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { chunkLength, type FileManifest } from './manifest';

const MAX_WAITING_CHUNKS = 16;

export class WholeFileHasher {
  private readonly hash = createHash('sha256');
  private readonly done: boolean[];
  private readonly waiting = new Map<number, Buffer>();
  private next = 0;
  private draining: Promise<void> = Promise.resolve();

  constructor(
    private readonly manifest: FileManifest,
    private readonly file: FileHandle,
  ) {
    this.done = new Array<boolean>(Math.ceil(manifest.size / manifest.chunkSize)).fill(false);
  }

  /** Records that chunk `index` is verified and on disk; `data` may be kept to avoid a re-read. */
  offer(index: number, data: Buffer): void {
    this.done[index] = true;
    if (index === this.next) {
      this.hash.update(data);
      this.next++;
    } else if (this.waiting.size < MAX_WAITING_CHUNKS) {
      this.waiting.set(index, data);
    }
    if (this.done[this.next]) this.draining = this.draining.then(() => this.advance());
  }

  /** Waits for every offered chunk to be hashed; returns the digest once all are in. */
  async digest(): Promise<string> {
    await this.draining;
    await this.advance();
    if (this.next !== this.done.length) throw new Error(`whole-file hash stopped at chunk ${this.next}`);
    return this.hash.digest('hex');
  }

  private async advance(): Promise<void> {
    while (this.next < this.done.length && this.done[this.next]) {
      const index = this.next;
      let data = this.waiting.get(index);
      if (data) this.waiting.delete(index);
      else data = await this.readBack(index);
      this.hash.update(data);
      this.next = index + 1;
    }
  }

  private async readBack(index: number): Promise<Buffer> {
    const length = chunkLength(this.manifest, index);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.file.read(buffer, filled, length - filled, index * this.manifest.chunkSize + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }
}

// The files a peer shares: everything in its directory and in Downloads/, plus files shared
// explicitly. Only names in this table can ever be read by another peer. Manifests are
// cached by path + size + mtime, so a file is hashed once, not once per request.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { SharedFileInfo } from '../events';
import { ChunkBufferPool, isFileName, P2PError } from '../wire';
import { OpenFiles } from './open-files';
import { chunkLength, computeManifest, DEFAULT_CHUNK_SIZE, type FileManifest } from './manifest';

interface SharedEntry {
  path: string;
  manifest?: FileManifest;
  /** `${size}:${mtimeMs}` of the file the manifest describes. */
  stamp?: string;
  /** When the stamp was last compared with the disk (chunk reads re-check at most every second). */
  checkedAt?: number;
}

const RECHECK_MS = 1000;

export function assertFileName(name: string): void {
  if (!isFileName(name))
    throw new P2PError('BAD_NAME', `"${String(name).slice(0, 80)}" is not a plain file name`, String(name));
}

export class FileStore {
  readonly dir: string;
  readonly downloadsDir: string;
  private readonly shared = new Map<string, SharedEntry>();
  private readonly hashing = new Map<string, Promise<FileManifest>>();
  private readonly openFiles = new OpenFiles();
  private readonly readBuffers: ChunkBufferPool;

  constructor(
    dir: string,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
    downloadsDir?: string,
  ) {
    this.dir = resolve(dir);
    this.downloadsDir = downloadsDir ? resolve(downloadsDir) : join(this.dir, 'Downloads');
    this.readBuffers = new ChunkBufferPool(chunkSize);
  }

  /** Creates the folders and shares what is already there (hashing each file once). */
  async open(): Promise<void> {
    await mkdir(this.downloadsDir, { recursive: true });
    for (const folder of [this.dir, this.downloadsDir]) {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        if (!entry.isFile() || entry.name.endsWith('.part') || !isFileName(entry.name)) continue;
        if (!this.shared.has(entry.name)) this.shared.set(entry.name, { path: join(folder, entry.name) });
      }
    }
    for (const name of this.names()) await this.manifest(name).catch(() => this.shared.delete(name));
  }

  names(): string[] {
    return [...this.shared.keys()].sort();
  }

  has(name: string): boolean {
    return this.shared.has(name);
  }

  /** Shares a file under its base name (from anywhere the user points at). */
  async share(path: string): Promise<SharedFileInfo & { path: string }> {
    const absolute = resolve(this.dir, path);
    const name = basename(absolute);
    assertFileName(name);
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) throw new P2PError('NOT_FOUND', `no such file: ${absolute}`, name);
    this.shared.set(name, { path: absolute });
    const manifest = await this.manifest(name);
    return { name, size: manifest.size, sha256: manifest.sha256, path: absolute };
  }

  async list(): Promise<SharedFileInfo[]> {
    const files: SharedFileInfo[] = [];
    for (const name of this.names()) {
      const manifest = await this.manifest(name).catch(() => undefined);
      if (manifest) files.push({ name, size: manifest.size, sha256: manifest.sha256 });
    }
    return files;
  }

  /** The manifest of a shared file; re-hashes only if the file changed on disk. */
  async manifest(name: string): Promise<FileManifest> {
    assertFileName(name);
    const entry = this.shared.get(name);
    if (!entry) throw new P2PError('NOT_SHARED', `"${name}" is not shared here`, name);
    const info = await stat(entry.path).catch(() => undefined);
    if (!info?.isFile()) {
      this.shared.delete(name);
      throw new P2PError('NOT_SHARED', `"${name}" is no longer available`, name);
    }
    const stamp = `${info.size}:${info.mtimeMs}`;
    entry.checkedAt = Date.now();
    if (entry.manifest && entry.stamp === stamp) return entry.manifest;
    this.openFiles.forget(entry.path);
    const key = `${entry.path}|${stamp}`;
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = computeManifest(entry.path, name, this.chunkSize).finally(() => this.hashing.delete(key));
      this.hashing.set(key, pending);
    }
    const manifest = await pending;
    entry.manifest = manifest;
    entry.stamp = stamp;
    return manifest;
  }

  /**
   * Where a chunk a remote peer asks for lies, once its request checks out: a shared name, the
   * version (whole-file digest) of the manifest the peer holds, a chunk that exists.
   */
  async servableChunk(
    name: string,
    sha256: string,
    index: number,
  ): Promise<{ path: string; offset: number; length: number }> {
    assertFileName(name);
    const entry = this.shared.get(name);
    const fresh = entry?.manifest && entry.checkedAt !== undefined && Date.now() - entry.checkedAt < RECHECK_MS;
    const manifest = fresh && entry?.manifest ? entry.manifest : await this.manifest(name);
    if (manifest.sha256 !== sha256)
      throw new P2PError('NOT_SHARED', `"${name}" changed since its manifest was sent`, name);
    const length = index * manifest.chunkSize < manifest.size ? chunkLength(manifest, index) : 0;
    if (length <= 0) throw new P2PError('PROTOCOL', `chunk ${index} of "${name}" does not exist`, name);
    const path = this.shared.get(name)?.path;
    if (!path) throw new P2PError('NOT_SHARED', `"${name}" is not shared here`, name);
    return { path, offset: index * manifest.chunkSize, length };
  }

  /**
   * Reads one chunk for a remote peer (checked as servableChunk() does, at the moment of reading)
   * into a buffer from the pool; the caller hands it back with releaseChunk() once nothing uses
   * it any more (or simply drops it).
   */
  async readChunk(name: string, sha256: string, index: number): Promise<Buffer> {
    const { path, offset, length } = await this.servableChunk(name, sha256, index);
    return this.openFiles.with(path, async (handle) => {
      const buffer = this.readBuffers.acquire(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) {
          this.readBuffers.release(buffer);
          throw new P2PError('NOT_SHARED', `"${name}" shrank while being read`, name);
        }
        filled += bytesRead;
      }
      return buffer;
    });
  }

  /** Chunk read buffers allocated so far (the rest were reused): what serving costs in memory. */
  get chunkBuffersAllocated(): number {
    return this.readBuffers.allocated;
  }

  /** A buffer from readChunk() whose bytes have left (see ChunkBufferPool). */
  releaseChunk(buffer: Buffer): void {
    this.readBuffers.release(buffer);
  }

  /** Closes the read handles kept open for serving. */
  close(): Promise<void> {
    return this.openFiles.close();
  }

  /** Stops sharing `name` (nothing more is served from it); returns the path it was served from. */
  withdraw(name: string): string | undefined {
    const entry = this.shared.get(name);
    if (!entry) return undefined;
    this.shared.delete(name);
    this.openFiles.forget(entry.path);
    return entry.path;
  }

  /** Adds a completed, verified download to the shared set, reusing its manifest. */
  adopt(path: string, manifest: FileManifest, stamp: string): void {
    this.shared.set(manifest.name, { path, manifest, stamp });
  }
}

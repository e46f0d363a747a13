// The files a peer shares: everything in its directory and in Downloads/, plus files and folders
// shared explicitly (the shared folders are listed in `foldersFile`, so they survive a restart).
// Only names in this table can ever be read by another peer. Manifests are cached by path + size
// + mtime, so a file is hashed once, not once per request. The folders are watched: a new or
// changed file is hashed in the background and offered once hashed, a removed one is withdrawn at
// once. Names are kept in Unicode NFC.
import { EventEmitter } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { FileAddedEvent, FileRemovedEvent, SharedFileInfo } from '../events';
import { ChunkBufferPool, isFileName, P2PError, payloadWithHeadroom } from '../wire';
import {
  fileStamp,
  filesUnder,
  listSharedFiles,
  MAX_TREE_FILES,
  sharedName,
  stampOf,
  type ListedFile,
} from './folder-listing';
import { FolderWatcher, type FolderWatcherOptions } from './folder-watcher';
import { OpenFiles } from './open-files';
import { isInside } from './path-inside';
import { readFolderList, writeFolderList } from './shared-folder-list';
import { chunkLength, computeManifest, DEFAULT_CHUNK_SIZE, type FileManifest } from './manifest';

export interface FileStoreOptions {
  chunkSize?: number;
  /** Where downloads go; default Downloads/ inside dir. */
  downloadsDir?: string;
  /** Watch the folders after open() (default true); see FolderWatcher for the timings. */
  watch?: boolean | FolderWatcherOptions;
  /** Where the folders shared with shareFolder() are listed (JSON); none: they last until close(). */
  foldersFile?: string;
}

/** A shared folder's summary: where it is and the files of it now offered. */
export interface SharedFolder {
  path: string;
  files: (SharedFileInfo & { path: string })[];
}

/** How a file came into the shared set: found in a folder, SHARE, or a finished download. */
export type FileOrigin = 'folder' | 'share' | 'download';

export interface FileStoreEvents {
  /** A file is offered, or its content changed (a new root). */
  'file-added': [FileAddedEvent, FileOrigin];
  /** A file is no longer offered. */
  'file-removed': [FileRemovedEvent];
}

interface SharedEntry {
  path: string;
  manifest?: FileManifest;
  /** `${size}:${mtimeMs}` of the file the manifest describes. */
  stamp?: string;
  /** When the stamp was last compared with the disk (chunk reads re-check at most every second). */
  checkedAt?: number;
  /** The root last announced in a `file-added` event. */
  announced?: string;
}

const RECHECK_MS = 1000;

/** A plain file name, in NFC (BAD_NAME otherwise). */
export function assertFileName(name: string): string {
  if (!isFileName(name))
    throw new P2PError('BAD_NAME', `"${String(name).slice(0, 80)}" is not a plain file name`, String(name));
  return sharedName(name);
}

export class FileStore extends EventEmitter<FileStoreEvents> {
  readonly dir: string;
  readonly downloadsDir: string;
  private readonly chunkSize: number;
  private readonly shared = new Map<string, SharedEntry>();
  private readonly hashing = new Map<string, Promise<FileManifest>>();
  private readonly openFiles = new OpenFiles();
  private readonly readBuffers: ChunkBufferPool;
  /** Names being downloaded: the folder scan leaves them to the download, which adopts them. */
  private readonly reserved = new Set<string>();
  /** Background hashing, one file at a time, so a folder of new files does not hash all at once. */
  private hashQueue: Promise<void> = Promise.resolve();
  private scanning: Promise<void> | undefined;
  private scanAgain = false;
  private watcher: FolderWatcher | undefined;
  /** Folders shared with shareFolder(), read with their sub-folders. */
  private readonly trees: string[] = [];
  /** Aborted by close(): a large file still being hashed does not hold the peer's shutdown. */
  private readonly closing = new AbortController();

  constructor(
    dir: string,
    private readonly options: FileStoreOptions = {},
  ) {
    super();
    this.dir = resolve(dir);
    this.downloadsDir = options.downloadsDir ? resolve(options.downloadsDir) : join(this.dir, 'Downloads');
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    // headroom: each chunk's frame leaves as one buffer (frame.ts, payloadWithHeadroom)
    this.readBuffers = new ChunkBufferPool(this.chunkSize, 16, payloadWithHeadroom);
  }

  /** Creates the folders, shares what is already there (hashing each file once), then watches them. */
  async open(): Promise<void> {
    await mkdir(this.downloadsDir, { recursive: true });
    if (this.options.foldersFile) this.trees.push(...(await readFolderList(this.options.foldersFile)));
    for (const [name, file] of await this.listAll()) {
      const entry: SharedEntry = { path: file.path };
      this.shared.set(name, entry);
      const manifest = await this.manifest(name).catch(() => undefined);
      if (manifest)
        entry.announced = manifest.root; // the ready and files events tell of these
      else this.shared.delete(name);
    }
    const { watch = true } = this.options;
    if (!watch || this.isClosed) return;
    this.watcher = new FolderWatcher(
      [this.dir, this.downloadsDir],
      () => void this.rescan(),
      watch === true ? {} : watch,
    );
    for (const tree of this.trees) this.watcher.add(tree, true);
    void this.rescan(); // files copied in while the ones above were being hashed
  }

  names(): string[] {
    return [...this.shared.keys()].sort();
  }

  has(name: string): boolean {
    return this.shared.has(sharedName(name));
  }

  /**
   * Whether `name` is shared and its file still there: a file the user deleted is withdrawn
   * here even before the folder scan notices.
   */
  async holds(name: string): Promise<boolean> {
    const key = sharedName(name);
    const entry = this.shared.get(key);
    if (!entry) return false;
    if (await fileStamp(entry.path)) return true;
    this.unshare(key, entry);
    return false;
  }

  /**
   * Keeps the folder scan off `name` while a download fills it; returns the release. Downloads/
   * is not watched meanwhile: each write to the .part would be an event for the main thread
   * (the periodic scan goes on, and one runs at the release).
   */
  reserve(name: string): () => void {
    const key = sharedName(name);
    this.reserved.add(key);
    const unmute = this.watcher?.mute(this.downloadsDir);
    return () => {
      this.reserved.delete(key);
      unmute?.();
    };
  }

  /**
   * Compares the shared set with the folders: removed files are withdrawn at once, new and
   * changed ones hashed in the background and offered once hashed. Calls during a scan run one
   * more scan after it.
   */
  rescan(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce().finally(() => {
      this.scanning = undefined;
      if (this.scanAgain && !this.isClosed) {
        this.scanAgain = false;
        void this.rescan();
      }
    });
    return this.scanning;
  }

  private get isClosed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Resolves once the files found so far are hashed and offered (tests, benches). */
  async settled(): Promise<void> {
    while (this.scanning) await this.scanning;
    await this.hashQueue;
  }

  private async scanOnce(): Promise<void> {
    const listed = await this.listAll();
    for (const [name, entry] of [...this.shared]) {
      // a file shared from outside the folders (SHARE) is not listed: it stays while it exists
      const present = listed.get(name)?.path === entry.path || (await fileStamp(entry.path)) !== undefined;
      if (!present) this.unshare(name, entry);
    }
    for (const [name, file] of listed) {
      const entry = this.shared.get(name);
      if (this.reserved.has(name) || (entry && (entry.path !== file.path || entry.stamp === file.stamp))) continue;
      this.hashQueue = this.hashQueue.then(() => this.hashListed(name, file)).catch(() => undefined);
    }
  }

  private listAll(): Promise<Map<string, ListedFile>> {
    return listSharedFiles([this.dir, this.downloadsDir], this.trees);
  }

  /**
   * Shares every file under `path` (sub-folders too, hidden entries left out), watched as the
   * peer's own folder is and again after a restart. Resolves once its files are hashed and offered.
   */
  async shareFolder(path: string): Promise<SharedFolder> {
    const folder = resolve(this.dir, path);
    const info = await stat(folder).catch(() => undefined);
    if (!info?.isDirectory()) throw new P2PError('NOT_FOUND', `no such folder: ${folder}`);
    if (!this.trees.includes(folder) && !this.coveredByOwnFolders(folder)) {
      // counted from the listing alone: the files are stat'ed and hashed once, by the rescan below
      if ((await filesUnder(folder)).length >= MAX_TREE_FILES)
        throw new P2PError('BAD_COMMAND', `${folder} holds ${MAX_TREE_FILES} files or more; share a smaller folder`);
      this.trees.push(folder);
      if (this.options.foldersFile) await writeFolderList(this.options.foldersFile, this.trees);
      this.watcher?.add(folder, true);
    }
    await this.rescan();
    await this.settled();
    const files: SharedFolder['files'] = [];
    for (const [name, { manifest, path: filePath }] of this.shared)
      if (manifest && isInside(filePath, folder))
        files.push({ name, size: manifest.size, root: manifest.root, path: filePath });
    return { path: folder, files: files.sort((a, b) => (a.name < b.name ? -1 : 1)) };
  }

  /** The peer's folder and Downloads/ are read flat: sharing either again changes nothing. */
  private coveredByOwnFolders(folder: string): boolean {
    return folder === this.dir || folder === this.downloadsDir;
  }

  /** Hashes a new or changed file and offers it, unless it changed meanwhile (still being written). */
  private async hashListed(name: string, file: ListedFile): Promise<void> {
    if (this.isClosed || this.reserved.has(name) || (await fileStamp(file.path)) !== file.stamp) return;
    const entry = this.shared.get(name);
    if (entry && (entry.path !== file.path || entry.stamp === file.stamp)) return;
    const manifest = await this.hashFile(file.path, name, file.stamp).catch(() => undefined);
    if (!manifest || this.isClosed || (await fileStamp(file.path)) !== file.stamp) return;
    if (this.shared.get(name) !== entry || this.reserved.has(name)) return; // taken meanwhile (SHARE, a download)
    this.openFiles.forget(file.path);
    const current = entry ?? { path: file.path };
    this.shared.set(name, current);
    this.record(name, current, manifest, file.stamp, 'folder');
  }

  /** Keeps a file's manifest; tells the listeners when that is news (a new file, or new content). */
  private record(name: string, entry: SharedEntry, manifest: FileManifest, stamp: string, origin?: FileOrigin): void {
    entry.manifest = manifest;
    entry.stamp = stamp;
    if (!origin || entry.announced === manifest.root) return;
    entry.announced = manifest.root;
    const { size, root } = manifest;
    this.emit('file-added', { event: 'file-added', name, size, root, path: entry.path }, origin);
  }

  private unshare(name: string, entry: SharedEntry): void {
    if (this.shared.get(name) !== entry) return;
    this.shared.delete(name);
    this.openFiles.forget(entry.path);
    this.emit('file-removed', { event: 'file-removed', name });
  }

  private hashFile(path: string, name: string, stamp: string): Promise<FileManifest> {
    const key = `${path}|${stamp}`;
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = computeManifest(path, name, this.chunkSize, this.closing.signal).finally(() =>
        this.hashing.delete(key),
      );
      this.hashing.set(key, pending);
    }
    return pending;
  }

  /** Shares a file under its base name (from anywhere the user points at). */
  async share(path: string): Promise<SharedFileInfo & { path: string }> {
    const absolute = resolve(this.dir, path);
    const name = assertFileName(basename(absolute));
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) throw new P2PError('NOT_FOUND', `no such file: ${absolute}`, name);
    let entry = this.shared.get(name);
    if (entry?.path !== absolute) this.shared.set(name, (entry = { path: absolute }));
    const manifest = await this.manifest(name);
    this.record(name, entry, manifest, entry.stamp ?? stampOf(info), 'share');
    return { name, size: manifest.size, root: manifest.root, path: absolute };
  }

  async list(): Promise<SharedFileInfo[]> {
    const files: SharedFileInfo[] = [];
    for (const name of this.names()) {
      const manifest = await this.manifest(name).catch(() => undefined);
      if (manifest) files.push({ name, size: manifest.size, root: manifest.root });
    }
    return files;
  }

  /** The manifest of a shared file; re-hashes only if the file changed on disk. */
  async manifest(name: string): Promise<FileManifest> {
    name = assertFileName(name);
    const entry = this.shared.get(name);
    if (!entry) throw new P2PError('NOT_SHARED', `"${name}" is not shared here`, name);
    const info = await stat(entry.path).catch(() => undefined);
    if (!info?.isFile()) {
      this.unshare(name, entry);
      throw new P2PError('NOT_SHARED', `"${name}" is no longer available`, name);
    }
    const stamp = stampOf(info);
    entry.checkedAt = Date.now();
    if (entry.manifest && entry.stamp === stamp) return entry.manifest;
    this.openFiles.forget(entry.path);
    const manifest = await this.hashFile(entry.path, name, stamp);
    // content that changed under a file already offered is news; a first hash is the caller's to announce
    this.record(name, entry, manifest, stamp, entry.announced === undefined ? undefined : 'folder');
    return manifest;
  }

  /**
   * Where a chunk a remote peer asks for lies, once its request checks out: a shared name, the
   * version (Merkle root) of the manifest the peer holds, a chunk that exists.
   */
  async servableChunk(
    name: string,
    root: string,
    index: number,
  ): Promise<{ path: string; offset: number; length: number }> {
    name = assertFileName(name);
    const entry = this.shared.get(name);
    const fresh = entry?.manifest && entry.checkedAt !== undefined && Date.now() - entry.checkedAt < RECHECK_MS;
    const manifest = fresh && entry?.manifest ? entry.manifest : await this.manifest(name);
    if (manifest.root !== root)
      throw new P2PError(
        'NOT_SHARED',
        `"${name}" is not shared here with root ${root} (changed since its manifest?)`,
        name,
      );
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
  async readChunk(name: string, root: string, index: number): Promise<Buffer> {
    const { path, offset, length } = await this.servableChunk(name, root, index);
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

  /** Stops watching the folders and closes the read handles kept open for serving. */
  async close(): Promise<void> {
    this.closing.abort();
    this.watcher?.close();
    await this.settled().catch(() => undefined);
    await this.openFiles.close();
  }

  /** Where the shared file `name` is on disk (undefined: not shared). */
  pathOf(name: string): string | undefined {
    return this.shared.get(sharedName(name))?.path;
  }

  /** Stops sharing `name` (nothing more is served from it); returns the path it was served from. */
  withdraw(name: string): string | undefined {
    const key = sharedName(name);
    const entry = this.shared.get(key);
    if (!entry) return undefined;
    this.unshare(key, entry);
    return entry.path;
  }

  /**
   * Adds a completed, verified download to the shared set, reusing its manifest. False when the
   * user shared another file under the name while it downloaded: the user's file keeps the name.
   */
  adopt(path: string, manifest: FileManifest, stamp: string): boolean {
    const name = sharedName(manifest.name);
    const current = this.shared.get(name);
    if (current && current.path !== path) return false;
    const entry: SharedEntry = { path };
    this.shared.set(name, entry);
    this.record(name, entry, manifest, stamp, 'download');
    return true;
  }
}

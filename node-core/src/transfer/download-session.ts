// One download: the manifests of every holder (holder-manifests.ts: the first one of the chosen
// version starts it), then the chunks (chunk-puller.ts: each checked against the manifest before it
// is written at its offset in NAME.part, slow holders routed around), then NAME once every chunk
// verified. A .part left by a crash or a cancel is resumed: its chunks that still verify are
// kept. Nothing is written before the disk is known to have room for it.
import { createHash } from 'node:crypto';
import { link, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerRef } from '../events';
import { assertFileName } from '../files/file-store';
import { chunkCount, chunkHash, chunkLength, type FileManifest } from '../files/manifest';
import { abortedDownloadError, isPaused } from './pause';
import { P2PError, toP2PError, type Connection } from '../wire';
import { openChunkSink } from './chunk-sink';
import { DEFAULT_DEADLINES, type DeadlinePolicy } from './chunk-deadlines';
import { ChunkPuller } from './chunk-puller';
import { assertFreeSpace } from './free-space';
import { HolderManifests, type WantedVersion } from './holder-manifests';

export interface DownloadRequest extends WantedVersion {
  holders: PeerRef[];
  downloadsDir: string;
  /** Opens a connection to a holder; the download closes it when it ends. */
  connect: (holder: PeerRef, signal: AbortSignal) => Promise<Connection>;
  signal?: AbortSignal;
  /** Requests in flight per holder; default: a budget of 8 shared by the holders (at least 2 each). */
  window?: number;
  maxSources?: number;
  /** `bySource`: the bytes each holder (by id) sent in this session; a resumed .part's bytes count for none. */
  onProgress?: (bytes: number, total: number, bySource?: Readonly<Record<string, number>>) => void;
  /** Each verified chunk, with the holder that sent it (traffic per link for the topology page). */
  onReceived?: (holder: PeerRef, bytes: number) => void;
  /** Files from this size up are checked and written in a worker thread (default: WORKER_SINK_FROM_BYTES). */
  workerSinkFromBytes?: number;
  /** A chunk request may take this long with nothing arriving on its connection (default: CHUNK_TIMEOUT_MS). */
  chunkTimeoutMs?: number;
  /** When a holder counts as late (default: DEFAULT_DEADLINES). */
  deadlines?: DeadlinePolicy;
}

export interface DownloadResult {
  name: string;
  path: string;
  bytes: number;
  root: string;
  sources: string[];
  manifest: FileManifest;
  /** `${size}:${mtimeMs}` of the final file, for the store's manifest cache. */
  stamp: string;
  resumedBytes: number;
}

/** Downloads `request.name` into `request.downloadsDir`; a failure is a `P2PError`, never a half file named as done. */
export async function download(request: DownloadRequest): Promise<DownloadResult> {
  return new DownloadSession(request).run();
}

class DownloadSession {
  private readonly name: string;
  private readonly path: string;
  private readonly partPath: string;
  /** Aborted when the download ends, however: stops every request still in flight. */
  private readonly abort = new AbortController();
  /** Every holder connection this download opened, closed when it ends. */
  private readonly opened: Connection[] = [];
  /** The holders whose chunks are in the .part. */
  private readonly sources = new Set<string>();
  /** This download made the .part (it was not resumed): removed on failure if it holds nothing verified. */
  private createdPart = false;
  private verifiedBytes = 0;
  /** The bytes each holder (by id) sent in this session; a resumed .part's bytes count for none. */
  private readonly bySource: Record<string, number> = {};

  constructor(private readonly request: DownloadRequest) {
    assertFileName(request.name);
    this.name = request.name;
    this.path = join(request.downloadsDir, request.name);
    this.partPath = `${this.path}.part`;
  }

  async run(): Promise<DownloadResult> {
    const { name, path, partPath, request } = this;
    if (await exists(path)) throw new P2PError('FILE_EXISTS', `${path} already exists; not overwriting it`, name);
    const holders = request.holders.slice(0, request.maxSources ?? 4);
    if (holders.length === 0) throw new P2PError('NOT_FOUND', `nobody holds "${name}"`, name);
    const onOuterAbort = (): void => this.abort.abort();
    request.signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const signal = this.abort.signal;
      const connect = async (ref: PeerRef): Promise<Connection> => {
        const conn = await request.connect(ref, signal);
        this.opened.push(conn);
        return conn;
      };
      const manifests = new HolderManifests(request, holders, connect, signal);
      return await this.fetchIntoPart(await manifests.first(), manifests);
    } catch (err) {
      if (request.signal?.aborted) {
        // cancelled on purpose: the partial file goes too (a pause or a crash leaves it to resume)
        if (!isPaused(request.signal)) await unlink(partPath).catch(() => undefined);
        throw abortedDownloadError(name, request.signal);
      }
      // a .part holding no verified byte is worth nothing; one we did not make stays as it was
      if (this.createdPart && this.verifiedBytes === 0) await unlink(partPath).catch(() => undefined);
      throw toP2PError(err, 'DOWNLOAD_FAILED');
    } finally {
      request.signal?.removeEventListener('abort', onOuterAbort);
      this.abort.abort();
      for (const conn of this.opened) conn.close();
    }
  }

  /**
   * Opens (or resumes) the .part, fills it until every chunk verified, then gives it its name.
   * That is the whole file verified: the manifest was accepted only because its chunk digests,
   * size and chunk size produce the chosen root (holder-manifests.ts), each chunk was written only
   * after its SHA-256 matched its digest (the sink; a resumed one in chunksToFetch()), and SHA-256
   * and the Merkle tree are collision-resistant, so no other content has this root.
   */
  private async fetchIntoPart(manifest: FileManifest, manifests: HolderManifests): Promise<DownloadResult> {
    const { downloadsDir } = this.request;
    const resuming = await exists(this.partPath);
    if (!resuming) await assertFreeSpace(downloadsDir, manifest.size, this.name);
    const file = await open(this.partPath, resuming ? 'r+' : 'w+');
    this.createdPart = !resuming;
    try {
      const todo = await chunksToFetch(file, manifest);
      const { size: onDisk } = await file.stat();
      if (onDisk > manifest.size) await file.truncate(manifest.size);
      else if (resuming) await assertFreeSpace(downloadsDir, manifest.size - onDisk, this.name);
      const resumedBytes = manifest.size - todo.reduce((sum, index) => sum + chunkLength(manifest, index), 0);
      this.verifiedBytes = resumedBytes;
      await this.pull(file, manifest, manifests, todo);
      await file.close();
      return await this.finish(manifest, manifests, resumedBytes);
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** Pulls the missing chunks into the .part; resolves once each is on disk, checked. */
  private async pull(
    file: FileHandle,
    manifest: FileManifest,
    manifests: HolderManifests,
    todo: number[],
  ): Promise<void> {
    const { request } = this;
    const total = manifest.size;
    request.onProgress?.(this.verifiedBytes, total, this.bySource);
    const sink = openChunkSink(manifest, { file, path: this.partPath }, request.workerSinkFromBytes);
    try {
      const puller = new ChunkPuller({
        name: this.name,
        manifest,
        sink,
        todo,
        deadlines: request.deadlines ?? DEFAULT_DEADLINES,
        signal: this.abort.signal,
        window: request.window,
        chunkTimeoutMs: request.chunkTimeoutMs,
        onAccepted: (_index, holder, length) => {
          this.sources.add(holder.id);
          this.verifiedBytes += length;
          this.bySource[holder.id] = (this.bySource[holder.id] ?? 0) + length;
          request.onReceived?.(holder, length);
          request.onProgress?.(this.verifiedBytes, total, this.bySource);
        },
      });
      const pulled = puller.run();
      manifests.onHolder((holder) => puller.addHolder(holder.ref, holder.conn));
      void manifests.settled.then(() => puller.noMoreHolders());
      await pulled;
    } finally {
      sink.close();
    }
  }

  /** Gives the verified .part its name, never over a file that appeared meanwhile. */
  private async finish(
    manifest: FileManifest,
    manifests: HolderManifests,
    resumedBytes: number,
  ): Promise<DownloadResult> {
    const { name, path, partPath } = this;
    try {
      await link(partPath, path); // fails instead of overwriting a file that appeared meanwhile
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new P2PError('FILE_EXISTS', `${path} appeared during the download; kept ${partPath}`, name);
      throw err;
    }
    await unlink(partPath);
    const info = await stat(path);
    return {
      name,
      path,
      bytes: manifest.size,
      root: manifest.root,
      // the holders whose chunks are in the final file; a file with nothing left to fetch
      // (empty, or fully resumed) still came from its manifest's holder
      sources: this.sources.size > 0 ? [...this.sources] : [manifests.holders[0].ref.id],
      manifest,
      stamp: `${info.size}:${info.mtimeMs}`,
      resumedBytes,
    };
  }
}

/** The chunks whose bytes on disk do not match the manifest (missing ones included). */
async function chunksToFetch(file: FileHandle, manifest: FileManifest): Promise<number[]> {
  const result: number[] = [];
  const count = chunkCount(manifest.size, manifest.chunkSize);
  const { size: onDiskSize } = await file.stat();
  let onDisk = onDiskSize > 0;
  for (let index = 0; index < count; index++) {
    let intact = false;
    if (onDisk) {
      const length = chunkLength(manifest, index);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(buffer, 0, length, index * manifest.chunkSize);
      intact = bytesRead === length && createHash('sha256').update(buffer).digest().equals(chunkHash(manifest, index));
      if (bytesRead < length) onDisk = false;
    }
    if (!intact) result.push(index);
  }
  return result;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

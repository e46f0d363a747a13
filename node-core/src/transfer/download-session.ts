// One download: fetch the manifest, then pull chunks from every holder that serves the same
// file (a window of requests per holder), verify each chunk, write it at its offset in
// NAME.part, and rename to NAME only when the whole file verifies. A .part left by a crash or
// a cancel is resumed: its chunks that still verify are kept.
import { createHash } from 'node:crypto';
import { link, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerRef } from '../events';
import { assertFileName } from '../files/file-store';
import { chunkCount, chunkHash, chunkLength, manifestIsConsistent, type FileManifest } from '../files/manifest';
import { openChunkSink, type ChunkSink } from './chunk-sink';
import { P2PError, toP2PError, type Connection } from '../wire';
import { fetchManifest, fetchChunk } from './transfer-client';

export interface DownloadRequest {
  name: string;
  /** The whole-file digest the search reported; holders serving anything else are ignored. */
  sha256?: string;
  holders: PeerRef[];
  downloadsDir: string;
  /** Opens a connection to a holder; the download closes it when it ends. */
  connect: (holder: PeerRef, signal: AbortSignal) => Promise<Connection>;
  signal?: AbortSignal;
  /** Requests in flight per holder; default: a budget of 8 shared by the holders (at least 2 each). */
  window?: number;
  maxSources?: number;
  onProgress?: (bytes: number, total: number) => void;
  /** Each chunk received, with the holder that sent it (traffic per link for the topology page). */
  onReceived?: (holder: PeerRef, bytes: number) => void;
  /** Files from this size up are written and hashed in worker threads (default: WORKER_SINK_FROM_BYTES). */
  workerSinkFromBytes?: number;
  /** A chunk may take this long with nothing arriving on its connection (default: CHUNK_TIMEOUT_MS). */
  chunkTimeoutMs?: number;
}

export interface DownloadResult {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  sources: string[];
  manifest: FileManifest;
  /** `${size}:${mtimeMs}` of the final file, for the store's manifest cache. */
  stamp: string;
  resumedBytes: number;
}

interface Source {
  ref: PeerRef;
  conn: Connection;
  alive: boolean;
  served: number;
}

export async function download(request: DownloadRequest): Promise<DownloadResult> {
  const { name, downloadsDir } = request;
  assertFileName(name);
  const path = join(downloadsDir, name);
  const partPath = `${path}.part`;
  if (await exists(path)) throw new P2PError('FILE_EXISTS', `${path} already exists; not overwriting it`, name);
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  request.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const sources: Source[] = [];
  const opened: Connection[] = [];
  try {
    const { manifest, found } = await openSources(request, abort.signal, opened);
    sources.push(...found);
    const file = await open(partPath, (await exists(partPath)) ? 'r+' : 'w+');
    try {
      const todo = await chunksToFetch(file, manifest); // before truncate: only real bytes count (resume)
      await file.truncate(manifest.size);
      const total = manifest.size;
      const resumedBytes = total - todo.reduce((sum, index) => sum + chunkLength(manifest, index), 0);
      let bytes = resumedBytes;
      request.onProgress?.(bytes, total);
      const servedBy = new Map<number, Source>();
      let queue = [...todo];
      let sha256 = '';
      // Round 0 is optimistic: chunks are only folded into the whole-file hash (one hash per
      // byte). If that hash is wrong, round 1 checks every chunk against the manifest, drops
      // the holders that sent bad ones and refetches those chunks, verifying each.
      for (let round = 0; ; round++) {
        const sink = openChunkSink(manifest, { file, path: partPath }, request.workerSinkFromBytes);
        try {
          const pending = new Set(queue);
          for (let index = 0; index < chunkCount(manifest.size, manifest.chunkSize); index++)
            if (!pending.has(index)) sink.markPresent(index);
          await fetchAll(
            {
              queue,
              sources,
              manifest,
              sink,
              signal: abort.signal,
              verifyEach: round > 0,
              name,
              window: request.window,
              chunkTimeoutMs: request.chunkTimeoutMs,
            },
            (index, source, length) => {
              servedBy.set(index, source);
              source.served++;
              request.onReceived?.(source.ref, length);
              if (round === 0) {
                bytes += length;
                request.onProgress?.(bytes, total);
              }
            },
          );
          sha256 = await sink.digest();
        } finally {
          sink.close();
        }
        if (sha256 === manifest.sha256) break;
        const bad = round === 0 ? await chunksToFetch(file, manifest) : [];
        if (bad.length === 0) {
          // every chunk matches the manifest yet the whole does not: the manifest itself lies
          await file.close().catch(() => undefined);
          await unlink(partPath).catch(() => undefined);
          throw new P2PError('VERIFY_FAILED', `"${name}" does not match its SHA-256 ${manifest.sha256}`, name);
        }
        for (const index of bad) {
          const culprit = servedBy.get(index);
          if (culprit) culprit.alive = false;
        }
        queue = bad;
      }
      const finalSources = [...new Set([...servedBy.values()].map((source) => source.ref.id))];
      await file.close();
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
        sha256,
        // the holders whose chunks are in the final file; a file with nothing left to fetch
        // (empty, or fully resumed) still came from its manifest's holder
        sources: finalSources.length > 0 ? finalSources : [sources[0].ref.id],
        manifest,
        stamp: `${info.size}:${info.mtimeMs}`,
        resumedBytes,
      };
    } finally {
      await file.close().catch(() => undefined);
    }
  } catch (err) {
    if (request.signal?.aborted) {
      // cancelled on purpose: the partial file goes too (a crash, by contrast, leaves it to resume)
      await unlink(partPath).catch(() => undefined);
      throw new P2PError('CANCELLED', `download of "${name}" cancelled`, name);
    }
    throw toP2PError(err, 'DOWNLOAD_FAILED');
  } finally {
    request.signal?.removeEventListener('abort', onOuterAbort);
    abort.abort();
    for (const conn of opened) conn.close(); // every holder connection this download opened
  }
}

/** Asks every holder for its manifest; keeps those that serve the expected (or first) version. */
async function openSources(
  request: DownloadRequest,
  signal: AbortSignal,
  opened: Connection[],
): Promise<{ manifest: FileManifest; found: Source[] }> {
  const holders = request.holders.slice(0, request.maxSources ?? 4);
  if (holders.length === 0) throw new P2PError('NOT_FOUND', `nobody holds "${request.name}"`, request.name);
  const attempts = await Promise.allSettled(
    holders.map(async (ref) => {
      const conn = await request.connect(ref, signal);
      opened.push(conn);
      const manifest = await fetchManifest(conn, request.name, signal);
      return { ref, conn, manifest };
    }),
  );
  let manifest: FileManifest | undefined;
  const found: Source[] = [];
  let lastError: unknown;
  for (const attempt of attempts) {
    if (attempt.status === 'rejected') {
      lastError = attempt.reason;
      continue;
    }
    const candidate = attempt.value.manifest;
    if (!manifestIsConsistent(candidate) || (request.sha256 && candidate.sha256 !== request.sha256)) continue;
    if (manifest && (candidate.sha256 !== manifest.sha256 || candidate.chunkSize !== manifest.chunkSize)) continue;
    manifest ??= candidate;
    found.push({ ref: attempt.value.ref, conn: attempt.value.conn, alive: true, served: 0 });
  }
  if (!manifest) {
    if (lastError) throw toP2PError(lastError, 'DOWNLOAD_FAILED');
    throw new P2PError('VERIFY_FAILED', `no holder serves "${request.name}" with the expected SHA-256`, request.name);
  }
  return { manifest, found };
}

interface FetchRound {
  queue: number[];
  sources: Source[];
  manifest: FileManifest;
  sink: ChunkSink;
  signal: AbortSignal;
  /** Check each chunk against the manifest before accepting it (recovery rounds). */
  verifyEach: boolean;
  name: string;
  window?: number;
  chunkTimeoutMs?: number;
}

/** Chunk requests in flight for one download, whatever the number of holders (3 holders: 2 each). */
const WINDOW_BUDGET = 8;

/**
 * Pulls every queued chunk from the live sources, `window` requests in flight per source. By
 * default the budget is shared: 8 per holder cost 3 holders 24 MiB in flight, and the getter's
 * RSS passed 150 MB on 1 GiB, without being any faster than 8 in all (loopback is CPU-bound).
 */
async function fetchAll(
  round: FetchRound,
  accepted: (index: number, source: Source, length: number) => void,
): Promise<void> {
  const { queue, manifest, sink, signal, name } = round;
  while (queue.length > 0) {
    const alive = round.sources.filter((s) => s.alive);
    if (alive.length === 0) throw new P2PError('DOWNLOAD_FAILED', `no holder could serve "${name}"`, name);
    await Promise.all(
      alive.flatMap((source) =>
        Array.from({ length: round.window ?? Math.max(2, Math.floor(WINDOW_BUDGET / alive.length)) }, async () => {
          while (source.alive && queue.length > 0) {
            if (signal.aborted) throw new P2PError('CANCELLED', `download of "${name}" cancelled`, name);
            const index = queue.shift() as number;
            let pieces: readonly Buffer[];
            try {
              pieces = await fetchChunk(source.conn, manifest, index, signal, round.chunkTimeoutMs);
              if (round.verifyEach && !hashOf(pieces).equals(chunkHash(manifest, index))) {
                throw new P2PError('VERIFY_FAILED', `chunk ${index} from ${source.ref.id} does not verify`, name);
              }
            } catch {
              queue.unshift(index);
              if (signal.aborted) throw new P2PError('CANCELLED', `download of "${name}" cancelled`, name);
              source.alive = false; // its other requests fail too; healthy holders take over
              continue;
            }
            // the chunk as it came off the socket (one pooled buffer): the sink writes it at its
            // offset and folds it into the whole-file hash. A failure here is ours (a full disk,
            // a dead worker), not the holder's: it ends the download with its own message, and the
            // .part stays to be resumed.
            const length = await sink.write(index, pieces).catch((err: unknown) => {
              throw new P2PError('DOWNLOAD_FAILED', `writing "${name}.part" failed: ${toP2PError(err).message}`, name);
            });
            accepted(index, source, length);
          }
        }),
      ),
    );
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

function hashOf(pieces: readonly Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// The large-file sink: a worker thread writes the chunks to the .part and hashes them, so the
// main thread only reads the socket and hands each chunk's buffers over (moved, not copied).
//
// Why (1 GiB GET between two processes on a 2-core VM, perf): in the main-thread sink SHA-256
// took ~0.75 s of the thread that reads the socket (the GET took ~2.6 s, ~2.1 s with no hash),
// and the 1 MiB writev calls made the kernel fill the page cache with large folios, whose
// copy (copy_folio_from_iter_atomic) cost ~6,000 perf samples against ~600 for the same bytes
// written 64 KiB at a time, the way a plain stream pipe writes them. The worker writes each
// socket piece (≤ 64 KiB) with its own write() call, no event-loop round trip between them, then
// hashes the chunk while it is still in the cache. Copying chunks into shared memory instead
// cost the main thread ~0.7 s per GiB (V8 copies into a SharedArrayBuffer byte-safely).
import { Worker } from 'node:worker_threads';
import { chunkCount, type FileManifest } from '../files/manifest';
import type { ChunkSink } from './chunk-sink';
import { byteLength } from './transfer-client';

/** Out-of-order chunks the worker keeps in memory until their turn in the hash (others are read back). */
const HELD_MAX = 4;

/**
 * Plain JavaScript run with `eval`, so the bundle needs no second entry file. Messages in:
 * { pieces, index, length, id } a chunk (its buffers transferred); { present } a chunk already
 * on disk; { digest } the hash is wanted. Messages out: { written, id } or { failed, id, message }
 * a chunk; { returned } buffers handed back; { sha256 } or { error } the digest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, writeSync } = require('node:fs');
const { path, size, chunkSize, count, heldMax } = workerData;
const hash = createHash('sha256');
const onDisk = new Uint8Array(count);
const held = new Map();
let scratch;
let next = 0;
let failure;
let wanted = false;
const fd = openSync(path, 'r+');
const lengthOf = (index) => Math.min(chunkSize, size - index * chunkSize);
function writeChunk(pieces, position) {
  for (const piece of pieces) {
    for (let done = 0; done < piece.length; ) {
      const n = writeSync(fd, piece, done, piece.length - done, position);
      if (n <= 0) throw new Error('write returned ' + n);
      done += n;
      position += n;
    }
  }
}
function readBack(index) {
  const length = lengthOf(index);
  scratch = scratch || Buffer.allocUnsafe(chunkSize);
  for (let filled = 0; filled < length; ) {
    const n = readSync(fd, scratch, filled, length - filled, index * chunkSize + filled);
    if (n === 0) throw new Error('chunk ' + index + ' is missing from the .part');
    filled += n;
  }
  return [scratch.subarray(0, length)];
}
// Chunks go back to the main thread once written and hashed: there they die young with the
// rest of its garbage, where the worker, which allocates almost nothing on its heap, would
// collect them only when ~64 MB of them had piled up (V8's external-memory trigger).
function giveBack(pieces) {
  parentPort.postMessage({ returned: pieces.length }, pieces.map((piece) => piece.buffer));
}
function advance() {
  while (!failure && next < count && onDisk[next]) {
    try {
      const kept = held.get(next);
      held.delete(next);
      for (const piece of kept || readBack(next)) hash.update(piece);
      if (kept) giveBack(kept);
      next++;
    } catch (err) {
      failure = String((err && err.message) || err);
    }
  }
  if (wanted && (failure || next === count)) {
    wanted = false;
    parentPort.postMessage(failure ? { error: failure } : { sha256: hash.digest('hex') });
  }
}
parentPort.on('message', (msg) => {
  if (msg.pieces !== undefined) {
    try {
      writeChunk(msg.pieces, msg.index * chunkSize);
      onDisk[msg.index] = 1;
      if (msg.index === next || held.size < heldMax) held.set(msg.index, msg.pieces);
      else giveBack(msg.pieces);
      parentPort.postMessage({ written: msg.length, id: msg.id });
    } catch (err) {
      giveBack(msg.pieces);
      parentPort.postMessage({ failed: true, id: msg.id, message: String((err && err.message) || err) });
    }
  }
  if (msg.present !== undefined) onDisk[msg.present] = 1;
  if (msg.digest) wanted = true;
  advance();
});
`;

type WorkerMessage = { returned: number } | { written: number; id: number } | { failed: true; id: number; message: string } | { sha256: string } | { error: string };

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

export class WorkerSink implements ChunkSink {
  private readonly worker: Worker;
  private readonly present: Uint8Array;
  private readonly writes = new Map<number, Pending<number>>();
  private digestWaiter: Pending<string> | undefined;
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(manifest: FileManifest, partPath: string) {
    const count = chunkCount(manifest.size, manifest.chunkSize);
    this.present = new Uint8Array(count);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: partPath, size: manifest.size, chunkSize: manifest.chunkSize, count, heldMax: HELD_MAX },
      // its chunks are off-heap and handed back; its own heap stays tiny
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('message', (msg: WorkerMessage) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the download worker stopped')));
  }

  write(index: number, pieces: readonly Buffer[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const { owned, transfer } = ownPieces(pieces);
    const length = byteLength(pieces);
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.writes.set(id, { resolve, reject });
      this.present[index] = 1;
      this.worker.postMessage({ pieces: owned, index, length, id }, transfer);
    });
  }

  markPresent(index: number): void {
    if (this.present[index] || this.failure) return;
    this.present[index] = 1;
    this.worker.postMessage({ present: index });
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.present.includes(0)) return Promise.reject(new Error('not every chunk has arrived'));
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.worker.postMessage({ digest: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the download ended'));
    void this.worker.terminate();
  }

  private onMessage(msg: WorkerMessage): void {
    if ('returned' in msg) {
      return; // the chunk's buffers, handed back to be collected here
    } else if ('written' in msg) {
      this.settle(msg.id)?.resolve(msg.written);
    } else if ('failed' in msg) {
      this.settle(msg.id)?.reject(new Error(msg.message));
    } else {
      const waiter = this.digestWaiter;
      this.digestWaiter = undefined;
      if ('sha256' in msg) waiter?.resolve(msg.sha256);
      else waiter?.reject(new Error(msg.error));
    }
  }

  private settle(id: number): Pending<number> | undefined {
    const pending = this.writes.get(id);
    this.writes.delete(id);
    return pending;
  }

  /** The worker is gone (or the sink closed): every waiting call fails. */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const pending of this.writes.values()) pending.reject(this.failure);
    this.writes.clear();
    this.digestWaiter?.reject(this.failure);
    this.digestWaiter = undefined;
  }
}

/**
 * The pieces as buffers the worker can take over without a copy. A socket read is its own
 * ArrayBuffer, so a piece that spans all of it is moved as is; a piece that shares its
 * ArrayBuffer (the first or last of a frame, whose neighbour belongs to another frame) is copied.
 */
function ownPieces(pieces: readonly Buffer[]): { owned: Uint8Array[]; transfer: ArrayBuffer[] } {
  const owned = pieces.map((piece) => {
    const whole = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength && piece.buffer instanceof ArrayBuffer;
    return whole ? piece : new Uint8Array(piece);
  });
  return { owned, transfer: owned.map((own) => own.buffer as ArrayBuffer) };
}

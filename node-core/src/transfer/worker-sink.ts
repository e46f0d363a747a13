// The large-file sink: two worker threads, one writing the chunks to the .part and one hashing
// them, so the main thread only reads the socket and hands each chunk's buffer over (moved, not
// copied). The buffer comes back once hashed and receives another chunk (payloadPool).
//
// Why (1 GiB GET between two processes on a 2-core VM, perf): in the main-thread sink SHA-256
// took ~0.75 s of the thread that reads the socket (the GET took ~2.6 s, ~2.1 s with no hash),
// and the 1 MiB writev calls made the kernel fill the page cache with large folios, whose
// copy (copy_folio_from_iter_atomic) cost ~6,000 perf samples against ~600 for the same bytes
// written 64 KiB at a time, the way a plain stream pipe writes them. The worker writes each
// chunk 64 KiB per write() call, no event-loop round trip between them, then
// passes the chunk to the hasher. One thread doing both was the critical path (~1.3 s of CPU for
// a GET of ~1.6 s); split, 1 holder's GET took a median 1695 ms against 1792 ms over 12 paired
// runs (10 of 12 faster), for one more thread and ~12 MiB of getter RSS. Copying chunks into
// shared memory instead cost the main thread ~0.7 s per GiB (V8 copies into a
// SharedArrayBuffer byte-safely).
import { MessageChannel, Worker } from 'node:worker_threads';
import { chunkCount, type FileManifest } from '../files/manifest';
import type { ChunkSink } from './chunk-sink';
import { payloadPool } from '../wire';
import { byteLength } from './transfer-client';

/** Out-of-order chunks the hasher keeps in memory until their turn in the hash (others are read back). */
const HELD_MAX = 4;

/**
 * Two threads, plain JavaScript run with `eval` (the bundle needs no second entry file). The
 * writer writes each chunk and passes its buffers on to the hasher, which folds the chunks into
 * the hash in file order: a chunk it cannot keep until its turn is read back from the .part,
 * where the writer has already put it. A write settles only once the hasher has taken the chunk
 * (hashed, held, or handed back): the download's request window then bounds the chunks between
 * the socket and the hash, where a hasher slower than the writer would let them pile up.
 * Writer in: { pieces, index, id } (buffers transferred); out to the hasher: the same;
 * out to the main thread on a failure: { returned } and { failed, id, message }. Hasher in: the
 * writer's chunks, and { present } (a chunk already on disk) and { digest } from the main thread;
 * out: { taken: id }, { returned } (buffers handed back), { sha256 } or { error }.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, writeSync } = require('node:fs');
const { path, chunkSize, hasher } = workerData;
const fd = openSync(path, 'r+');
// 64 KiB per write(): the kernel copies larger writes into large page-cache folios, ~10 times
// slower per byte on this machine (see the header)
const SLICE = 64 * 1024;
function writeChunk(pieces, position) {
  for (const piece of pieces) {
    for (let done = 0; done < piece.length; ) {
      const n = writeSync(fd, piece, done, Math.min(SLICE, piece.length - done), position);
      if (n <= 0) throw new Error('write returned ' + n);
      done += n;
      position += n;
    }
  }
}
parentPort.on('message', (msg) => {
  try {
    writeChunk(msg.pieces, msg.index * chunkSize);
  } catch (err) {
    const buffers = msg.pieces.map((piece) => piece.buffer);
    parentPort.postMessage({ returned: buffers }, buffers);
    parentPort.postMessage({ failed: true, id: msg.id, message: String((err && err.message) || err) });
    return;
  }
  hasher.postMessage(msg, msg.pieces.map((piece) => piece.buffer));
});
`;

const HASHER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync } = require('node:fs');
const { path, size, chunkSize, count, heldMax, writer } = workerData;
const hash = createHash('sha256');
const onDisk = new Uint8Array(count);
const held = new Map();
let scratch;
let next = 0;
let failure;
let wanted = false;
const fd = openSync(path, 'r');
const lengthOf = (index) => Math.min(chunkSize, size - index * chunkSize);
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
// Chunks go back to the main thread once hashed, where the next chunks are received into them
// (payloadPool): the download's memory is the same few buffers going round.
function giveBack(pieces) {
  const buffers = pieces.map((piece) => piece.buffer);
  parentPort.postMessage({ returned: buffers }, buffers);
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
writer.on('message', (msg) => {
  onDisk[msg.index] = 1;
  if (msg.index === next || held.size < heldMax) held.set(msg.index, msg.pieces);
  else giveBack(msg.pieces);
  // taken: it is held (at most heldMax, and the next one) or back in the main thread
  parentPort.postMessage({ taken: msg.id });
  advance();
});
parentPort.on('message', (msg) => {
  if (msg.present !== undefined) onDisk[msg.present] = 1;
  if (msg.digest) wanted = true;
  advance();
});
`;

type WorkerMessage =
  | { returned: ArrayBuffer[] }
  | { taken: number }
  | { failed: true; id: number; message: string }
  | { sha256: string }
  | { error: string };

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

export class WorkerSink implements ChunkSink {
  private readonly writer: Worker;
  private readonly hasher: Worker;
  private readonly present: Uint8Array;
  /** Writes waiting for the hasher to take their chunk, by id; each resolves with its length. */
  private readonly writes = new Map<number, Pending<void>>();
  private digestWaiter: Pending<string> | undefined;
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(manifest: FileManifest, partPath: string) {
    const count = chunkCount(manifest.size, manifest.chunkSize);
    this.present = new Uint8Array(count);
    const { port1, port2 } = new MessageChannel();
    // their chunks are off-heap and handed back; their own heaps stay tiny
    const resourceLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 };
    this.writer = new Worker(WRITER_SOURCE, {
      eval: true,
      resourceLimits,
      workerData: { path: partPath, chunkSize: manifest.chunkSize, hasher: port1 },
      transferList: [port1],
    });
    this.hasher = new Worker(HASHER_SOURCE, {
      eval: true,
      resourceLimits,
      workerData: {
        path: partPath,
        size: manifest.size,
        chunkSize: manifest.chunkSize,
        count,
        heldMax: HELD_MAX,
        writer: port2,
      },
      transferList: [port2],
    });
    for (const worker of [this.writer, this.hasher]) {
      worker.on('message', (msg: WorkerMessage) => this.onMessage(msg));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', () => this.fail(new Error('the download worker stopped')));
    }
  }

  write(index: number, pieces: readonly Buffer[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const { owned, transfer } = ownPieces(pieces);
    const length = byteLength(pieces);
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.writes.set(id, { resolve: () => resolve(length), reject });
      this.present[index] = 1;
      this.writer.postMessage({ pieces: owned, index, id }, transfer);
    });
  }

  markPresent(index: number): void {
    if (this.present[index] || this.failure) return;
    this.present[index] = 1;
    this.hasher.postMessage({ present: index });
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.present.includes(0)) return Promise.reject(new Error('not every chunk has arrived'));
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.hasher.postMessage({ digest: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the download ended'));
    void this.writer.terminate();
    void this.hasher.terminate();
  }

  private onMessage(msg: WorkerMessage): void {
    if ('returned' in msg) {
      // a chunk's buffer, to receive another
      for (const buffer of msg.returned) payloadPool.release(Buffer.from(buffer));
    } else if ('taken' in msg) {
      this.settle(msg.taken)?.resolve();
    } else if ('failed' in msg) {
      this.settle(msg.id)?.reject(new Error(msg.message));
    } else {
      const waiter = this.digestWaiter;
      this.digestWaiter = undefined;
      if ('sha256' in msg) waiter?.resolve(msg.sha256);
      else waiter?.reject(new Error(msg.error));
    }
  }

  private settle(id: number): Pending<void> | undefined {
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
 * The pieces as buffers the worker can take over without a copy. A received chunk is one buffer
 * with memory of its own (payloadPool), moved as is; a piece that shares its ArrayBuffer with
 * other data (a slice) is copied, since moving would take that data away too.
 */
function ownPieces(pieces: readonly Buffer[]): { owned: Uint8Array[]; transfer: ArrayBuffer[] } {
  const owned = pieces.map((piece) => {
    const whole =
      piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength && piece.buffer instanceof ArrayBuffer;
    return whole ? piece : new Uint8Array(piece);
  });
  return { owned, transfer: owned.map((own) => own.buffer as ArrayBuffer) };
}

// The large-file sink: two worker threads, one writing the chunks to the .part
// (sink-writer.worker.ts) and one hashing them (sink-hasher.worker.ts), so the main thread only
// reads the socket and hands each chunk's buffer over (moved, not copied). The buffer comes back
// once hashed and receives another chunk (payloadPool). Why two threads and not the main one:
// node-core/README.md, "Where the bytes go".
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { chunkCount, type FileManifest } from '../files/manifest';
import type { ChunkSink } from './chunk-sink-types';
import { payloadPool } from '../wire';
import { byteLength } from './pieces';
import { chunkMismatch } from './chunk-mismatch';
import {
  buffersOf,
  type ChunkMessage,
  type HasherCommand,
  type HasherData,
  type SinkWorkerReply,
  type WriterData,
} from './sink-worker-messages';

/** Out-of-order chunks the hasher keeps in memory until their turn in the hash (others are read back). */
const HELD_MAX = 4;

/** From the TypeScript sources (tests under tsx) rather than a bundle. */
const FROM_SOURCE = __filename.endsWith('.ts');

/**
 * Starts one of the sink's threads from its own file: bundled, `NAME.worker.js` beside the bundle
 * (esbuild.mjs builds it next to dist/p2p-node.js); from the sources, `NAME.worker.ts` here.
 */
function startSinkWorker(name: 'sink-writer' | 'sink-hasher', options: WorkerOptions): Worker {
  const file = join(__dirname, `${name}.worker.${FROM_SOURCE ? 'ts' : 'js'}`);
  // on Node 20 a worker ignores tsx's --import hook but takes its require hook (resolved here, not from the cwd)
  const execArgv = FROM_SOURCE ? ['--require', createRequire(__filename).resolve('tsx/cjs')] : undefined;
  return new Worker(file, { ...options, execArgv });
}

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/**
 * A write settles only once the hasher has taken the chunk (hashed, held, or handed back): the
 * download's request window then bounds the chunks between the socket and the hash, where a
 * hasher slower than the writer would let them pile up.
 */
export class WorkerSink implements ChunkSink {
  private readonly writer: Worker;
  private readonly hasher: Worker;
  private readonly present: Uint8Array;
  /** Writes waiting for the hasher to take their chunk, by id, with the chunk's index. */
  private readonly writes = new Map<number, Pending<void> & { index: number }>();
  private digestWaiter: Pending<string> | undefined;
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly manifest: FileManifest,
    partPath: string,
  ) {
    const count = chunkCount(manifest.size, manifest.chunkSize);
    this.present = new Uint8Array(count);
    const { port1, port2 } = new MessageChannel();
    // their chunks are off-heap and handed back; their own heaps stay tiny
    const resourceLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 };
    const writerData: WriterData = {
      path: partPath,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      chunkHashes: manifest.chunkHashes,
      hasher: port1,
    };
    this.writer = startSinkWorker('sink-writer', { resourceLimits, workerData: writerData, transferList: [port1] });
    const hasherData: HasherData = {
      path: partPath,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      count,
      heldMax: HELD_MAX,
      writer: port2,
    };
    this.hasher = startSinkWorker('sink-hasher', { resourceLimits, workerData: hasherData, transferList: [port2] });
    for (const worker of [this.writer, this.hasher]) {
      worker.on('message', (msg: SinkWorkerReply) => this.onMessage(msg));
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
      const taken = (): void => {
        this.present[index] = 1;
        resolve(length);
      };
      this.writes.set(id, { resolve: taken, reject, index });
      const chunk: ChunkMessage = { pieces: owned, index, id };
      this.writer.postMessage(chunk, transfer);
    });
  }

  markPresent(index: number): void {
    if (this.present[index] || this.failure) return;
    this.present[index] = 1;
    this.tellHasher({ present: index });
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.present.includes(0)) return Promise.reject(new Error('not every chunk has arrived'));
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.tellHasher({ digest: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the download ended'));
    void this.writer.terminate();
    void this.hasher.terminate();
  }

  private tellHasher(command: HasherCommand): void {
    this.hasher.postMessage(command);
  }

  private onMessage(msg: SinkWorkerReply): void {
    if ('returned' in msg) {
      // a chunk's buffers, to receive another chunk
      for (const buffer of msg.returned) payloadPool.release(Buffer.from(buffer));
    } else if ('taken' in msg) {
      this.settle(msg.taken)?.resolve();
    } else if ('failed' in msg) {
      const pending = this.settle(msg.id);
      pending?.reject(msg.mismatch ? chunkMismatch(this.manifest, pending.index) : new Error(msg.message));
    } else {
      const waiter = this.digestWaiter;
      this.digestWaiter = undefined;
      if ('sha256' in msg) waiter?.resolve(msg.sha256);
      else waiter?.reject(new Error(msg.error));
    }
  }

  private settle(id: number): (Pending<void> & { index: number }) | undefined {
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
  return { owned, transfer: buffersOf(owned) };
}

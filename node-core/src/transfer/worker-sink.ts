// The large-file sink: one worker thread checks each chunk against the manifest and writes it to
// the .part (sink-writer.worker.ts), so the main thread only reads the socket and hands each
// chunk's buffer over (moved, not copied). The buffer comes back once written and receives another
// chunk (payloadPool). Why a thread and not the main one: node-core/README.md, "Where the bytes go".
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FileManifest } from '../files/manifest';
import type { ChunkSink } from './chunk-sink-types';
import { payloadPool } from '../wire';
import { byteLength } from './pieces';
import { chunkMismatch } from './chunk-mismatch';
import { buffersOf, type ChunkMessage, type SinkWorkerReply, type WriterData } from './sink-worker-messages';

/** From the TypeScript sources (tests under tsx) rather than a bundle. */
const FROM_SOURCE = __filename.endsWith('.ts');

/**
 * Starts the sink's thread from its own file: bundled, `NAME.worker.js` beside the bundle
 * (esbuild.mjs builds it next to dist/p2p-node.js); from the sources, `NAME.worker.ts` here.
 */
function startSinkWorker(name: 'sink-writer', options: WorkerOptions): Worker {
  const file = join(__dirname, `${name}.worker.${FROM_SOURCE ? 'ts' : 'js'}`);
  // on Node 20 a worker ignores tsx's --import hook but takes its require hook (resolved here, not from the cwd)
  const execArgv = FROM_SOURCE ? ['--require', createRequire(__filename).resolve('tsx/cjs')] : undefined;
  return new Worker(file, { ...options, execArgv });
}

interface PendingWrite {
  index: number;
  length: number;
  resolve: (length: number) => void;
  reject: (err: Error) => void;
}

/**
 * A write settles once its chunk is on disk, so the download's request window bounds the chunks
 * between the socket and the disk.
 */
export class WorkerSink implements ChunkSink {
  private readonly writer: Worker;
  /** Writes waiting for the writer, by id. */
  private readonly writes = new Map<number, PendingWrite>();
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly manifest: FileManifest,
    partPath: string,
  ) {
    // its chunks are off-heap and handed back; its own heap stays tiny
    const resourceLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 };
    const workerData: WriterData = {
      path: partPath,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      chunkHashes: manifest.chunkHashes,
    };
    this.writer = startSinkWorker('sink-writer', { resourceLimits, workerData });
    this.writer.on('message', (msg: SinkWorkerReply) => this.onMessage(msg));
    this.writer.on('error', (err) => this.fail(err));
    this.writer.on('exit', () => this.fail(new Error('the download worker stopped')));
  }

  write(index: number, pieces: readonly Buffer[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const { owned, transfer } = ownPieces(pieces);
    const length = byteLength(pieces);
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.writes.set(id, { index, length, resolve, reject });
      const chunk: ChunkMessage = { pieces: owned, index, id };
      this.writer.postMessage(chunk, transfer);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the download ended'));
    void this.writer.terminate();
  }

  private onMessage(msg: SinkWorkerReply): void {
    // the chunk's buffers, to receive another chunk
    for (const buffer of msg.returned) payloadPool.release(Buffer.from(buffer));
    if ('written' in msg) {
      const pending = this.settle(msg.written);
      pending?.resolve(pending.length);
    } else {
      const pending = this.settle(msg.failed);
      pending?.reject(msg.mismatch ? chunkMismatch(this.manifest, pending.index) : new Error(msg.message));
    }
  }

  private settle(id: number): PendingWrite | undefined {
    const pending = this.writes.get(id);
    this.writes.delete(id);
    return pending;
  }

  /** The worker is gone (or the sink closed): every waiting write fails. */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const pending of this.writes.values()) pending.reject(this.failure);
    this.writes.clear();
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

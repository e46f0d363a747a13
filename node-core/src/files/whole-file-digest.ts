// The whole-file SHA-256 of a download, computed in a worker thread while chunks arrive: chunks
// are folded in order, a few early ones wait in memory and the rest are read back from the
// .part file, so the main thread only moves bytes and memory stays bounded.
import { Worker } from 'node:worker_threads';
import type { FileManifest } from './manifest';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { path, size, chunkSize } = workerData;
const count = Math.ceil(size / chunkSize);
const asBuffer = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
const whole = createHash('sha256');
const done = new Uint8Array(count);
const waiting = new Map();
let next = 0;
let fd;
let scratch; // one read buffer for chunks read back from disk: hashed at once, then reused
const advance = () => {
  while (next < count && done[next]) {
    let data = waiting.get(next);
    if (data) waiting.delete(next);
    else {
      fd ??= fs.openSync(path, 'r');
      const length = Math.min(chunkSize, size - next * chunkSize);
      scratch ??= Buffer.allocUnsafe(chunkSize);
      data = scratch.subarray(0, length);
      let filled = 0;
      while (filled < length) {
        const n = fs.readSync(fd, data, filled, length - filled, next * chunkSize + filled);
        if (n === 0) break;
        filled += n;
      }
    }
    whole.update(data);
    next++;
  }
};
parentPort.on('message', (m) => {
  try {
    if (m.type === 'chunk' && !done[m.index]) {
      done[m.index] = 1;
      if (m.index === next) { whole.update(asBuffer(m.data)); next++; }
      else if (waiting.size < 16) waiting.set(m.index, asBuffer(m.data));
      advance();
    } else if (m.type === 'present') {
      done[m.index] = 1;
      advance(); // chunks written during a download arrive this way too: hash as they come
    } else if (m.type === 'digest') {
      advance();
      parentPort.postMessage({ id: m.id, hex: next === count ? whole.digest('hex') : null });
      return;
    }
    if (m.id !== undefined) parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err) });
  }
});
`;

interface Reply {
  id: number;
  hex?: string | null;
  error?: string;
}

/** One worker thread answering numbered requests. */
class HashWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(workerData: object) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    const fail = (err: Error): void => {
      this.failure = err;
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('whole-file digest worker stopped')));
  }

  post(message: object): void {
    this.worker.postMessage(message);
  }

  call(message: object): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class WholeFileDigest {
  private readonly worker: HashWorker;

  constructor(manifest: FileManifest, partPath: string) {
    this.worker = new HashWorker({ path: partPath, size: manifest.size, chunkSize: manifest.chunkSize });
  }

  /** Folds in a chunk already written at its offset; resolves once the worker has taken it. */
  async add(index: number, data: Buffer): Promise<void> {
    const reply = await this.worker.call({ type: 'chunk', index, data });
    if (reply.error) throw new Error(reply.error);
  }

  /** A chunk already on disk (resumed, kept after a failed round, or just written): read back when its turn comes. */
  markPresent(index: number): void {
    this.worker.post({ type: 'present', index });
  }

  /** The whole-file SHA-256, once every chunk was added or marked present. */
  async digest(): Promise<string> {
    const reply = await this.worker.call({ type: 'digest' });
    if (reply.error || !reply.hex) throw new Error(reply.error ?? 'not every chunk has arrived');
    return reply.hex;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

// Verifies downloaded chunks off the main thread: a worker checks each chunk against its
// manifest digest and feeds the whole-file SHA-256 in order (keeping a few early chunks in
// memory, reading the rest back from the .part file). Hashing every byte twice on the main
// thread would otherwise cap a download well below what the socket and disk can do.
import { Worker } from 'node:worker_threads';
import type { FileManifest } from './manifest';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { path, size, chunkSize, hashes } = workerData;
const count = Math.ceil(size / chunkSize);
const expected = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
const whole = createHash('sha256');
const done = new Uint8Array(count);
const waiting = new Map();
let next = 0;
let fd;
function advance() {
  while (next < count && done[next]) {
    let data = waiting.get(next);
    if (data) waiting.delete(next);
    else {
      fd ??= fs.openSync(path, 'r');
      const length = Math.min(chunkSize, size - next * chunkSize);
      data = Buffer.allocUnsafe(length);
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
}
parentPort.on('message', (m) => {
  if (m.type === 'verify') {
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const ok = createHash('sha256').update(data).digest().equals(expected.subarray(m.index * 32, m.index * 32 + 32));
    if (ok && !done[m.index]) {
      done[m.index] = 1;
      if (m.index === next) { whole.update(data); next++; }
      else if (waiting.size < 16) waiting.set(m.index, data);
      advance();
    }
    parentPort.postMessage({ id: m.id, ok });
  } else if (m.type === 'present') {
    done[m.index] = 1;
  } else if (m.type === 'digest') {
    try { advance(); } catch (err) { parentPort.postMessage({ id: m.id, error: String(err) }); return; }
    parentPort.postMessage({ id: m.id, hex: next === count ? whole.digest('hex') : null });
  }
});
`;

interface Reply {
  id: number;
  ok?: boolean;
  hex?: string | null;
  error?: string;
}

export class ChunkVerifier {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(manifest: FileManifest, partPath: string) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: partPath, size: manifest.size, chunkSize: manifest.chunkSize, hashes: new Uint8Array(manifest.chunkHashes) },
    });
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
    this.worker.on('exit', () => fail(new Error('chunk verifier stopped')));
  }

  /** Checks a chunk that is already written at its offset; true if it matches the manifest. */
  async verify(index: number, data: Buffer): Promise<boolean> {
    return (await this.call({ type: 'verify', index, data })).ok === true;
  }

  /** A chunk found intact in the .part file (resume): hashed into the whole from disk. */
  markPresent(index: number): void {
    this.worker.postMessage({ type: 'present', index });
  }

  /** The whole-file SHA-256, once every chunk is verified or present. */
  async digest(): Promise<string> {
    const reply = await this.call({ type: 'digest' });
    if (reply.error || !reply.hex) throw new Error(reply.error ?? 'not every chunk is verified');
    return reply.hex;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private call(message: { type: string; index?: number; data?: Buffer }): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

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
const { role, path, size, chunkSize, hashes } = workerData;
const count = Math.ceil(size / chunkSize);
const asBuffer = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
if (role === 'chunks') {
  const expected = asBuffer(hashes);
  parentPort.on('message', (m) => {
    const ok = createHash('sha256').update(asBuffer(m.data)).digest().equals(expected.subarray(m.index * 32, m.index * 32 + 32));
    parentPort.postMessage({ id: m.id, ok });
  });
} else {
  const whole = createHash('sha256');
  const done = new Uint8Array(count);
  const waiting = new Map();
  let next = 0;
  let fd;
  const advance = () => {
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
  };
  parentPort.on('message', (m) => {
    if (m.type === 'chunk') {
      if (!done[m.index]) {
        done[m.index] = 1;
        if (m.index === next) { whole.update(asBuffer(m.data)); next++; }
        else if (waiting.size < 16) waiting.set(m.index, asBuffer(m.data));
        try { advance(); } catch (err) { parentPort.postMessage({ id: m.id, error: String(err) }); return; }
      }
      parentPort.postMessage({ id: m.id });
    } else if (m.type === 'present') {
      done[m.index] = 1;
    } else if (m.type === 'digest') {
      try { advance(); } catch (err) { parentPort.postMessage({ id: m.id, error: String(err) }); return; }
      parentPort.postMessage({ id: m.id, hex: next === count ? whole.digest('hex') : null });
    }
  });
}
`;

interface Reply {
  id: number;
  ok?: boolean;
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
    this.worker.on('exit', () => fail(new Error('chunk verifier stopped')));
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

/**
 * Two workers, so the two hashes of every byte run on two cores: one checks each chunk
 * against the manifest, the other folds verified chunks into the whole-file SHA-256 in order.
 */
export class ChunkVerifier {
  private readonly chunks: HashWorker;
  private readonly whole: HashWorker;

  constructor(manifest: FileManifest, partPath: string) {
    const common = { path: partPath, size: manifest.size, chunkSize: manifest.chunkSize };
    this.chunks = new HashWorker({ ...common, role: 'chunks', hashes: new Uint8Array(manifest.chunkHashes) });
    this.whole = new HashWorker({ ...common, role: 'whole' });
  }

  /** Checks a chunk that is already written at its offset; true if it matches the manifest. */
  async verify(index: number, data: Buffer): Promise<boolean> {
    const ok = (await this.chunks.call({ index, data })).ok === true;
    // waiting for the whole-file worker too keeps memory bounded by the request window
    if (ok) await this.whole.call({ type: 'chunk', index, data });
    return ok;
  }

  /** A chunk found intact in the .part file (resume): hashed into the whole from disk. */
  markPresent(index: number): void {
    this.whole.post({ type: 'present', index });
  }

  /** The whole-file SHA-256, once every chunk is verified or present. */
  async digest(): Promise<string> {
    const reply = await this.whole.call({ type: 'digest' });
    if (reply.error || !reply.hex) throw new Error(reply.error ?? 'not every chunk is verified');
    return reply.hex;
  }

  async close(): Promise<void> {
    await Promise.all([this.chunks.close(), this.whole.close()]);
  }
}

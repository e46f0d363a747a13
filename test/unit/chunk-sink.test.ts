// Both chunk sinks, driven directly: chunks written out of order and in pieces beside chunks
// already on disk, chunks that do not match the manifest, and the failure paths of the worker
// sink (a .part it cannot open, a close while writes are pending).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkCount, type FileManifest } from '@node-core/files/manifest';
import { P2PError } from '@node-core/wire';
import { InThreadSink } from '@node-core/transfer/in-thread-sink';
import { WorkerSink } from '@node-core/transfer/worker-sink';
import { openChunkSink } from '@node-core/transfer/chunk-sink';
import type { ChunkSink } from '@node-core/transfer/chunk-sink-types';
import { chunkHashesOf, rootOf } from './support/file-root';

const CHUNK = 64 * 1024;

function manifestOf(name: string, content: Buffer): FileManifest {
  const chunkHashes = chunkHashesOf(content, CHUNK);
  return { name, size: content.length, chunkSize: CHUNK, chunkHashes, root: rootOf(content, CHUNK) };
}

/** A chunk as a socket delivers it: several pieces, the first and last sharing their memory with neighbours. */
function piecesOf(content: Buffer, index: number): Buffer[] {
  const chunk = content.subarray(index * CHUNK, Math.min((index + 1) * CHUNK, content.length));
  const cut1 = Math.min(1000, chunk.length);
  const cut2 = Math.max(cut1, chunk.length - 5000);
  const middle = Buffer.alloc(cut2 - cut1);
  chunk.copy(middle, 0, cut1, cut2); // its own memory, like a whole socket read
  return [chunk.subarray(0, cut1), middle, chunk.subarray(cut2)].filter((p) => p.length > 0);
}

describe('chunk sinks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2p-sink-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['main thread', 'worker'] as const) {
    it(`${kind}: writes chunks out of order and in pieces, beside chunks already on disk`, async () => {
      const content = randomBytes(40 * CHUNK + 777);
      const manifest = manifestOf('f.bin', content);
      const path = join(dir, 'f.bin.part');
      const file = await open(path, 'w+');
      try {
        // chunks 0-4 are "resumed": already on disk before the sink starts
        await file.write(content.subarray(0, 5 * CHUNK), 0, 5 * CHUNK, 0);
        await file.truncate(content.length);
        const sink: ChunkSink = kind === 'worker' ? new WorkerSink(manifest, path) : new InThreadSink(manifest, file);
        try {
          // the rest arrive backwards from the end, then chunk 5 last
          const order = [...Array.from({ length: chunkCount(manifest.size, CHUNK) - 6 }, (_, i) => 40 - i), 5];
          const lengths = await Promise.all(order.map((index) => sink.write(index, piecesOf(content, index))));
          assert.equal(
            lengths.reduce((a, b) => a + b, 0),
            content.length - 5 * CHUNK,
          );
        } finally {
          sink.close();
        }
      } finally {
        await file.close();
      }
      assert.ok((await readFile(path)).equals(content));
    });

    it(`${kind}: refuses a chunk that does not match the manifest and writes none of it`, async () => {
      const content = randomBytes(3 * CHUNK);
      const manifest = manifestOf('g.bin', content);
      const path = join(dir, 'g.bin.part');
      const file = await open(path, 'w+');
      const sink = kind === 'worker' ? new WorkerSink(manifest, path) : new InThreadSink(manifest, file);
      const refused = (e: unknown): boolean => e instanceof P2PError && e.code === 'VERIFY_FAILED';
      try {
        const bad = Buffer.from(content);
        bad[CHUNK + 10] ^= 1;
        assert.equal(await sink.write(0, piecesOf(content, 0)), CHUNK);
        await assert.rejects(sink.write(1, piecesOf(bad, 1)), refused);
        await assert.rejects(sink.write(2, [content.subarray(2 * CHUNK, 3 * CHUNK - 1)]), refused); // one byte short
        assert.equal((await readFile(path)).length, CHUNK, 'nothing of the refused chunks was written');
        await Promise.all([1, 2].map((index) => sink.write(index, piecesOf(content, index))));
      } finally {
        sink.close();
        await file.close();
      }
      assert.ok((await readFile(path)).equals(content));
    });
  }

  it('picks the worker from the threshold size up', async () => {
    const path = join(dir, 'h.part');
    const file = await open(path, 'w+');
    const small = openChunkSink(manifestOf('h', randomBytes(10)), { file, path }, 11);
    const large = openChunkSink(manifestOf('h', randomBytes(11)), { file, path }, 11);
    assert.ok(small instanceof InThreadSink);
    assert.ok(large instanceof WorkerSink);
    small.close();
    large.close();
    await file.close();
  });

  it('worker: a .part it cannot open fails the writes, without hanging', async () => {
    const content = randomBytes(2 * CHUNK);
    const sink = new WorkerSink(manifestOf('x', content), join(dir, 'missing-dir', 'x.part'));
    try {
      await assert.rejects(sink.write(0, piecesOf(content, 0)));
      await assert.rejects(sink.write(1, piecesOf(content, 1)));
    } finally {
      sink.close();
    }
  });

  it('worker: close() while writes are pending settles each of them, and refuses later ones', async () => {
    const content = randomBytes(8 * CHUNK);
    const path = join(dir, 'y.part');
    await (await open(path, 'w')).close();
    const sink = new WorkerSink(manifestOf('y', content), path);
    await sink.write(1, piecesOf(content, 1));
    const pending = [0, 2, 3, 4, 5].map((index) =>
      sink.write(index, piecesOf(content, index)).catch((err: Error) => err),
    );
    sink.close();
    // each write made it before the close, or was refused by it: never left hanging
    for (const outcome of await Promise.all(pending))
      assert.ok(outcome === CHUNK || outcome instanceof Error, String(outcome));
    await assert.rejects(sink.write(6, piecesOf(content, 6)), /ended/);
  });
});

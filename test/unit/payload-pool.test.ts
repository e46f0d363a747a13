// A downloader receives each chunk into a buffer of the process-wide payloadPool, the worker
// sink hands it back once written and hashed, and the next chunk is received into it: a peer's
// memory for downloads is a few buffers going round, not one fresh allocation per socket read
// left for the GC (which let a peer with a few large downloads behind it reach ~150 MB).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { payloadPool } from '@node-core/wire';
import { FloodFixture, waitFor } from './flood-fixture';

const MIB = 1024 * 1024;

describe('downloads reuse their chunk buffers', function () {
  this.timeout(60_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it('two downloads of 32 chunks each go through one pool-full of buffers; both files intact', async () => {
    const first = randomBytes(32 * MIB);
    const second = randomBytes(32 * MIB);
    const files = { 'first.bin': first, 'second.bin': second };
    const h1 = await net.peer('h1', {}, files);
    await net.peer('h2', { join: h1.address }, files);
    const getter = await net.peer('g', { join: h1.address, workerSinkFromBytes: 0 });
    await waitFor('links', () => getter.neighbors().length === 2);

    const before = payloadPool.allocated;
    const one = await getter.get('first.bin');
    const afterFirst = payloadPool.allocated;
    const two = await getter.get('second.bin');
    const afterSecond = payloadPool.allocated;

    assert.deepEqual(one.sources.sort(), ['h1', 'h2']);
    assert.ok((await readFile(one.path)).equals(first));
    assert.ok((await readFile(two.path)).equals(second));
    // what is out at once is bounded by the request window (8), the hasher's held chunks (4) and a
    // few on their way back, not by the chunk count: the same buffers serve both downloads (without
    // the hand-back, 32 and 64). The exact peak depends on scheduling, so the bound is the pool's size.
    assert.ok(afterFirst - before <= 24, `first download allocated ${afterFirst - before} buffers for 32 chunks`);
    assert.ok(afterSecond - before <= 24, `both downloads allocated ${afterSecond - before} buffers for 64 chunks`);
  });
});

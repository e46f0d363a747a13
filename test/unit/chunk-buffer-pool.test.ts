// The holder's read buffers: reused at the chunk size only, and only as many as it may keep.
import assert from 'node:assert/strict';
import { ChunkBufferPool } from '@node-core/wire/chunk-buffer-pool';

describe('chunk buffer pool', () => {
  it('hands a released chunk-size buffer out again; other sizes and extras are left to the GC', () => {
    const pool = new ChunkBufferPool(1024, 2);
    const a = pool.acquire(1024);
    const b = pool.acquire(1024);
    const c = pool.acquire(1024);
    assert.notEqual(a, b);
    pool.release(a);
    pool.release(b);
    pool.release(c); // beyond the 2 kept
    const again = [pool.acquire(1024), pool.acquire(1024), pool.acquire(1024)];
    assert.ok(again.includes(a) && again.includes(b));
    assert.ok(!again.includes(c));
    const last = pool.acquire(10); // the last chunk of a file is shorter: never pooled
    assert.equal(last.length, 10);
    pool.release(last);
    assert.notEqual(pool.acquire(10), last);
  });
});

// Downloads against holders that lie or stall, each a HostileHolder speaking the wire protocol
// over real sockets beside (or without) an honest FloodPeer: a 32 GiB claim served with random
// bytes, half a chunk then silence, one byte every few seconds, the true root claimed over false
// chunk digests. The getter finds them through a real search, as it would find anyone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FloodPeer } from '@node-core/flood/flood-peer';
import { fileRoot } from '@node-core/files/merkle';
import { MAX_CHUNK_BYTES, P2PError } from '@node-core/wire';
import { FloodFixture, waitFor } from './flood-fixture';
import { chunkHashesOf } from './support/file-root';
import { HostileHolder, type ChunkBehaviour } from './support/hostile-holder';

const MIB = 1024 * 1024;
const code = (expected: string) => (e: unknown) => e instanceof P2PError && e.code === expected;

/** The largest manifest one frame holds: 32,768 chunk digests of 1 MiB chunks. */
const HUGE_CHUNKS = MAX_CHUNK_BYTES / 32;
const HUGE_SIZE = HUGE_CHUNKS * MIB;

function hugeClaim(id: string): HostileHolder {
  const chunkHashes = randomBytes(HUGE_CHUNKS * 32);
  return new HostileHolder({
    id,
    name: 'huge.bin',
    manifest: { size: HUGE_SIZE, chunkSize: MIB, chunkHashes },
    root: fileRoot({ size: HUGE_SIZE, chunkSize: MIB, chunkHashes }),
    chunkBytes: () => randomBytes(MIB),
    chunks: { kind: 'whole' },
  });
}

/** A holder of `content` with its true manifest, answering chunks as `chunks` says. */
async function slowHolder(id: string, honest: FloodPeer, name: string, chunks: ChunkBehaviour): Promise<HostileHolder> {
  const manifest = await honest.store.manifest(name);
  const content = await readFile(join(honest.store.dir, name));
  return new HostileHolder({
    id,
    name,
    manifest,
    root: manifest.root,
    chunkBytes: (index) => content.subarray(index * manifest.chunkSize, (index + 1) * manifest.chunkSize),
    chunks,
  });
}

describe('downloads: hostile holders', function () {
  this.timeout(60_000);
  const net = new FloodFixture();
  const hostile: HostileHolder[] = [];
  const extraDirs: string[] = [];
  afterEach(async () => {
    await Promise.all(hostile.splice(0).map((h) => h.close()));
    await net.cleanup();
    await Promise.all(extraDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function started(holder: HostileHolder, neighbourOf: FloodPeer): Promise<HostileHolder> {
    hostile.push(holder);
    await holder.listen();
    await holder.join(neighbourOf.address);
    await waitFor('the hostile link', () => neighbourOf.neighbors().some((n) => n.id === holder.address.id));
    return holder;
  }

  it('32 GiB claimed, random bytes served: the liar is dropped after its first chunks, nothing on disk', async () => {
    const getter = await net.peer('getter');
    const liar = await started(hugeClaim('liar'), getter);
    const [found] = await getter.search('huge.bin');
    assert.equal(found.size, HUGE_SIZE);
    // with room for the claim the chunks are checked and the liar dropped; without, NO_SPACE (next test)
    const { bavail, bsize } = await statfs(getter.store.downloadsDir);
    const roomy = bavail * bsize >= HUGE_SIZE;
    const began = performance.now();
    await assert.rejects(getter.get('huge.bin', { result: found }), (e: unknown) => {
      assert.ok(e instanceof P2PError && e.code === (roomy ? 'DOWNLOAD_FAILED' : 'NO_SPACE'), String(e));
      if (roomy) assert.match(e.message, /liar: sent chunk \d+, which does not match the manifest/);
      return true;
    });
    assert.ok(performance.now() - began < 10_000, 'refused within seconds');
    // at most the request window in flight when the first bad chunk came back
    assert.ok(liar.chunkBytesSent <= 8 * MIB, `${liar.chunkBytesSent} bytes sent`);
    assert.deepEqual(await readdir(getter.store.downloadsDir), [], 'no .part left behind');
  });

  it('a manifest claiming more than the disk has free is refused up front with NO_SPACE', async () => {
    // /dev/shm is a tmpfs sized from RAM: its free space is the limit that must be below the claim
    const small = await mkdtemp('/dev/shm/p2p-nospace-');
    extraDirs.push(small);
    const { bavail, bsize } = await statfs(small);
    assert.ok(bavail * bsize < HUGE_SIZE, `this test needs a file system with < 32 GiB free at ${small}`);
    const getter = await net.peer('getter', { downloadsDir: small });
    const liar = await started(hugeClaim('liar'), getter);
    await assert.rejects(getter.get('huge.bin'), (e: unknown) => {
      assert.ok(e instanceof P2PError && e.code === 'NO_SPACE', String(e));
      assert.match(e.message, /"huge\.bin" needs 32768\.0 MiB but .* has only [\d.]+ MiB free/);
      return true;
    });
    assert.equal(liar.chunkRequests, 0, 'nothing was asked for');
    assert.deepEqual(await readdir(small), [], 'nothing written');
  });

  for (const [label, behaviour] of [
    ['half a chunk then silence', { kind: 'half-then-silence' }],
    ['one byte every 4 s', { kind: 'trickle', everyMs: 4000 }],
  ] as const) {
    it(`a holder sending ${label} beside an honest one: done within 2x the honest-only time + 5 s`, async () => {
      const content = randomBytes(24 * MIB + 5);
      const honest = await net.peer('honest', {}, { 'f.bin': content });
      const alone = await net.peer('alone', { join: honest.address });
      await waitFor('link', () => alone.neighbors().some((n) => n.id === 'honest'));
      let began = performance.now();
      await alone.get('f.bin');
      const honestOnlyMs = performance.now() - began;
      await alone.stop(); // it holds the file now

      const getter = await net.peer('getter', { join: honest.address });
      await waitFor('link', () => getter.neighbors().some((n) => n.id === 'honest'));
      const bad = await started(await slowHolder('bad', honest, 'f.bin', behaviour), getter);
      const [found] = await getter.search('f.bin');
      assert.deepEqual(found.holders.map((h) => h.id).sort(), ['bad', 'honest']);
      began = performance.now();
      const done = await getter.get('f.bin', { result: found });
      const ms = performance.now() - began;
      assert.ok(bad.chunkRequests > 0, 'the bad holder was asked too');
      assert.ok((await readFile(done.path)).equals(content));
      assert.deepEqual(done.sources, ['honest']);
      assert.ok(ms < 2 * honestOnlyMs + 5000, `${Math.round(ms)} ms, honest alone ${Math.round(honestOnlyMs)} ms`);
    });
  }

  it('one byte every 4 s from the only holder: a clear error in bounded time, no .part left', async () => {
    const content = randomBytes(4 * MIB);
    // 256 KiB chunks: due within the 2 s floor of a deadline
    const honest = await net.peer('honest', { chunkSize: 256 * 1024 }, { 't.bin': content });
    const getter = await net.peer('getter');
    const trickler = await started(
      await slowHolder('trickler', honest, 't.bin', { kind: 'trickle', everyMs: 4000 }),
      getter,
    );
    const began = performance.now();
    await assert.rejects(getter.get('t.bin'), (e: unknown) => {
      assert.ok(e instanceof P2PError && e.code === 'DOWNLOAD_FAILED', String(e));
      assert.match(e.message, /trickler: delivered no chunk in 3 deadlines of 2000 ms \(256 KiB\/s\)/);
      return true;
    });
    const ms = performance.now() - began;
    assert.ok(ms < 20_000, `${Math.round(ms)} ms`);
    assert.ok(trickler.chunkRequests > 0);
    assert.deepEqual(await readdir(getter.store.downloadsDir), []);
  });

  it('a slow but steady only holder misses deadlines and is demoted, not dropped: the GET completes', async () => {
    const content = randomBytes(3 * 256 * 1024);
    const honest = await net.peer('honest', { chunkSize: 256 * 1024 }, { 's.bin': content });
    const getter = await net.peer('getter');
    // a chunk every 2.5 s against a 2 s deadline: late each time, yet never three deadlines without one
    await started(await slowHolder('slow', honest, 's.bin', { kind: 'slow', delayMs: 2500 }), getter);
    const done = await getter.get('s.bin');
    assert.ok((await readFile(done.path)).equals(content));
    assert.deepEqual(done.sources, ['slow']);
  });

  it('the true root (or its own) claimed over false digests beside an honest holder: 6 of 6 GETs pass', async () => {
    const content = randomBytes(3 * MIB + 77);
    const honest = await net.peer('honest', { maxNeighbors: 16 }, { 'v.bin': content });
    const truth = await honest.store.manifest('v.bin');
    const falseHashes = randomBytes(truth.chunkHashes.length);
    for (let round = 0; round < 6; round++) {
      const getter = await net.peer(`getter${round}`, { join: honest.address });
      await waitFor('link', () => getter.neighbors().some((n) => n.id === 'honest'));
      // half the rounds it claims the honest root for its false digests, half the root they make
      const root = round % 2 === 0 ? truth.root : fileRoot({ ...truth, chunkHashes: falseHashes });
      const liar = await started(
        new HostileHolder({
          id: `liar${round}`,
          name: 'v.bin',
          manifest: { ...truth, chunkHashes: falseHashes },
          root,
          chunkBytes: (index) => content.subarray(index * truth.chunkSize, (index + 1) * truth.chunkSize),
          chunks: { kind: 'whole' },
        }),
        getter,
      );
      const done = await getter.get('v.bin');
      assert.ok((await readFile(done.path)).equals(content), `round ${round}`);
      assert.equal(done.root, truth.root);
      assert.deepEqual(done.sources, ['honest']);
      assert.ok(liar.chunkBytesSent <= 8 * truth.chunkSize, 'the liar cost at most one window');
      await getter.stop(); // it holds the file now: the next round's getter finds only honest and a liar
    }
  });

  it('a lone holder claiming the chosen root over digests making another is refused: nothing fetched', async () => {
    const content = randomBytes(2 * MIB + 5);
    const truth = { size: content.length, chunkSize: MIB, chunkHashes: chunkHashesOf(content, MIB) };
    const root = fileRoot(truth);
    const falseHashes = Buffer.from(truth.chunkHashes);
    falseHashes[40] ^= 1; // chunk 1's digest, one bit off
    const getter = await net.peer('getter');
    const liar = await started(
      new HostileHolder({
        id: 'liar',
        name: 'm.bin',
        manifest: { ...truth, chunkHashes: falseHashes },
        root,
        chunkBytes: (index) => content.subarray(index * MIB, (index + 1) * MIB),
        chunks: { kind: 'whole' },
      }),
      getter,
    );
    const [found] = await getter.search('m.bin');
    assert.equal(found.root, root, 'the search answer claims the true root');
    await assert.rejects(getter.get('m.bin', { result: found }), (e: unknown) => {
      assert.ok(e instanceof P2PError && e.code === 'VERIFY_FAILED', String(e));
      assert.match(e.message, /no holder serves "m\.bin" with the expected Merkle root/);
      return true;
    });
    assert.equal(liar.chunkRequests, 0, 'no chunk asked of a manifest that does not make the root');
    assert.deepEqual(await readdir(getter.store.downloadsDir), []);
  });

  it('search answers carry the root: a liar with the honest size but its own digests is apart', async () => {
    const content = randomBytes(MIB + 1);
    const honest = await net.peer('honest', {}, { 'r.bin': content });
    const getter = await net.peer('getter', { join: honest.address });
    await waitFor('link', () => getter.neighbors().some((n) => n.id === 'honest'));
    const truth = await honest.store.manifest('r.bin');
    const falseHashes = randomBytes(truth.chunkHashes.length);
    await started(
      new HostileHolder({
        id: 'liar',
        name: 'r.bin',
        manifest: { ...truth, chunkHashes: falseHashes },
        root: fileRoot({ ...truth, chunkHashes: falseHashes }),
        chunkBytes: () => randomBytes(truth.chunkSize),
        chunks: { kind: 'whole' },
      }),
      getter,
    );
    const results = await getter.search('r.bin');
    const byRoot = new Map(results.map((r) => [r.root, r.holders.map((h) => h.id)]));
    assert.deepEqual(byRoot.get(truth.root), ['honest']);
    assert.deepEqual(byRoot.get(fileRoot({ ...truth, chunkHashes: falseHashes })), ['liar']);
    // the liar's version, asked for on its own, fails; nothing of it stays
    const liars = results.find((r) => r.root !== truth.root);
    await assert.rejects(getter.get('r.bin', { result: liars }), code('DOWNLOAD_FAILED'));
    assert.deepEqual(await readdir(getter.store.downloadsDir), []);
  });
});

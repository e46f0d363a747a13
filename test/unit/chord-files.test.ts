// Files on the ring, real sockets and real directories: SHARE places a file on its key's owner
// plus 2 successors; joins and graceful leaves move keys to the new owner; after 4 of 16 nodes
// crash, the replicas take over and every file is still downloadable with the verified transfer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChordPeer, type ChordPeerOptions } from '@node-core/chord/chord-peer';
import { hashToId, idToHex } from '@node-core/chord/id';
import { loadNodeSecurity, STATE_FOLDER } from '@node-core/wire';
import { filePeer, ringIsExact, trueOwner, waitFor } from './chord-harness';

describe('chord files (real sockets, real directories)', function () {
  this.timeout(30_000);
  let peers: ChordPeer[] = [];
  let root: string;
  let counter = 0;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chord-files-'));
  });

  afterEach(async () => {
    await Promise.all(peers.map((p) => p.close()));
    peers = [];
    await rm(root, { recursive: true, force: true });
  });

  async function startPeer(via?: ChordPeer, extra: Partial<ChordPeerOptions> = {}): Promise<ChordPeer> {
    const id = `f${++counter}`;
    const peer = filePeer(root, id, via, extra);
    const ready = await peer.start();
    assert.equal(ready.nodeId, idToHex(peer.self.nodeId));
    peers.push(peer);
    return peer;
  }

  async function startPeers(n: number): Promise<void> {
    await startPeer();
    for (let i = 1; i < n; i++) await startPeer(peers[Math.floor(Math.random() * peers.length)]);
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
  }

  /** The true owner and its next `replicas` successors, from the live ids. */
  function placement(name: string, replicas = 2): ChordPeer[] {
    const sorted = [...peers].sort((a, b) => (a.self.nodeId < b.self.nodeId ? -1 : 1));
    const owner = trueOwner(
      hashToId(name),
      sorted.map((p) => p.self),
    );
    const i = sorted.findIndex((p) => p.self.nodeId === owner.nodeId);
    return Array.from({ length: Math.min(replicas + 1, sorted.length) }, (_, k) => sorted[(i + k) % sorted.length]);
  }

  function placedCorrectly(names: readonly string[]): boolean {
    return names.every((name) => placement(name).every((p) => p.store.has(name)));
  }

  async function shareFiles(sharer: ChordPeer, count: number): Promise<Map<string, Buffer>> {
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < count; i++) {
      const name = `file-${counter}-${i}.bin`;
      const data = randomBytes(1000 + Math.floor(Math.random() * 100_000));
      // Outside every peer's directory: SHARE takes a path from anywhere.
      await mkdir(join(root, 'src'), { recursive: true });
      const path = join(root, 'src', name);
      await writeFile(path, data);
      const shared = await sharer.share(path);
      assert.equal(shared.name, name);
      contents.set(name, data);
    }
    return contents;
  }

  async function assertDownloadable(contents: Map<string, Buffer>, from: ChordPeer): Promise<void> {
    for (const [name, data] of contents) {
      const done = await from.get(name);
      assert.equal(done.event, 'download-complete', `GET ${name}`);
      assert.ok((await readFile(done.path)).equals(data), `${name} content`);
    }
  }

  it('SHARE stores a file on its owner and 2 successors; GET downloads it verified', async () => {
    await startPeers(8);
    const contents = await shareFiles(peers[0], 3);
    const names = [...contents.keys()];
    await waitFor('owner + 2 replicas to hold every file', () => placedCorrectly(names), 10_000);
    const reader = peers.find((p) => names.every((n) => !p.store.has(n)));
    if (reader) await assertDownloadable(contents, reader);
  });

  it('GET honours workerSinkFromBytes: a writer thread from that size up, none below it', async () => {
    const owner = await startPeer(undefined, { replicas: 0 });
    const threaded = await startPeer(owner, { replicas: 0, workerSinkFromBytes: 0 });
    const inThread = await startPeer(owner, { replicas: 0 });
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    // a name whose key the first peer owns: sharing it moves nothing, so only the GETs below download
    const name = Array.from({ length: 200 }, (_, i) => `probe-${i}.bin`).find((n) => placement(n, 0)[0] === owner);
    assert.ok(name, 'no probe name falls on the first peer');
    const data = randomBytes(200_000);
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src', name), data);
    await owner.share(join(root, 'src', name));

    let workersStarted = 0;
    const onWorker = (): void => void workersStarted++;
    process.on('worker', onWorker);
    try {
      const small = await inThread.get(name);
      assert.ok((await readFile(small.path)).equals(data));
      assert.equal(workersStarted, 0, 'a 200 kB file under the default 32 MiB threshold stays in the main thread');
      const threadedDone = await threaded.get(name);
      assert.ok((await readFile(threadedDone.path)).equals(data));
      assert.equal(workersStarted, 1, `workerSinkFromBytes: 0 started ${workersStarted} worker threads`);
    } finally {
      process.off('worker', onWorker);
    }
  });

  it('files already in --dir at start are placed on the ring too', async () => {
    await startPeers(6);
    const id = `f${counter + 1}`;
    await mkdir(join(root, id), { recursive: true });
    await writeFile(join(root, id, 'preexisting.txt'), 'here before the peer started\n');
    await startPeer(peers[2]);
    await waitFor('the file to be placed', () => placedCorrectly(['preexisting.txt']), 10_000);
  });

  it('joins move keys to the new owner; a graceful leave hands its keys on', async () => {
    await startPeers(6);
    const contents = await shareFiles(peers[0], 4);
    const names = [...contents.keys()];
    await waitFor('initial placement', () => placedCorrectly(names), 10_000);
    for (let i = 0; i < 6; i++) await startPeer(peers[i]);
    await waitFor('the grown ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    await waitFor('placement after joins', () => placedCorrectly(names), 10_000);
    // The owners of two files leave: their successors must take over at once.
    const leaving = [...new Set(names.slice(0, 2).map((n) => placement(n)[0]))].filter((p) => p !== peers[0]);
    peers = peers.filter((p) => !leaving.includes(p));
    await Promise.all(leaving.map((p) => p.stop()));
    await waitFor('the ring after leaves', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    await waitFor('placement after leaves', () => placedCorrectly(names), 10_000);
  });

  it('copies left behind when joins move a key are dropped, once the new owner and its replicas hold it', async () => {
    await startPeers(4);
    const sharer = peers[0];
    const contents = await shareFiles(sharer, 4);
    const names = [...contents.keys()];
    await waitFor('initial placement', () => placedCorrectly(names), 10_000);
    const firstHolders = new Map(names.map((n) => [n, peers.filter((p) => p !== sharer && p.store.has(n))]));
    for (let i = 0; i < 8; i++) await startPeer(peers[i % 4]);
    await waitFor('the grown ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    const strays = (): string[] =>
      names.flatMap((n) =>
        peers
          .filter((p) => p !== sharer && p.store.has(n) && !placement(n).includes(p))
          .map((p) => `${n}@${p.self.id}`),
      );
    await waitFor('placement and no stray copies', () => placedCorrectly(names) && strays().length === 0, 15_000);
    // Every dropped copy is gone from disk too; the sharer keeps its own file.
    const dropped = [...firstHolders].flatMap(([name, holders]) =>
      holders.filter((h) => !placement(name).includes(h)).map((p) => join(p.store.downloadsDir, name)),
    );
    assert.ok(dropped.length > 0, 'the joins moved some copy off its first holder');
    // the store withdraws a copy at once and deletes the file right after: wait for the disk
    await waitFor('dropped copies gone from disk', () => dropped.every((path) => !existsSync(path)), 5_000);
    assert.ok(names.every((n) => sharer.store.has(n)));
    const reader = peers.find((p) => names.every((n) => !p.store.has(n)));
    if (reader) await assertDownloadable(contents, reader);
  });

  it('a GET of a name the ring placed here takes that copy; another version asked for replaces it', async () => {
    await startPeers(5);
    const sharer = peers[0];
    const contents = await shareFiles(sharer, 1);
    const [[name, first]] = [...contents];
    await waitFor('owner + 2 replicas to hold it', () => placedCorrectly([name]), 10_000);
    const copies = placement(name).filter((p) => p !== sharer);
    await waitFor('ring copies marked', () => copies.every((p) => p.storage.holdsForRing(name)), 5_000);
    const [taker, replacer] = copies;

    const taken = await taker.get(name);
    assert.deepEqual(taken.sources, [], 'nothing was transferred');
    assert.equal(taken.bytes, first.length);
    assert.ok((await readFile(taken.path)).equals(first));
    assert.equal(taker.storage.holdsForRing(name), false, "the copy is the user's now: never pruned");

    // A second version of the name, shared by a peer outside the placement.
    const other = peers.find((p) => p !== sharer && !placement(name).includes(p));
    assert.ok(other, 'a peer outside the placement');
    const second = randomBytes(5000);
    await mkdir(join(root, 'other'), { recursive: true });
    await writeFile(join(root, 'other', name), second);
    const v2 = await other.share(join(root, 'other', name));
    const replaced = await replacer.get(name, { version: v2.root });
    assert.deepEqual(replaced.sources, [other.self.id]);
    assert.ok((await readFile(replaced.path)).equals(second));
    assert.equal((await replacer.store.manifest(name)).root, v2.root);
  });

  it('a GET of a name the ring is fetching joins that download and its progress; a cancel ends its wait', async () => {
    const sharer = await startPeer(undefined, { maxUploadBytesPerSecond: 1024 * 1024 });
    for (let i = 0; i < 3; i++) await startPeer(sharer, { maxUploadBytesPerSecond: 1024 * 1024 });
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    const name = 'paced.bin';
    const data = randomBytes(4 * 1024 * 1024);
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src', name), data);
    const sharing = sharer.share(join(root, 'src', name)); // its owner fetches at 1 MiB/s
    const fetcher = placement(name).find((p) => p !== sharer) as ChordPeer;
    const part = join(fetcher.store.downloadsDir, `${name}.part`);
    await waitFor('the ring fetch under way', () => existsSync(part), 15_000);

    const cancel = new AbortController();
    const cancelled = fetcher.get(name, { signal: cancel.signal, onProgress: () => cancel.abort() });
    await assert.rejects(cancelled);
    assert.ok(existsSync(part), "the ring's download goes on");

    const seen: number[] = [];
    const done = await fetcher.get(name, { onProgress: (bytes) => seen.push(bytes) });
    assert.ok(seen.length > 0, 'progress while it joined the ring fetch');
    assert.ok(seen.every((bytes, i) => bytes <= data.length && (i === 0 || bytes >= seen[i - 1])));
    assert.equal(done.bytes, data.length);
    assert.ok((await readFile(done.path)).equals(data));
    await sharing;
  });

  it('4 of 16 nodes crash at once (an owner, its first replica, the sharer): replicas take over', async () => {
    await startPeers(16);
    const sharer = peers[3];
    const contents = await shareFiles(sharer, 4);
    const names = [...contents.keys()];
    await waitFor('initial placement', () => placedCorrectly(names), 10_000);
    const [owner, firstReplica] = placement(names[0]);
    // Victims in this order of preference, each taken only if no file then loses all 3 copies
    // (owner + 2 replicas): the owner of a file and its first replica, the sharer, then others.
    const victims = new Set<ChordPeer>();
    for (const candidate of [owner, firstReplica, sharer, ...peers]) {
      if (victims.size === 4) break;
      if (victims.has(candidate)) continue;
      const trial = new Set([...victims, candidate]);
      if (names.every((n) => placement(n).some((p) => !trial.has(p)))) victims.add(candidate);
    }
    assert.ok(victims.has(owner) && victims.has(firstReplica) && victims.size === 4);
    assert.ok(
      names.every((n) => placement(n).some((p) => !victims.has(p))),
      'every file keeps a live copy',
    );
    peers = peers.filter((p) => !victims.has(p));
    await Promise.all([...victims].map((p) => p.crash()));
    await waitFor('the ring to repair', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    await waitFor('owner + 2 replicas again for every file', () => placedCorrectly(names), 15_000);
    const reader = peers.find((p) => names.every((n) => !p.store.has(n))) ?? peers[0];
    await assertDownloadable(new Map([...contents].filter(([n]) => !reader.store.has(n))), reader);
  });
  it('a peer that stops mid-download keeps the .part; started again, its GET resumes from it', async () => {
    const holder = await startPeer(undefined, { replicas: 0, maxUploadBytesPerSecond: 1024 * 1024 });
    const dir = join(root, 'getter');
    // the same key pair (from its folder, as the CLI loads it) and port after the restart, so
    // the same node id: the key's owner stays the holder, which never hands the file over
    const startGetter = async (port = 0): Promise<ChordPeer> =>
      startPeer(holder, {
        id: 'getter',
        dir,
        port,
        replicas: 0,
        security: await loadNodeSecurity({ id: 'getter', folder: join(dir, STATE_FOLDER) }),
      });
    let getter = await startGetter();
    await waitFor('the ring', () => ringIsExact([holder.ring, getter.ring]), 10_000);
    // a name the holder owns, so no ring copy of it lands on the getter
    const nodes = [holder.self, getter.self];
    // (with two random ids the holder's arc can be thin: 64 candidates all missed it 1 time in 65)
    const name = Array.from({ length: 4096 }, (_, i) => `big-${i}.bin`).find(
      (n) => trueOwner(hashToId(n), nodes).nodeId === holder.self.nodeId,
    );
    assert.ok(name, 'a name the holder owns among 4096');
    const content = randomBytes(4 * 1024 * 1024);
    await writeFile(join(holder.store.dir, name), content);
    await holder.share(join(holder.store.dir, name));

    let received = 0;
    const first = getter.get(name, { onProgress: (bytes) => (received = bytes) });
    await waitFor('a MiB in', () => received >= 1024 * 1024, 15_000);
    const stopped = assert.rejects(first); // the stop ends it: a handler before it rejects
    await getter.stop();
    await stopped;
    const part = join(dir, 'Downloads', `${name}.part`);
    assert.ok((await stat(part)).size > 0, 'the .part stays after a stop');
    assert.ok(!existsSync(join(dir, 'Downloads', name)), 'nothing under the final name');

    getter = await startGetter(getter.self.port);
    let resumedAt: number | undefined;
    const done = await getter.get(name, { onProgress: (bytes) => (resumedAt ??= bytes) });
    assert.ok((resumedAt ?? 0) > 0, `resumed from the .part, not from 0 (first progress ${resumedAt})`);
    assert.ok((await readFile(done.path)).equals(content));
    assert.ok(!existsSync(part));
  });
});

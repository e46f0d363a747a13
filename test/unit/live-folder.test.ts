// The live shared folder, in-process flood peers over real sockets and real folders: a file
// copied in after start is found, a changed one is found with its new digest, a deleted one is
// withdrawn (a GET given it fails over to the other holder), a download the user deleted can be
// downloaded again, names compare in NFC; and a chord peer places a file dropped into its folder.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { hashToId } from '@node-core/chord/id';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import type { FileAddedEvent, FileRemovedEvent, NodeEvent } from '@node-core/events';
import { FileStore } from '@node-core/files/file-store';
import { FolderWatcher } from '@node-core/files/folder-watcher';
import { sharedFoldersFile } from '@node-core/peer-support';
import type { FloodPeer } from '@node-core/flood/flood-peer';
import { MAX_HOLDERS, MAX_VERSIONS } from '@node-core/flood/search-collector';
import { ephemeralSecurity, P2PError, WireServer, type Connection } from '@node-core/wire';
import { FloodFixture, waitFor } from './flood-fixture';
import { rootOf } from './support/file-root';

const WATCH = { debounceMs: 20, rescanMs: 1000 };

/** Records a peer's file events. */
function fileEvents(peer: FloodPeer | ChordPeer): Array<FileAddedEvent | FileRemovedEvent> {
  const seen: Array<FileAddedEvent | FileRemovedEvent> = [];
  peer.on('event', (event: NodeEvent) => {
    if (event.event === 'file-added' || event.event === 'file-removed') seen.push(event);
  });
  return seen;
}

describe('live shared folder', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  /** Two linked peers: `holder` (watching its folder) and `searcher`. */
  async function pair(
    files: Record<string, string | Buffer> = {},
  ): Promise<{ holder: FloodPeer; searcher: FloodPeer }> {
    const holder = await net.peer('holder', { watch: WATCH }, files);
    const searcher = await net.peer('searcher', { join: holder.address, watch: WATCH });
    await waitFor('link', () => searcher.neighbors().length === 1);
    return { holder, searcher };
  }

  it('offers a file copied into the folder after start, once hashed, within a second', async () => {
    const { holder, searcher } = await pair();
    const events = fileEvents(holder);
    const content = randomBytes(300_000);
    const copiedAt = Date.now();
    await writeFile(join(holder.store.dir, 'late.bin'), content);
    await waitFor('late.bin offered', () => events.some((e) => e.event === 'file-added'), 1000);
    const added = events.find((e): e is FileAddedEvent => e.event === 'file-added')!;
    assert.deepEqual(
      { name: added.name, size: added.size, root: added.root, path: added.path },
      { name: 'late.bin', size: content.length, root: rootOf(content), path: join(holder.store.dir, 'late.bin') },
    );
    const [found] = await searcher.search('late.bin');
    assert.equal(found?.root, rootOf(content));
    console.log(`      [live-folder] copied → found by search in ${Date.now() - copiedAt} ms`);
    const done = await searcher.get('late.bin', { result: found });
    assert.ok((await readFile(done.path)).equals(content));
    // a .part and a sub-folder are never offered
    await writeFile(join(holder.store.dir, 'half.bin.part'), 'x');
    await holder.store.rescan();
    await holder.store.settled();
    assert.deepEqual(holder.store.names(), ['late.bin']);
  });

  it('SHARE of a folder: sub-folders too, no hidden entries, watched, and shared again after a restart', async () => {
    const { holder, searcher } = await pair();
    const outside = await mkdtemp(join(tmpdir(), 'p2p-shared-tree-'));
    try {
      await mkdir(join(outside, 'sub', '.git'), { recursive: true });
      await writeFile(join(outside, 'top.txt'), 'top');
      await writeFile(join(outside, 'sub', 'deep.txt'), 'deep');
      await writeFile(join(outside, 'sub', '.secret'), 'no');
      await writeFile(join(outside, 'sub', '.git', 'config'), 'no');
      const shared = await holder.shareFolder(outside);
      assert.deepEqual(
        shared.files.map((f) => [f.name, f.root, f.path]),
        [
          ['deep.txt', rootOf('deep'), join(outside, 'sub', 'deep.txt')],
          ['top.txt', rootOf('top'), join(outside, 'top.txt')],
        ],
      );
      await assert.rejects(holder.shareFolder(join(outside, 'top.txt')), /no such folder/);
      const events = fileEvents(holder);
      await writeFile(join(outside, 'sub', 'later.txt'), 'later');
      await waitFor('later.txt offered', () => events.some((e) => e.event === 'file-added' && e.name === 'later.txt'));
      assert.equal((await searcher.search('later.txt'))[0]?.root, rootOf('later'));
      await unlink(join(outside, 'top.txt'));
      await waitFor('top.txt withdrawn', () => events.some((e) => e.event === 'file-removed' && e.name === 'top.txt'));
      // the list of shared folders is in the peer's state folder: a new store on that folder shares it again
      const again = new FileStore(holder.store.dir, { watch: false, foldersFile: sharedFoldersFile(holder.store.dir) });
      await again.open();
      assert.deepEqual(
        again.names().filter((n) => n.endsWith('.txt')),
        ['deep.txt', 'later.txt'],
      );
      await again.close();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('offers a file still being written only with its final content', async () => {
    const { holder, searcher } = await pair();
    const events = fileEvents(holder);
    const path = join(holder.store.dir, 'growing.bin');
    const pieces = Array.from({ length: 5 }, () => randomBytes(64 * 1024));
    for (const piece of pieces) {
      await appendFile(path, piece);
      await sleep(40);
    }
    const whole = rootOf(Buffer.concat(pieces));
    await waitFor('the whole file offered', () => events.some((e) => e.event === 'file-added' && e.root === whole));
    await holder.store.settled();
    const found = await searcher.search('growing.bin');
    assert.deepEqual(
      found.map((r) => r.root),
      [whole],
    );
  });

  it('re-offers a changed file with its new root', async () => {
    const { holder, searcher } = await pair({ 'doc.txt': 'first version' });
    const events = fileEvents(holder);
    assert.equal((await searcher.search('doc.txt'))[0]?.root, rootOf('first version'));
    await writeFile(join(holder.store.dir, 'doc.txt'), 'second, longer version');
    await waitFor('the change announced', () =>
      events.some((e) => e.event === 'file-added' && e.root === rootOf('second, longer version')),
    );
    assert.equal((await searcher.search('doc.txt'))[0]?.root, rootOf('second, longer version'));
  });

  it('withdraws a deleted file at once; a GET given it fails over to another holder', async () => {
    const content = randomBytes(200_000);
    const { holder, searcher } = await pair({ 'gone.bin': content });
    const other = await net.peer('other', { join: holder.address, watch: WATCH }, { 'gone.bin': content });
    await waitFor('links', () => other.neighbors().length > 0);
    const events = fileEvents(holder);
    const [before] = await searcher.search('gone.bin');
    assert.deepEqual(before.holders.map((h) => h.id).sort(), ['holder', 'other']);
    await unlink(join(holder.store.dir, 'gone.bin'));
    await waitFor('gone.bin withdrawn', () => events.some((e) => e.event === 'file-removed' && e.name === 'gone.bin'));
    assert.equal(holder.store.has('gone.bin'), false);
    const [after] = await searcher.search('gone.bin');
    assert.deepEqual(
      after.holders.map((h) => h.id),
      ['other'],
    );
    // the result from before the delete still names the holder: the download goes to the other
    const done = await searcher.get('gone.bin', { result: before });
    assert.deepEqual(done.sources, ['other']);
    assert.ok((await readFile(done.path)).equals(content));
  });

  it('downloads again a downloaded file the user deleted', async () => {
    const { holder, searcher } = await pair({ 'again.txt': 'twice' });
    const first = await searcher.get('again.txt');
    await assert.rejects(searcher.get('again.txt'), (e) => e instanceof P2PError && e.code === 'FILE_EXISTS');
    // no wait for the folder scan: the GET itself sees the file is gone
    await unlink(first.path);
    const second = await searcher.get('again.txt');
    assert.equal(second.path, first.path);
    assert.equal(await readFile(second.path, 'utf8'), 'twice');
    assert.equal(holder.store.has('again.txt'), true);
  });

  it('a file the user shares while a download of its name runs keeps the name; the download is dropped', async () => {
    // The chord ring fetches copies on its own, so a user's SHARE can meet a running download of
    // the name: the user's file must stay the one served (the ring's copy is only a copy).
    const chunkSize = 256 * 1024;
    const remote = randomBytes(3 * 1024 * 1024);
    const holder = await net.peer('paced', { chunkSize, maxUploadBytesPerSecond: 1024 * 1024 }, { 'same.bin': remote });
    const getter = await net.peer('getter', { join: holder.address, watch: WATCH });
    await waitFor('link', () => getter.neighbors().length === 1);
    const running = getter.get('same.bin');
    await waitFor('the download to start', async () =>
      (await readdir(getter.store.downloadsDir)).includes('same.bin.part'),
    );
    const mine = Buffer.from("the user's own same.bin");
    const outside = await mkdtemp(join(tmpdir(), 'p2p-own-'));
    await writeFile(join(outside, 'same.bin'), mine);
    await getter.share(join(outside, 'same.bin'));
    await assert.rejects(running, (e) => e instanceof P2PError && e.code === 'FILE_EXISTS');
    assert.equal((await getter.store.manifest('same.bin')).root, rootOf(mine), "the user's file is still served");
    const left = await readdir(getter.store.downloadsDir);
    assert.ok(
      !left.includes('same.bin') && !left.includes('same.bin.part'),
      `nothing left in Downloads/: ${left.join(', ')}`,
    );
    await rm(outside, { recursive: true, force: true });
  });

  it('compares names in NFC: an NFD name on disk is found by an NFC search and the reverse', async () => {
    const nfc = 'Caf\u00e9.txt';
    const nfd = 'Cafe\u0301.txt';
    const { holder, searcher } = await pair({ [nfd]: 'decomposed on disk' });
    assert.deepEqual(holder.store.names(), [nfc]);
    for (const query of [nfc, nfd]) {
      const [found] = await searcher.search(query);
      assert.equal(found?.name, nfc, `search for ${JSON.stringify(query)}`);
      assert.equal(found?.root, rootOf('decomposed on disk'));
    }
    const done = await searcher.get(nfd);
    assert.equal(done.name, nfc);
    assert.deepEqual(await readdir(searcher.store.downloadsDir), [nfc]);
    // composed on disk, searched decomposed
    await writeFile(join(holder.store.dir, 'na\u00efve.txt'), 'composed');
    await waitFor('naïve offered', () => holder.store.has('nai\u0308ve.txt'));
    assert.equal((await searcher.search('nai\u0308ve.txt'))[0]?.name, 'na\u00efve.txt');
  });
});

describe('streamed search results', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it('reports each holder the moment it answers, before the final results and the grace period', async () => {
    const hub = await net.peer('hub', {}, { 'hit.txt': 'same' });
    await net.peer('h2', { join: hub.address }, { 'hit.txt': 'same' });
    await net.peer('h3', { join: hub.address }, { 'hit.txt': 'other content' });
    const searcher = await net.peer('searcher', { join: hub.address });
    await waitFor('links', () => hub.neighbors().length === 3);
    const graceMs = 1500;
    const hits: Array<{ at: number; holder: string; root: string }> = [];
    const started = Date.now();
    const results = await searcher.search('hit.txt', {
      graceMs,
      onHit: (hit) => hits.push({ at: Date.now() - started, holder: hit.holder.id, root: hit.root }),
    });
    const endedMs = Date.now() - started;
    assert.equal(hits.length, 3, JSON.stringify(hits));
    assert.ok(hits[0].at < graceMs / 3, `first hit after ${hits[0].at} ms`);
    assert.ok(endedMs >= hits[0].at + graceMs - 20, `results after ${endedMs} ms, first hit at ${hits[0].at}`);
    console.log(`      [search] first hit after ${hits[0].at} ms; final results after ${endedMs} ms`);
    assert.deepEqual(
      results.map((r) => r.holders.map((h) => h.id).sort()),
      [['h2', 'hub'], ['h3']],
    );
    for (const hit of hits)
      assert.ok(results.some((r) => r.root === hit.root && r.holders.some((h) => h.id === hit.holder)));
  });
});

describe('streamed search results, hostile holders', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  const servers: WireServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await net.cleanup();
  });

  it('bounds what a neighbour answering with made-up versions and holders makes the searcher keep', async () => {
    // a neighbour on the real wire: it accepts the join, then answers every query with a flood of
    // hits for other names, 500 versions, and 500 holders of one version
    const liesTold = new AbortController();
    const evil = new WireServer({ security: ephemeralSecurity('evil') });
    servers.push(evil);
    const address = await evil.listen('127.0.0.1', 0);
    const answer = async (conn: Connection, qid: string): Promise<void> => {
      // hits go back on the link the query came by; each version's root is its own
      const hit = (name: string, root: string, id: string) =>
        conn.send({ t: 'hit', qid, name, size: 1, root, holder: { id, ...address } });
      for (let i = 0; i < 500; i++) await hit('other.txt', rootOf(`o${i}`), `o${i}`);
      for (let i = 0; i < 500; i++) await hit('bait.txt', rootOf('one'), `h${i}`);
      for (let i = 0; i < 500; i++) await hit('bait.txt', rootOf(`v${i}`), 'evil');
      // frames are handled in order: once this is answered, every hit above has been seen
      await conn.request({ t: 'neighbors-get' });
    };
    evil.on('connection', (conn) =>
      conn.setHandler((incoming) => {
        const { msg } = incoming;
        if (msg.t === 'join') void conn.reply(incoming, { t: 'welcome', id: 'evil' }).catch(() => undefined);
        if (msg.t === 'query') void answer(conn, msg.qid).finally(() => liesTold.abort());
      }),
    );
    const searcher = await net.peer('searcher', { join: address });
    await waitFor('linked to the evil neighbour', () => searcher.neighbors().some((n) => n.id === 'evil'));
    let hits = 0;
    // the search lasts until every lie has been told
    const results = await searcher.search('bait.txt', {
      graceMs: 20_000,
      signal: liesTold.signal,
      onHit: () => hits++,
    });
    assert.equal(results.length, MAX_VERSIONS);
    assert.ok(results.every((r) => r.name === 'bait.txt'));
    assert.equal(results.find((r) => r.root === rootOf('one'))?.holders.length, MAX_HOLDERS);
    assert.equal(hits, MAX_HOLDERS + MAX_VERSIONS - 1);
  });
});

describe('folder watcher', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'p2p-watch-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('coalesces a burst of changes into one call', async () => {
    let calls = 0;
    const watcher = new FolderWatcher([root], () => calls++, { debounceMs: 100, rescanMs: 0 });
    try {
      for (let i = 0; i < 10; i++) await writeFile(join(root, `f${i}`), 'x');
      await waitFor('a call', () => calls > 0, 2000);
      await sleep(150);
      assert.equal(calls, 1);
    } finally {
      watcher.close();
    }
  });

  it('a muted folder makes no call while written to; lifting the last mute makes one', async () => {
    let calls = 0;
    const other = join(root, 'other');
    await mkdir(other);
    const watcher = new FolderWatcher([root, other], () => calls++, { debounceMs: 20, rescanMs: 0 });
    try {
      const unmuteFirst = watcher.mute(root);
      const unmuteSecond = watcher.mute(root);
      for (let i = 0; i < 20; i++) await appendFile(join(root, 'big.part'), randomBytes(64 * 1024));
      // the other folder still speaks: once its call came, any call from the muted one would have too
      await writeFile(join(other, 'o'), 'x');
      await waitFor('the other folder', () => calls === 1, 2000);
      await sleep(100);
      assert.equal(calls, 1, 'writes to the muted folder made no call');
      unmuteFirst();
      unmuteFirst(); // a second call of one release lifts nothing more
      await writeFile(join(root, 'still-muted'), 'x');
      await sleep(100);
      assert.equal(calls, 1, 'one mute is left');
      unmuteSecond();
      await waitFor('the call for what changed while muted', () => calls === 2, 2000);
      await writeFile(join(root, 'watched-again'), 'x');
      await waitFor('events again', () => calls === 3, 2000);
    } finally {
      watcher.close();
    }
  });

  it('rescans on its own a folder it cannot watch, and calls nothing after close()', async () => {
    let calls = 0;
    const watcher = new FolderWatcher([join(root, 'missing')], () => calls++, { rescanMs: 30 });
    await waitFor('rescans', () => calls >= 2, 2000);
    watcher.close();
    const after = calls;
    await sleep(100);
    assert.equal(calls, after);
  });
});

describe('live shared folder, chord mode', function () {
  this.timeout(30_000);
  let root: string;
  const peers: ChordPeer[] = [];
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'p2p-chord-live-'));
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('places a file dropped into the folder on the ring; a removed one is withdrawn here', async () => {
    for (let i = 0; i < 3; i++) {
      const peer = new ChordPeer({
        id: `c${i}`,
        dir: join(root, `c${i}`),
        join: peers[0] ? { host: peers[0].self.host, port: peers[0].self.port } : undefined,
        timings: { ...FAST_TIMINGS, replicateMs: 150 },
        watch: WATCH,
      });
      await peer.start();
      peers.push(peer);
    }
    const [dropper, , reader] = peers;
    const events = fileEvents(dropper);
    const content = randomBytes(100_000);
    await waitFor('the ring', () => peers.every((p) => p.ring.node.predecessor !== null));
    // a name whose key another node owns, so the file has to travel
    const name = Array.from({ length: 64 }, (_, i) => `dropped-${i}.bin`).find(
      (n) => !dropper.ring.node.owns(hashToId(n)),
    )!;
    await writeFile(join(dropper.store.dir, name), content);
    await waitFor('offered', () => events.some((e) => e.event === 'file-added'));
    // the key's owner fetched it from the dropper (as for SHARE), and a search from another node finds it
    const { owner } = await reader.lookup(name);
    const ownerPeer = peers.find((p) => p.self.id === owner.id)!;
    await waitFor('the owner holds it', () => ownerPeer.store.has(name));
    await waitFor('found from another node', async () =>
      (await reader.search(name)).some((r) => r.root === rootOf(content)),
    );
    await unlink(join(dropper.store.dir, name));
    await waitFor('withdrawn', () => events.some((e) => e.event === 'file-removed' && e.name === name));
    assert.equal(dropper.store.has(name), false);
  });
});

// Flood overlay end to end, in-process peers over real loopback sockets: join, cap and
// redirect, search hit and miss, verified downloads, refusals, healing, metaserver outages.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dial, ephemeralSecurity, P2PError, WireServer } from '@node-core/wire';
import type { FloodPeer } from '@node-core/flood/flood-peer';
import { MetaserverClient } from '@node-core/metaserver';
import { AddressProof } from '@node-core/metaserver/address-proof';
import type { BridgeMessage } from '@node-core/topology';
import type { SearchResultEvent } from '@node-core/events';
import { FloodFixture, proofListener, waitFor } from './flood-fixture';
import { rootOf } from './support/file-root';

const code = (expected: string) => (e: unknown) => e instanceof P2PError && e.code === expected;

describe('flood: network', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it('joins through referrals and the metaserver sees the links', async () => {
    const ms = await net.metaserver();
    const a = await net.peer('a', { metaserver: ms.address });
    const b = await net.peer('b', { metaserver: ms.address });
    const c = await net.peer('c', { metaserver: ms.address });
    await waitFor('links', () => a.neighbors().length > 0 && b.neighbors().length > 0 && c.neighbors().length > 0);
    await waitFor('metaserver topology', () => ms.snapshot().peers.every((p) => p.neighbors.length > 0));
    assert.deepEqual(
      ms
        .snapshot()
        .peers.map((p) => p.id)
        .sort(),
      ['a', 'b', 'c'],
    );
  });

  it('redirects a newcomer to a neighbour when full (max-neighbors)', async () => {
    const hub = await net.peer('hub', { maxNeighbors: 1 });
    const first = await net.peer('first', { join: hub.address, targetLinks: 1 });
    await waitFor('first link', () => hub.neighbors().length === 1);
    const late = await net.peer('late', { join: hub.address, targetLinks: 1 });
    await waitFor('late redirected to first', () => late.neighbors().some((n) => n.id === 'first'));
    assert.equal(hub.neighbors().length, 1);
    assert.deepEqual(
      hub.neighbors().map((n) => n.id),
      ['first'],
    );
    assert.ok(first.neighbors().some((n) => n.id === 'late'));
  });

  it('finds a file several hops away; holders answer directly; a miss is empty', async () => {
    const a = await net.peer('a', { maxNeighbors: 2, targetLinks: 1 });
    const b = await net.peer('b', { join: a.address, targetLinks: 1 });
    const c = await net.peer('c', { join: b.address, targetLinks: 1 }, { 'f1.txt': 'hello' });
    await waitFor('chain', () => b.neighbors().length === 2);
    const results = await a.search('f1.txt');
    assert.equal(results.length, 1);
    assert.equal(results[0].size, 5);
    assert.equal(results[0].root, rootOf('hello'));
    assert.deepEqual(results[0].holders, [c.address]);
    assert.deepEqual(await a.search('nothing.txt'), []);
  });

  it('TTL bounds the flood', async () => {
    const a = await net.peer('a', { targetLinks: 1, ttl: 1 });
    const b = await net.peer('b', { join: a.address, targetLinks: 1 });
    await net.peer('c', { join: b.address, targetLinks: 1 }, { 'far.txt': 'x' });
    await waitFor('chain', () => b.neighbors().length === 2);
    assert.deepEqual(await a.search('far.txt'), []);
  });

  for (const size of [0, 1024, 50 * 1024 * 1024]) {
    it(`downloads ${size} bytes verified byte for byte into Downloads/, then shares it`, async () => {
      const content = randomBytes(size);
      const holder = await net.peer('holder', {}, { 'data.bin': content });
      const getter = await net.peer('getter', { join: holder.address });
      await waitFor('link', () => getter.neighbors().length === 1);
      let progress = 0;
      const done = await getter.get('data.bin', { onProgress: (bytes) => (progress = bytes) });
      assert.equal(done.path, join(getter.store.downloadsDir, 'data.bin'));
      assert.equal(done.bytes, size);
      assert.deepEqual(done.sources, ['holder']);
      assert.equal(progress, size);
      assert.ok((await readFile(done.path)).equals(content));
      await assert.rejects(stat(`${done.path}.part`));
      const third = await net.peer('third', { join: getter.address, targetLinks: 1 });
      await waitFor('link', () => third.neighbors().length === 1);
      const found = await third.search('data.bin');
      assert.deepEqual(found[0].holders.map((h) => h.id).sort(), ['getter', 'holder']);
      await assert.rejects(getter.get('data.bin'), code('FILE_EXISTS'));
    });
  }

  it('keeps a holder within its upload cap (--max-upload), and pulls from capped holders in parallel', async () => {
    const chunkSize = 256 * 1024;
    const cap = 1024 * 1024; // bytes per second, the lowest accepted
    const content = randomBytes(4 * 1024 * 1024);
    // one capped holder: only its first chunk leaves at once, the rest at the cap
    const lone = await net.peer('lone', { chunkSize, maxUploadBytesPerSecond: cap }, { 'capped.bin': content });
    const first = await net.peer('first', { join: lone.address });
    await waitFor('link', () => first.neighbors().length === 1);
    const oneStarted = performance.now();
    const one = await first.get('capped.bin');
    const oneMs = performance.now() - oneStarted;
    const floorMs = ((content.length - chunkSize) / cap) * 1000;
    assert.ok(
      oneMs >= floorMs - 50,
      `1 capped holder served 4 MiB in ${oneMs.toFixed(0)} ms, faster than its cap allows (${floorMs} ms)`,
    );
    assert.ok((await readFile(one.path)).equals(content));
    // three holders with the same cap: the download can only beat one holder's floor by pulling
    // from several at once
    await net.peer('h2', { chunkSize, maxUploadBytesPerSecond: cap, join: lone.address }, { 'capped.bin': content });
    await net.peer('h3', { chunkSize, maxUploadBytesPerSecond: cap, join: lone.address }, { 'capped.bin': content });
    const second = await net.peer('second', { join: lone.address });
    // ('first' holds the file too now, uncapped: the download is given the three capped holders)
    const capped = ['h2', 'h3', 'lone'];
    let found: SearchResultEvent | undefined;
    await waitFor(
      'the three capped holders found',
      async () => {
        found = (await second.search('capped.bin'))[0];
        return capped.every((id) => found?.holders.some((h) => h.id === id));
      },
      15_000,
    );
    const result = {
      ...(found as SearchResultEvent),
      holders: (found as SearchResultEvent).holders.filter((h) => capped.includes(h.id)),
    };
    const threeStarted = performance.now();
    const three = await second.get('capped.bin', { result });
    const threeMs = performance.now() - threeStarted;
    assert.deepEqual(three.sources.sort(), capped);
    assert.ok(
      threeMs < floorMs,
      `3 capped holders took ${threeMs.toFixed(0)} ms, no faster than 1 can be (${floorMs} ms)`,
    );
    assert.ok((await readFile(three.path)).equals(content));
  });

  it("times a chunk from its link's last bytes: at a capped holder it waits, at a silent one it fails", async () => {
    const chunkSize = 256 * 1024;
    const content = randomBytes(3 * 1024 * 1024);
    // 1 MiB/s: a chunk leaves every 250 ms, so the 8th request in the window waits ~1.75 s,
    // far past the getter's 600 ms chunk timeout, while its link is never quiet that long
    const holder = await net.peer(
      'paced',
      { chunkSize, maxUploadBytesPerSecond: 1024 * 1024 },
      { 'queued.bin': content },
    );
    const getter = await net.peer('getter', { join: holder.address, chunkTimeoutMs: 600 });
    await waitFor('link', () => getter.neighbors().length === 1);
    const done = await getter.get('queued.bin');
    assert.deepEqual(done.sources, ['paced']);
    assert.ok((await readFile(done.path)).equals(content));
    // a holder that sends the manifest and then nothing: the same timeout ends the download
    const silent = new WireServer({ security: ephemeralSecurity('silent') });
    const silentAddress = await silent.listen('127.0.0.1', 0);
    const manifest = await holder.store.manifest('queued.bin');
    silent.on('connection', (conn) =>
      conn.setHandler((incoming) => {
        if (incoming.msg.t === 'manifest-get') {
          void conn.reply(
            incoming,
            {
              t: 'manifest',
              name: 'mute.bin',
              size: manifest.size,
              chunkSize: manifest.chunkSize,
              chunks: manifest.chunkHashes.length / 32,
            },
            manifest.chunkHashes,
          );
        }
      }),
    );
    try {
      const result = {
        event: 'search-result' as const,
        name: 'mute.bin',
        size: content.length,
        root: manifest.root,
        holders: [{ id: 'silent', ...silentAddress }],
      };
      const started = performance.now();
      await assert.rejects(getter.get('mute.bin', { result }), code('DOWNLOAD_FAILED'));
      assert.ok(performance.now() - started < 10_000, 'a silent holder is given up on, not waited for');
    } finally {
      await silent.close();
    }
  });

  // the same downloads through both sinks: checked and written in the main thread, or in a worker
  for (const [sink, workerSinkFromBytes] of [
    ['main-thread sink', Infinity],
    ['worker sink', 0],
  ] as const) {
    it(`pulls chunks from several holders and resumes a .part (${sink})`, async () => {
      const content = randomBytes(5 * 1024 * 1024 + 123);
      const h1 = await net.peer('h1', { chunkSize: 256 * 1024 }, { 'multi.bin': content });
      await net.peer('h2', { chunkSize: 256 * 1024, join: h1.address }, { 'multi.bin': content });
      const getter = await net.peer('g', { join: h1.address, workerSinkFromBytes });
      await waitFor('links', () => getter.neighbors().length === 2);
      // a half-written .part with a corrupted chunk: the good chunks are kept, the bad one refetched
      const part = Buffer.from(content.subarray(0, 3 * 1024 * 1024));
      part[300_000] ^= 0xff;
      await writeFile(join(getter.store.downloadsDir, 'multi.bin.part'), part);
      const done = await getter.get('multi.bin');
      assert.deepEqual(done.sources.sort(), ['h1', 'h2']);
      assert.ok((await readFile(done.path)).equals(content));
    });

    it(`survives a holder that serves corrupted chunks: finds them, drops it, refetches (${sink})`, async () => {
      const content = randomBytes(3 * 1024 * 1024 + 7);
      const honest = await net.peer('honest', {}, { 'v.bin': content });
      const getter = await net.peer('getter', { join: honest.address, workerSinkFromBytes });
      const liar = new WireServer({});
      const liarAddress = await liar.listen('127.0.0.1', 0);
      const manifest = await honest.store.manifest('v.bin');
      liar.on('connection', (conn) =>
        conn.setHandler((incoming) => {
          const { msg } = incoming;
          if (msg.t === 'manifest-get') {
            void conn.reply(
              incoming,
              {
                t: 'manifest',
                name: 'v.bin',
                size: manifest.size,
                chunkSize: manifest.chunkSize,
                chunks: manifest.chunkHashes.length / 32,
              },
              manifest.chunkHashes,
            );
          } else if (msg.t === 'chunk-get') {
            const start = msg.index * manifest.chunkSize;
            const bad = Buffer.from(content.subarray(start, Math.min(start + manifest.chunkSize, content.length)));
            bad[0] ^= 0xff;
            void conn.reply(incoming, { t: 'chunk', name: 'v.bin', index: msg.index }, bad);
          }
        }),
      );
      try {
        const result = {
          event: 'search-result' as const,
          name: 'v.bin',
          size: content.length,
          root: manifest.root,
          holders: [{ id: 'liar', ...liarAddress }, honest.address],
        };
        const done = await getter.get('v.bin', { result });
        assert.ok((await readFile(done.path)).equals(content));
        assert.deepEqual(done.sources, ['honest']);
      } finally {
        await liar.close();
      }
    });

    it(`cancels a download mid-transfer and removes its .part (${sink})`, async () => {
      const holder = await net.peer('holder', { chunkSize: 64 * 1024 }, { 'slow.bin': randomBytes(8 * 1024 * 1024) });
      const getter = await net.peer('getter', { join: holder.address, workerSinkFromBytes });
      await waitFor('link', () => getter.neighbors().length === 1);
      const controller = new AbortController();
      const cancelled = getter.get('slow.bin', {
        signal: controller.signal,
        onProgress: (bytes) => bytes > 0 && controller.abort(),
      });
      await assert.rejects(
        cancelled,
        (e: unknown) => e instanceof P2PError && e.code === 'CANCELLED' && e.subject === 'slow.bin',
      );
      await assert.rejects(stat(join(getter.store.downloadsDir, 'slow.bin.part')));
      await assert.rejects(stat(join(getter.store.downloadsDir, 'slow.bin')));
      assert.equal((await getter.get('slow.bin')).bytes, 8 * 1024 * 1024);
    });
  }

  it('refuses names with traversal, and never serves unshared files', async () => {
    const dir = await net.tempDir();
    await writeFile(join(dir, 'secret.txt'), 'do not read');
    const a = await net.peer('a', {}, { 'ok.txt': 'fine' });
    const b = await net.peer('b', { join: a.address });
    for (const name of ['../secret.txt', 'a/b', 'a\\b', '..', 'x\u0000y']) {
      await assert.rejects(b.get(name), code('BAD_NAME'));
      await assert.rejects(b.search(name), code('BAD_NAME'));
    }
    await assert.rejects(a.store.manifest('secret.txt'), code('NOT_SHARED'));
    // straight on the wire: the decoder refuses the name and closes only that connection
    const raw = await dial(a.address, {});
    raw.setHandler(() => undefined);
    await assert.rejects(
      raw.request({ t: 'manifest-get', name: '../secret.txt' }, { timeoutMs: 2000 }),
      code('PROTOCOL'),
    );
    assert.equal(raw.isOpen, false);
    const honest = await dial(a.address, {});
    honest.setHandler(() => undefined);
    await assert.rejects(honest.request({ t: 'manifest-get', name: 'secret.txt' }), code('NOT_SHARED'));
    assert.equal((await honest.request({ t: 'manifest-get', name: 'ok.txt' })).msg.t, 'manifest');
    honest.close();
  });
  it('a second join under a linked id is refused; the link stays on its connection until it closes', async () => {
    const a = await net.peer('a');
    const events: string[] = [];
    a.on('event', (e) => {
      if (e.event === 'neighbor-up' || e.event === 'neighbor-down') events.push(`${e.event} ${e.id}`);
    });
    const b = ephemeralSecurity('b');
    const join = async () => {
      const conn = await dial(a.address, { security: b });
      conn.setHandler(() => undefined);
      await conn.request({ t: 'join', id: 'b', host: '127.0.0.1', port: 9 });
      return conn;
    };
    const first = await join();
    await waitFor('b linked', () => a.neighbors().some((n) => n.id === 'b'));
    await assert.rejects(join(), code('DUPLICATE_ID'));
    assert.equal(first.isOpen, true);
    assert.deepEqual(events, ['neighbor-up b']);
    // once the first connection is gone, the id is free again
    first.close();
    await waitFor('b gone', () => a.neighbors().length === 0);
    const second = await join();
    await waitFor('b back', () => a.neighbors().some((n) => n.id === 'b'));
    assert.deepEqual(events, ['neighbor-up b', 'neighbor-down b', 'neighbor-up b']);
    second.close();
  });
});

describe('flood: metaserver and resilience', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it('refuses an empty id, a duplicate id, a wrong flag and a full network with their codes', async () => {
    const ms = await net.metaserver({ maxPeers: 2 });
    const a = ephemeralSecurity('a');
    await net.peer('a', { metaserver: ms.address, security: a });
    await assert.rejects(net.peer('a', { metaserver: ms.address, security: a }), code('DUPLICATE_ID'));
    // the same id with another key is not a second copy of "a" but someone else claiming its id
    const impostor = net.peer('a', { metaserver: ms.address });
    await assert.rejects(
      impostor,
      (err: P2PError) => err.code === 'KEY_CHANGED' && err.message.includes(a.identity.fingerprint),
    );
    await assert.rejects(net.peer('', { metaserver: ms.address }), code('EMPTY_ID'));
    const wrongFlag = new MetaserverClient({
      address: ms.address,
      self: { id: 'x', host: '127.0.0.1', port: 1, mode: 'flood' },
      addressProof: new AddressProof(),
      flag: 'p3p',
    });
    await assert.rejects(wrongFlag.register(), code('BAD_FLAG'));
    await wrongFlag.close();
    const listener = await proofListener('y');
    const anyCase = new MetaserverClient({
      address: ms.address,
      self: { id: 'y', ...listener.address, mode: 'flood' },
      addressProof: listener.proof,
      security: listener.security,
      flag: 'P2p',
    });
    await anyCase.register();
    await listener.close();
    await assert.rejects(net.peer('z', { metaserver: ms.address }), code('NETWORK_FULL'));
    await anyCase.close();
    await waitFor('y expired', () => !ms.registry.has('y'));
    assert.deepEqual(
      ms.snapshot().peers.map((p) => p.id),
      ['a'],
    );
  });

  it('refuses a peer with the wrong key, admits one with the right key', async () => {
    const ms = await net.metaserver({ key: 'k1' });
    await assert.rejects(net.peer('bad', { metaserver: ms.address, key: 'k2' }), code('AUTH_FAILED'));
    await assert.rejects(net.peer('none', { metaserver: ms.address }), code('AUTH_FAILED'));
    const a = await net.peer('a', { metaserver: ms.address, key: 'k1' }, { 'k.txt': 'keyed' });
    const b = await net.peer('b', { metaserver: ms.address, key: 'k1' });
    await waitFor('link', () => b.neighbors().length === 1);
    assert.equal((await b.get('k.txt')).bytes, 5);
    const outsider = await net.peer('outsider', { join: a.address, key: 'k2' });
    assert.equal(outsider.neighbors().length, 0);
    assert.equal(a.neighbors().length, 1);
  });

  it('streams topology changes and activity to a TopologySource listener', async () => {
    const ms = await net.metaserver();
    const seen: BridgeMessage[] = [];
    const unsubscribe = ms.onChange((m) => seen.push(m));
    const a = await net.peer('a', { metaserver: ms.address }, { 'doc.txt': 'shared doc' });
    const b = await net.peer('b', { metaserver: ms.address });
    await waitFor('link-up', () => seen.some((m) => m.type === 'link-up' && m.a === 'a' && m.b === 'b'));
    await b.get('doc.txt');
    await waitFor(
      'activity',
      () =>
        seen.some((m) => m.type === 'transfer' && m.done) && seen.some((m) => m.type === 'search' && m.origin === 'b'),
    );
    await waitFor('file-shared', () =>
      seen.some((m) => m.type === 'file-shared' && m.peer === 'b' && m.name === 'doc.txt'),
    );
    await a.stop();
    await waitFor(
      'peer-left',
      () => seen.some((m) => m.type === 'peer-left' && m.id === 'a') && seen.some((m) => m.type === 'link-down'),
    );
    assert.ok(seen.some((m) => m.type === 'peer-joined' && m.peer.id === 'a'));
    assert.ok(seen.some((m) => m.type === 'file-shared' && m.peer === 'a' && m.name === 'doc.txt'));
    unsubscribe();
    await waitFor('b reports no links', () => ms.snapshot().peers.every((p) => p.neighbors.length === 0));
    assert.deepEqual(
      ms.snapshot().peers.map((p) => [p.id, p.mode, p.neighbors, p.files]),
      [['b', 'flood', [], ['doc.txt']]],
    );
  });

  it('expires a registered peer that stops heart-beating', async () => {
    const ms = await net.metaserver({ peerTimeoutMs: 300 });
    const listener = await proofListener('silent');
    const conn = await dial(ms.address, { idleTimeoutMs: 0, security: listener.security });
    listener.answer(conn);
    await conn.request({ t: 'register', id: 'silent', ...listener.address, mode: 'flood', flag: 'p2p' });
    assert.ok(ms.registry.has('silent'));
    await listener.close();
    await waitFor('expiry', () => !ms.registry.has('silent'), 3000);
    conn.close();
  });

  it('heals after a peer STOPs: its neighbours re-join each other', async () => {
    const ms = await net.metaserver();
    const hub = await net.peer('hub', { metaserver: ms.address, targetLinks: 1 });
    const leaves: FloodPeer[] = [];
    for (const id of ['l1', 'l2', 'l3'])
      leaves.push(await net.peer(id, { metaserver: ms.address, targetLinks: 1, join: hub.address }));
    await waitFor('star', () => hub.neighbors().length >= 3);
    const [l1, l2, l3] = leaves;
    await l3.share(await writeTemp(net, 'after.txt', 'healed'));
    await hub.stop();
    await waitFor(
      'healed',
      () => leaves.every((l) => l.neighbors().length >= 1 && !l.neighbors().some((n) => n.id === 'hub')),
      5000,
    );
    await waitFor(
      'connected',
      async () => (await l1.search('after.txt')).length === 1 && (await l2.search('after.txt')).length === 1,
      8000,
    );
  });

  it('keeps searching and downloading while the metaserver is down; peers re-register when it returns', async () => {
    // restarted with its own key, as a metaserver with --dir is: peers pinned it
    const security = ephemeralSecurity('');
    const ms = await net.metaserver({ security });
    const port = ms.address.port;
    const a = await net.peer('a', { metaserver: ms.address }, { 'm.txt': 'still here' });
    const b = await net.peer('b', { metaserver: ms.address });
    await waitFor('link', () => b.neighbors().length === 1);
    await ms.close();
    net.servers.splice(net.servers.indexOf(ms), 1);
    const found = await b.search('m.txt');
    assert.equal(found.length, 1);
    assert.equal((await b.get('m.txt')).bytes, 10);
    const back = await net.metaserver({ port, security });
    await waitFor('re-registered', () => back.registry.has('a') && back.registry.has('b'), 5000);
    await waitFor('links reported', () => back.snapshot().peers.every((p) => p.neighbors.length === 1), 5000);
    assert.deepEqual(back.snapshot().peers.find((p) => p.id === 'b')?.files, ['m.txt']);
    void a;
  });

  it('starts with --join while the metaserver is down, and registers once it is up', async () => {
    const probe = await net.metaserver();
    const address = probe.address;
    await probe.close();
    net.servers.splice(net.servers.indexOf(probe), 1);
    const a = await net.peer('a', { metaserver: address, targetLinks: 1 }).catch((e: unknown) => e);
    assert.ok(a instanceof P2PError && a.code === 'METASERVER_UNREACHABLE');
    const b = await net.peer('b', {});
    const c = await net.peer('c', { metaserver: address, join: b.address });
    await waitFor('link', () => c.neighbors().length === 1);
    const ms = await net.metaserver({ port: address.port });
    await waitFor('c registered', () => ms.registry.has('c'), 5000);
  });

  it('runs a 30-peer network: connected, bounded degree, every peer finds a file', async () => {
    const ms = await net.metaserver();
    const peers: FloodPeer[] = [];
    for (let i = 0; i < 30; i++) {
      // the file lives on two far-apart peers: with a degree cap of 4 the overlay's diameter can
      // reach the default TTL of 7 on an unlucky run, and the test is about scale, not reach
      const files: Record<string, string> = i === 0 || i === 29 ? { 'rare.txt': 'the same content' } : {};
      peers.push(await net.peer(`p${i}`, { metaserver: ms.address, maxNeighbors: 4 }, files));
    }
    await waitFor('all linked', () => peers.every((p) => p.neighbors().length >= 1));
    assert.ok(peers.every((p) => p.neighbors().length <= 4));
    const results = await Promise.all(peers.slice(1, 29).map((p) => p.search('rare.txt', { timeoutMs: 2000 })));
    assert.ok(results.every((r) => r.length === 1 && r[0].holders.every((h) => h.id === 'p0' || h.id === 'p29')));
    const topo = ms.snapshot();
    assert.equal(topo.peers.length, 30);
  });
});

async function writeTemp(net: FloodFixture, name: string, content: string): Promise<string> {
  const path = join(await net.tempDir(), name);
  await writeFile(path, content);
  return path;
}

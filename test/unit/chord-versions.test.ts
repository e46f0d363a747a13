// Two versions of one file name on a chord ring (real sockets, real directories): the key stays
// SHA-1 of the name, its owner records both versions, a search lists both with their roots,
// a GET of either gets those bytes, both survive the owner leaving or being killed, a holder
// that deletes its file withdraws only its version, and a stranger publishing 1,000 versions
// cannot make the owner keep more than the bound.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { hashToId, inHalfOpen, nodeIdOf } from '@node-core/chord/id';
import type { SearchResultEvent } from '@node-core/events';
import { MAX_CHORD_VERSIONS } from '@node-core/wire/fields';
import { rootOf } from './support/file-root';
import { filePeer, placementAmong, ringIsExact, waitFor } from './chord-harness';
import { VersionForger } from './hostile-publisher';

const NAME = 'report.txt';

describe('chord: several versions of one name', function () {
  this.timeout(60_000);
  let peers: ChordPeer[] = [];
  let root: string;
  let counter = 0;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chord-versions-'));
  });

  afterEach(async () => {
    await Promise.all(peers.map((p) => p.close()));
    peers = [];
    await rm(root, { recursive: true, force: true });
  });

  async function startPeers(n: number, extra: { port?: number } = {}): Promise<void> {
    for (let i = 0; i < n; i++) {
      const id = `v${++counter}`;
      const via = peers[Math.floor(Math.random() * peers.length)];
      const peer = filePeer(root, id, via, extra);
      await peer.start();
      peers.push(peer);
    }
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 15_000);
  }

  /** A name's owner and its 2 replicas, from the live ids. */
  function placementOf(name: string): ChordPeer[] {
    return placementAmong(peers, hashToId(name));
  }

  /** NAME's owner and its 2 replicas, and the other peers. */
  function roles(): { placement: ChordPeer[]; others: ChordPeer[] } {
    const placement = placementOf(NAME);
    return { placement, others: peers.filter((p) => !placement.includes(p)) };
  }

  /** Two sharers, each sharing its own content under NAME; returns the contents by root. */
  async function shareTwoVersions(sharers: ChordPeer[], name = NAME): Promise<Map<string, Buffer>> {
    const contents = new Map<string, Buffer>();
    for (const sharer of sharers) {
      const data = randomBytes(20_000 + Math.floor(Math.random() * 50_000));
      const dir = join(root, `src-${sharer.self.id}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, name), data);
      const shared = await sharer.share(join(dir, name));
      assert.equal(shared.root, rootOf(data));
      contents.set(shared.root, data);
    }
    return contents;
  }

  /** Searches from `from` until it lists exactly the versions `want` (by root). */
  async function searchUntil(
    from: ChordPeer,
    want: string[],
    timeoutMs = 15_000,
    name = NAME,
  ): Promise<SearchResultEvent[]> {
    const deadline = Date.now() + timeoutMs;
    let last: SearchResultEvent[] = [];
    while (Date.now() < deadline) {
      last = await from.search(name).catch(() => []);
      const found = last.map((r) => r.root).sort();
      if (found.length === want.length && found.every((s, i) => s === [...want].sort()[i])) return last;
      await sleep(100);
    }
    assert.fail(`search found ${JSON.stringify(last.map((r) => r.root))}, want ${JSON.stringify(want)}`);
  }

  async function getVersion(getter: ChordPeer, result: SearchResultEvent, data: Buffer): Promise<void> {
    const done = await getter.get(NAME, { result });
    assert.equal(done.root, result.root);
    assert.ok((await readFile(done.path)).equals(data), `${getter.self.id} got the bytes of ${result.root}`);
  }

  it('a search lists both versions with their roots and holders; a GET of each gets its bytes', async () => {
    await startPeers(7);
    const { placement, others } = roles();
    const [s1, s2, g1, g2] = others;
    const contents = await shareTwoVersions([s1, s2]);
    const [rootA, rootB] = [...contents.keys()];
    const results = await searchUntil(g1, [rootA, rootB]);
    const a = results.find((r) => r.root === rootA);
    const b = results.find((r) => r.root === rootB);
    assert.ok(a && b);
    assert.notEqual(a.root, b.root);
    // the first version is also copied onto the owner; the second is served by its sharer
    assert.ok(a.holders.some((h) => h.id === s1.self.id) && a.holders.some((h) => h.id === placement[0].self.id));
    assert.ok(b.holders.some((h) => h.id === s2.self.id));
    // one owner for both: the key is SHA-1 of the name, and it keeps a record of each
    assert.deepEqual(
      placement[0].versions.index
        .versions(NAME)
        .map((v) => v.root)
        .sort(),
      [rootA, rootB].sort(),
    );
    await getVersion(g1, a, contents.get(rootA)!);
    await getVersion(g2, b, contents.get(rootB)!);
    // a downloader serves what it got, and the owner learns it
    await eventuallySearch(placement[1], (rs) =>
      Boolean(rs.find((r) => r.root === rootB)?.holders.some((h) => h.id === g2.self.id)),
    );
  });

  it('both versions survive the owner leaving gracefully (its records handed off)', async () => {
    await startPeers(7);
    const { placement, others } = roles();
    const [owner, heir] = placement;
    const [s1, s2] = others;
    const contents = await shareTwoVersions([s1, s2]);
    await owner.stop();
    peers = peers.filter((p) => p !== owner);
    const kept = heir.versions.index.versions(NAME).map((v) => v.root);
    assert.deepEqual(kept.sort(), [...contents.keys()].sort(), 'the heir holds both records as the owner leaves');
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 15_000);
    // a getter outside the new placement (a replica holds the ring's copy of the name already)
    const getter = roles().others.find((p) => p !== s1 && p !== s2)!;
    const results = await searchUntil(getter, [...contents.keys()]);
    const b = results.find((r) => r.holders.some((h) => h.id === s2.self.id))!;
    await getVersion(getter, b, contents.get(b.root)!);
  });

  it('both versions survive the owner being killed (no hand-off, no goodbye)', async () => {
    await startPeers(7);
    const { placement, others } = roles();
    const [owner] = placement;
    const [s1, s2] = others;
    const contents = await shareTwoVersions([s1, s2]);
    await owner.crash();
    peers = peers.filter((p) => p !== owner);
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 15_000);
    const getter = roles().others.find((p) => p !== s1 && p !== s2)!;
    const results = await searchUntil(getter, [...contents.keys()]);
    const b = results.find((r) => r.holders.some((h) => h.id === s2.self.id))!;
    await getVersion(getter, b, contents.get(b.root)!);
  });

  it("a node that joins in front of the owner gets both versions' records", async () => {
    await startPeers(5);
    // A port whose node id will own a name we choose: the joiner becomes that name's owner.
    const port = await freePort();
    const joinerId = nodeIdOf('127.0.0.1', port);
    const ids = peers.map((p) => p.self.nodeId).sort((a, b) => (a < b ? -1 : 1));
    const pred = [...ids].reverse().find((id) => id < joinerId) ?? ids[ids.length - 1];
    const name = Array.from({ length: 10_000 }, (_, i) => `taken-over-${i}.txt`).find((n) =>
      inHalfOpen(hashToId(n), pred, joinerId),
    )!;
    const placed = new Set(placementOf(name).map((p) => p.self.nodeId));
    const [s1, s2] = peers.filter((p) => !placed.has(p.self.nodeId));
    const contents = await shareTwoVersions([s1, s2], name);
    await startPeers(1, { port });
    const joiner = peers[peers.length - 1];
    assert.equal(joiner.self.nodeId, joinerId);
    await waitFor('the joiner to hold both records', () => joiner.versions.index.versions(name).length === 2, 10_000);
    await searchUntil(s1, [...contents.keys()], 15_000, name);
  });

  it('a holder that deletes its file withdraws only its version', async () => {
    await startPeers(5);
    const { placement, others } = roles();
    const [s1, s2] = others;
    const data = { a: randomBytes(30_000), b: randomBytes(40_000) };
    await writeFile(join(s1.store.dir, NAME), data.a);
    await s1.share(join(s1.store.dir, NAME));
    await writeFile(join(s2.store.dir, NAME), data.b);
    await s2.share(join(s2.store.dir, NAME));
    await searchUntil(placement[1], [rootOf(data.a), rootOf(data.b)]);
    await rm(join(s2.store.dir, NAME));
    await waitFor(
      'the owner to forget B',
      () => placement[0].versions.index.versions(NAME).every((v) => v.root !== rootOf(data.b)),
      10_000,
    );
    await searchUntil(placement[1], [rootOf(data.a)]);
  });

  it('a stranger publishing 1,000 versions of the name cannot make the owner keep more than the bound', async () => {
    await startPeers(6);
    const { placement, others } = roles();
    const owner = placement[0];
    const contents = await shareTwoVersions(others.slice(0, 2));
    const honest = [...contents.keys()];
    const records = (): string[] => owner.versions.index.versions(NAME).map((v) => v.root);
    await waitFor('both honest records', () => honest.every((s) => records().includes(s)), 10_000);

    // claims nobody serves are refused
    const liar = new VersionForger(NAME, 1, false);
    // one holder address: a node serves one version of a name, so it holds at most one slot
    const oneAddress = new VersionForger(NAME, 1);
    // many holder addresses: the bound holds, and the versions kept before stay
    const manyAddresses = new VersionForger(NAME, 24);
    try {
      await Promise.all([liar.listen(), oneAddress.listen(), manyAddresses.listen()]);
      await liar.publish(owner.self, 50);
      assert.equal(liar.answers.get('error:VERIFY_FAILED'), 50);
      assert.deepEqual(records().sort(), [...honest].sort());

      await oneAddress.publish(owner.self, 1000);
      assert.equal(oneAddress.answers.get('ok'), 1000, 'each claim checked out');
      assert.equal(records().length, 3, 'one address keeps one version slot');

      await manyAddresses.publish(owner.self, 1000);
      const kept = records();
      assert.equal(kept.length, MAX_CHORD_VERSIONS);
      assert.ok(
        honest.every((s) => kept.includes(s)),
        'the versions kept before the flood are still there',
      );
      for (const peer of peers) assert.ok(peer.versions.index.versions(NAME).length <= MAX_CHORD_VERSIONS);
      await eventuallySearch(others[2], (rs) => honest.every((s) => rs.some((r) => r.root === s)));
    } finally {
      await Promise.all([liar.close(), oneAddress.close(), manyAddresses.close()]);
    }
  });

  /** Searches from `from` until `ok` holds for the results. */
  async function eventuallySearch(
    from: ChordPeer,
    ok: (results: SearchResultEvent[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<SearchResultEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const results = await from.search(NAME).catch(() => []);
      if (ok(results)) return results;
      if (Date.now() > deadline) assert.fail(`search never satisfied: ${JSON.stringify(results)}`);
      await sleep(100);
    }
  }
});

/** A port free right now on 127.0.0.1 (the joiner listens on it next). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

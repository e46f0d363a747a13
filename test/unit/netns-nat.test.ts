// Peers behind real NAT, in the namespaces of support/nat-lab.ts: a "public" segment with the
// metaserver and two homes, each behind its own masquerading router (nobody can dial in). With
// --allow-relay each home peer is admitted as relayed, and a file in home A is found and
// downloaded, verified, by a peer in home B through the metaserver's relay; a holder or the relay
// killed mid-transfer leaves the GET to another holder; with --punch the relayed link moves to a
// punched direct path mid-GET and the GET outlives the relay. Chord nodes do the same across the
// homes: one ring, a verified GET, a killed holder, a punched ring link. Needs root (or `sudo -n`)
// and nft; everything is removed in every case.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { hashToId, inHalfOpen, nodeIdOf } from '@node-core/chord/id';
import type { TopologyPeer } from '@node-core/topology';
import { waitFor } from './flood-fixture';
import { NatLab, PUBLIC_ADDRESS as PUBLIC, type NatPeer } from './support/nat-lab';
import { rootOf } from './support/file-root';

const CLI = resolve(__dirname, '../../dist/p2p-node.js');
const FAST = ['--heartbeat-ms', '300'];

describe('netns: peers behind NAT reach each other through the relay', function () {
  this.timeout(120_000);
  let nat: NatLab;
  let root = '';

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    nat = await NatLab.create(2, CLI);
    root = await mkdtemp(join(tmpdir(), 'p2p-nat-'));
  });

  after(async () => {
    await nat?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A peer in home `home` (or on the public segment), admitted as relayed if it cannot be dialed back. */
  function peer(
    home: number | 'public',
    id: string,
    port: number,
    files: Record<string, Buffer> = {},
    extra: string[] = [],
  ): Promise<NatPeer> {
    const where =
      home === 'public' ? { ns: nat.pub, host: PUBLIC } : { ns: nat.homes[home].ns, host: nat.homes[home].address };
    return nat.peer({ ...where, root, metaserverPort: port }, id, files, [
      ...(home === 'public' ? [] : ['--allow-relay']),
      '--max-upload',
      '4M',
      ...extra,
      ...FAST,
    ]);
  }

  async function topology(port: number): Promise<TopologyPeer[]> {
    const out = await nat.netns.inNs(nat.pub, 'node', CLI, 'topo', '--metaserver', `${PUBLIC}:${port}`, '--json');
    return (JSON.parse(out) as { peers: TopologyPeer[] }).peers;
  }

  /** Waits until `a` and `b` both report their link to the metaserver, each end saying it is `path`. */
  async function linkReported(port: number, a: string, b: string, path: 'relayed' | 'direct'): Promise<void> {
    const says = (peers: TopologyPeer[], from: string, to: string): boolean => {
      const end = peers.find((p) => p.id === from);
      return !!end?.neighbors.includes(to) && end.relayedLinks?.includes(to) === (path === 'relayed');
    };
    await waitFor(
      `${a} and ${b} to report their link ${path}`,
      async () => {
        const peers = await topology(port);
        return says(peers, a, b) && says(peers, b, a);
      },
      15_000,
    );
  }

  /** Searches from `searcher` until every one of `holders` is named for `name`; returns the event index after. */
  async function searchUntilHeld(searcher: NatPeer, name: string, holders: string[], ms = 15_000): Promise<number> {
    let from = searcher.proc.events.length;
    await waitFor(
      `${name} found held by ${holders.join(', ')}`,
      async () => {
        searcher.proc.send(`SEARCH ${name}`);
        const named = (e: { name: string }): boolean => e.name === name;
        const answer = await Promise.race(
          [
            searcher.proc.next('search-result', named, 5000, from),
            searcher.proc.next('not-found', named, 5000, from),
          ].map((p) => p.catch(() => undefined)),
        );
        from = searcher.proc.events.length;
        const found = answer?.event === 'search-result' ? answer.holders.map((h) => h.id) : [];
        if (holders.every((id) => found.includes(id))) return true;
        await sleep(200); // one search at a time, a few a second: the ring has copies to place meanwhile
        return false;
      },
      ms,
    );
    return from;
  }

  it('a peer in home B finds and downloads, verified, a file in home A; a killed holder falls back', async () => {
    // the caller's namespace sees none of it
    assert.doesNotMatch(await nat.netns.ip('-o', 'addr', 'show'), /10\.78\./);
    const { ready: msReady } = await nat.metaserver(FAST);
    assert.ok(msReady.role === 'metaserver' && msReady.relayPort, 'the metaserver announces its relay port');
    const port = msReady.port;

    const small = randomBytes(3 * 1024 * 1024 + 11);
    const large = randomBytes(40 * 1024 * 1024 + 5);
    const a = await peer(0, 'home-a', port, { 'small.bin': small, 'large.bin': large });
    const b = await peer(1, 'home-b', port);
    for (const { ready } of [a, b]) {
      assert.ok(ready.role === 'peer' && ready.reachable === false && ready.relayed === true, JSON.stringify(ready));
    }
    await b.proc.next('neighbor-up', (e) => e.id === 'home-a', 15_000);
    const relayed = (await topology(port)).filter((p) => p.relayed).map((p) => p.id);
    assert.deepEqual(relayed.sort(), ['home-a', 'home-b']);
    // no --punch: the link stays on the relay, and both ends say so
    await linkReported(port, 'home-a', 'home-b', 'relayed');

    // home B has no route to home A: only the relay carries this
    b.proc.send('GET small.bin');
    const smallDone = await b.proc.next('download-complete', (e) => e.name === 'small.bin', 30_000);
    assert.deepEqual(smallDone.sources, ['home-a']);
    assert.equal(smallDone.root, rootOf(small));
    assert.ok((await readFile(smallDone.path)).equals(small), 'downloaded bytes differ');

    // a second holder on the public segment; home A dies mid-transfer, the GET finishes from it
    const { proc: open, ready: openReady } = await peer('public', 'public', port, { 'large.bin': large });
    assert.ok(openReady.role === 'peer' && openReady.reachable === true && !openReady.relayed);
    await open.next('neighbor-up', () => true, 15_000);
    const from = b.proc.events.length;
    b.proc.send('SEARCH large.bin');
    const found = await b.proc.next('search-result', (e) => e.name === 'large.bin', 15_000, from);
    assert.deepEqual(found.holders.map((h) => h.id).sort(), ['home-a', 'public']);
    b.proc.send('GET large.bin');
    await b.proc.next('download-progress', (e) => (e.sources?.['home-a'] ?? 0) >= 2 * 1024 * 1024, 30_000, from);
    await a.proc.kill();
    const done = await b.proc.next('download-complete', (e) => e.name === 'large.bin', 60_000, from);
    assert.equal(done.root, rootOf(large));
    assert.ok((await readFile(done.path)).equals(large), 'downloaded bytes differ');
  });

  it('chord: nodes in two homes form one ring; home B finds and downloads, verified, a file in home A', async () => {
    const { ready } = await nat.metaserver(FAST);
    const port = ready.port;
    // Fixed ports (each namespace has its own) fix the node ids, so the file can be named for a key
    // home A owns: its record stays in home A, and home B's GET is not answered by a copy of its own.
    const [aPort, bPort] = [41001, 41002];
    const name = nameOwnedBy(nodeIdOf(nat.homes[0].address, aPort), nodeIdOf(nat.homes[1].address, bPort));
    const large = randomBytes(24 * 1024 * 1024 + 9);
    const chord = (p: number): string[] => ['--mode', 'chord', '--port', String(p)];
    const a = await peer(0, 'chord-a', port, { [name]: large }, chord(aPort));
    const b = await peer(1, 'chord-b', port, {}, chord(bPort));
    for (const { ready: r } of [a, b]) {
      assert.ok(r.role === 'peer' && r.mode === 'chord' && r.relayed === true, JSON.stringify(r));
    }
    // B's GET races the ring's own copy to B (A's replica duty): they share one download, from A
    const from = await searchUntilHeld(b, name, ['chord-a']);
    b.proc.send(`GET ${name}`);
    const done = await b.proc.next('download-complete', (e) => e.name === name, 60_000, from);
    assert.deepEqual(done.sources, ['chord-a']);
    assert.equal(done.root, rootOf(large));
    assert.ok((await readFile(done.path)).equals(large), 'downloaded bytes differ');

    // one ring: each home is the other's successor and predecessor, as both report to the metaserver
    await waitFor(
      'a ring of the two homes',
      async () => {
        const peers = await topology(port);
        const pointsAt = (id: string, other: string): boolean => {
          const ring = peers.find((p) => p.id === id)?.chord;
          return ring?.successors[0] === other && ring.predecessor === other;
        };
        return pointsAt('chord-a', 'chord-b') && pointsAt('chord-b', 'chord-a');
      },
      20_000,
    );
    // neither home can dial the other: each end's ring link runs through the relay, and says so
    await linkReported(port, 'chord-a', 'chord-b', 'relayed');
  });

  it('chord: a ring across both homes and the public segment; home A killed mid-GET, the GET verifies', async () => {
    const { ready } = await nat.metaserver(FAST);
    const port = ready.port;
    // Four nodes at fixed ports: the file is named for a key home B's successor owns, so its owner and
    // two replicas are the three others and home B holds no copy before its GET
    const ports = { a: 41021, b: 41022, p1: 41023, p2: 41024 };
    const ids = [nodeIdOf(nat.homes[0].address, ports.a), nodeIdOf(PUBLIC, ports.p1), nodeIdOf(PUBLIC, ports.p2)];
    const bId = nodeIdOf(nat.homes[1].address, ports.b);
    const name = nameOwnedBy(successorOf(bId, ids), bId);
    const large = randomBytes(16 * 1024 * 1024 + 7);
    const chord = (p: number): string[] => ['--mode', 'chord', '--port', String(p)];
    await peer('public', 'chord-p1', port, {}, chord(ports.p1));
    await peer('public', 'chord-p2', port, {}, chord(ports.p2));
    const a = await peer(0, 'chord-home-a', port, { [name]: large }, chord(ports.a));
    const b = await peer(1, 'chord-home-b', port, {}, chord(ports.b));
    // placing the owner's copy and two replicas at --max-upload 4M takes a while
    const from = await searchUntilHeld(b, name, ['chord-home-a', 'chord-p1', 'chord-p2'], 45_000);
    b.proc.send(`GET ${name}`);
    // bytes from home A reach home B through the relay; then home A dies
    await b.proc.next('download-progress', (e) => (e.sources?.['chord-home-a'] ?? 0) >= 2 * 1024 * 1024, 30_000, from);
    await a.proc.kill();
    assert.ok(!b.proc.events.slice(from).some((e) => e.event === 'download-complete'), 'killed mid-GET');
    const done = await b.proc.next('download-complete', (e) => e.name === name, 60_000, from);
    assert.ok(done.sources.includes('chord-home-a'), JSON.stringify(done.sources));
    assert.ok(
      done.sources.some((s) => s.startsWith('chord-p')),
      JSON.stringify(done.sources),
    );
    assert.equal(done.root, rootOf(large));
    assert.ok((await readFile(done.path)).equals(large), 'downloaded bytes differ');
  });

  it("chord with --punch: the ring link moves direct, both ends report it so; the ring's copy verifies", async () => {
    const { proc: ms, ready } = await nat.metaserver(FAST);
    const port = ready.port;
    const content = randomBytes(8 * 1024 * 1024 + 5);
    const chord = ['--mode', 'chord', '--punch'];
    await peer(0, 'punch-chord-a', port, { 'punched.bin': content }, chord);
    const b = await peer(1, 'punch-chord-b', port, {}, chord);
    // each end's ring connection came up through the relay, moved to a punched path, and was reported again
    await ms.next('relay-circuit', (e) => e.ended === 'closed', 15_000);
    await linkReported(port, 'punch-chord-a', 'punch-chord-b', 'direct');
    await b.proc.next('punch', (e) => e.peer === 'punch-chord-a' && e.ok, 15_000);
    // in a ring of two, each node holds every key or its replica: home B fetched the file, verified
    const copy = await b.proc.next('file-added', (e) => e.name === 'punched.bin', 30_000);
    assert.equal(copy.root, rootOf(content));
    assert.ok((await readFile(copy.path)).equals(content), 'the copy differs');
    const router = nat.homes[0].router;
    assert.match(await nat.established(nat.homes[1].ns, router), new RegExp(router.replaceAll('.', '\\.')));
  });

  it('the relay killed mid-GET: the GET finishes from another holder, verified, not named early', async () => {
    const { proc: ms, ready } = await nat.metaserver(FAST);
    const port = ready.port;
    const large = randomBytes(24 * 1024 * 1024 + 7);
    await peer(0, 'relayed-holder', port, { 'large.bin': large });
    const open = await peer('public', 'open-holder', port, { 'large.bin': large });
    const b = await peer(1, 'relay-getter', port);
    await b.proc.next('neighbor-up', () => true, 15_000);
    await open.proc.next('neighbor-up', () => true, 15_000);
    const from = b.proc.events.length;
    b.proc.send('SEARCH large.bin');
    const found = await b.proc.next('search-result', (e) => e.name === 'large.bin', 15_000, from);
    assert.deepEqual(found.holders.map((h) => h.id).sort(), ['open-holder', 'relayed-holder']);
    b.proc.send('GET large.bin');
    const relayedPart = (e: { sources?: Record<string, number> }): boolean =>
      (e.sources?.['relayed-holder'] ?? 0) >= 2 * 1024 * 1024;
    await b.proc.next('download-progress', relayedPart, 30_000, from);
    const target = join(b.dir, 'Downloads', 'large.bin');
    await ms.kill();
    assert.equal(existsSync(target), false, 'nothing under the final name before it verifies');
    const done = await b.proc.next('download-complete', (e) => e.name === 'large.bin', 60_000, from);
    assert.ok(done.sources.includes('open-holder'), JSON.stringify(done.sources));
    assert.equal(done.root, rootOf(large));
    assert.ok((await readFile(target)).equals(large), 'downloaded bytes differ');
    assert.equal(existsSync(`${target}.part`), false, 'the .part is gone once the file verified');
  });

  it('with --punch, a relayed link moves direct mid-GET (DCUtR) and the GET outlives the relay', async () => {
    const { proc: ms, ready } = await nat.metaserver(FAST);
    const large = randomBytes(24 * 1024 * 1024 + 3);
    const a = await peer(0, 'punch-a', ready.port, { 'large.bin': large }, ['--punch']);
    const b = await peer(1, 'punch-b', ready.port, {}, ['--punch']);
    assert.ok(a.ready.role === 'peer' && a.ready.relayed && b.ready.role === 'peer' && b.ready.relayed);
    await b.proc.next('neighbor-up', (e) => e.id === 'punch-a', 15_000);
    // the overlay link came up relayed and moved: the relay ends its circuit
    await ms.next('relay-circuit', (e) => e.ended === 'closed', 15_000);
    // both ends report the moved link direct: the page draws it solid, though both are behind NAT
    await linkReported(ready.port, 'punch-a', 'punch-b', 'direct');
    const from = b.proc.events.length;
    const msFrom = ms.events.length;
    b.proc.send('GET large.bin');
    // the GET's link comes up through the relay, then moves direct while the GET goes on
    const moved = await ms.next(
      'relay-circuit',
      (e) => e.dialer === 'punch-b' && e.target === 'punch-a',
      15_000,
      msFrom,
    );
    assert.ok(moved.event === 'relay-circuit' && moved.bytes > 0 && moved.ended === 'closed', JSON.stringify(moved));
    assert.ok(!b.proc.events.slice(from).some((e) => e.event === 'download-complete'), 'the GET is still under way');
    await b.proc.next('punch', (e) => e.peer === 'punch-a' && e.ok, 10_000, from);
    // the relay goes: the moved link carries the rest of the same GET
    await ms.kill();
    const done = await b.proc.next('download-complete', (e) => e.name === 'large.bin', 60_000, from);
    assert.deepEqual(done.sources, ['punch-a']);
    assert.equal(done.root, rootOf(large));
    assert.ok((await readFile(done.path)).equals(large), 'downloaded bytes differ');
    // a direct link: home B holds a TCP connection to home A's router, with no metaserver left
    const router = nat.homes[0].router;
    assert.match(await nat.established(nat.homes[1].ns, router), new RegExp(router.replaceAll('.', '\\.')));
  });
});

/** A file name whose chord key falls in (other, owner]: `owner` owns it in a ring of the two. */
function nameOwnedBy(owner: bigint, other: bigint): string {
  for (let i = 0; ; i++) {
    const name = `ring-${i}.bin`;
    if (inHalfOpen(hashToId(name), other, owner)) return name;
  }
}

/** The first of `ids` after `id` on the ring (the successor `id` would have among them). */
function successorOf(id: bigint, ids: bigint[]): bigint {
  const sorted = [...ids].sort((x, y) => (x < y ? -1 : 1));
  return sorted.find((other) => other > id) ?? sorted[0];
}

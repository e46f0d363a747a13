// Chord peers and the metaserver: peers join the ring through its referrals, and its topology
// carries each peer's ring view (TopologyPeer.chord) with successor + predecessor as the drawn
// links. Once the ring stands, lookups and downloads keep working with the metaserver down.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { hashToId, idToHex } from '@node-core/chord/id';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import { MetadataServer } from '@node-core/metaserver/metadata-server';
import { randomKey, ringIsExact, trueOwner, waitFor } from './chord-harness';

describe('chord peers with the metaserver', function () {
  this.timeout(30_000);
  let metaserver: MetadataServer | undefined;
  let peers: ChordPeer[] = [];
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chord-meta-'));
  });

  afterEach(async () => {
    await Promise.all(peers.map((p) => p.close()));
    peers = [];
    await metaserver?.close();
    metaserver = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** `count` random keys, each looked up from the next peer, name the true owner. */
  async function assertLookupsExact(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const key = randomKey();
      const event = await peers[i % peers.length].lookup(idToHex(key));
      const want = trueOwner(
        key,
        peers.map((p) => p.self),
      ).id;
      assert.equal(event.owner.id, want, `lookup ${i}`);
    }
  }

  /** A metaserver and n chord peers registered with it, ring settled. */
  async function startNetwork(prefix: string, n: number): Promise<MetadataServer> {
    const server = new MetadataServer({ port: 0 });
    metaserver = server; // closed by afterEach even if a peer below fails to start
    const address = await server.listen();
    for (let i = 0; i < n; i++) {
      const peer = new ChordPeer({
        id: `${prefix}${i}`,
        dir: join(root, `${prefix}${i}`),
        metaserver: address,
        timings: FAST_TIMINGS,
      });
      peers.push(peer);
      await peer.start();
    }
    await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    return server;
  }

  it('joins through referrals; the topology carries predecessor, successors and fingers', async () => {
    metaserver = await startNetwork('m', 6);
    const expected = (p: ChordPeer) => ({
      succ: p.ring.node.successor.id,
      pred: p.ring.node.predecessor?.id,
    });
    await waitFor(
      'the metaserver to draw the ring',
      () => {
        const snapshot = metaserver?.snapshot().peers ?? [];
        return peers.every((p) => {
          const drawn = snapshot.find((t) => t.id === p.self.id);
          const { succ, pred } = expected(p);
          return (
            drawn?.mode === 'chord' &&
            drawn.chord?.successors[0] === succ &&
            drawn.chord.predecessor === pred &&
            drawn.neighbors.includes(succ) &&
            drawn.neighbors.includes(pred ?? '')
          );
        });
      },
      10_000,
    );
    const drawn = metaserver.snapshot().peers.find((t) => t.id === 'm0');
    assert.equal(drawn?.chord?.nodeId, idToHex(peers[0].self.nodeId));
    assert.ok((drawn?.chord?.fingers.length ?? 0) > 0);
    const topo = peers[0].topology();
    assert.equal(topo.successors?.[0].id, peers[0].ring.node.successor.id);
    assert.ok((topo.fingers?.length ?? 0) > 0 && /^[0-9a-f]{40}$/.test(topo.fingers?.[0].start ?? ''));
  });

  it('keeps looking up and downloading while the metaserver is down', async () => {
    metaserver = await startNetwork('d', 5);
    await metaserver.close();
    metaserver = undefined;
    await assertLookupsExact(20);
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'src', 'notes.txt'), 'chord without a metaserver\n');
    await peers[0].share(join(root, 'src', 'notes.txt'));
    // A reader outside the file's placement (owner + 2 successors), so no replica lands there meanwhile.
    const sorted = [...peers].sort((a, b) => (a.self.nodeId < b.self.nodeId ? -1 : 1));
    const k = sorted.findIndex(
      (p) =>
        p.self.id ===
        trueOwner(
          hashToId('notes.txt'),
          peers.map((q) => q.self),
        ).id,
    );
    const placement = [0, 1, 2].map((d) => sorted[(k + d) % sorted.length]);
    const reader = peers.slice(1).find((p) => !placement.includes(p));
    assert.ok(reader, 'a peer outside the placement');
    const done = await reader.get('notes.txt');
    assert.equal(done.bytes, 27);
  });

  it('a node left alone rejoins the ring through the metaserver', async () => {
    metaserver = new MetadataServer({ port: 0 });
    const address = await metaserver.listen();
    const peer = (id: string, extra: Partial<ConstructorParameters<typeof ChordPeer>[0]>): ChordPeer => {
      const p = new ChordPeer({ id, dir: join(root, id), timings: FAST_TIMINGS, ...extra });
      peers.push(p);
      return p;
    };
    // `lonely` registers first and is alone; `other` starts a ring of its own (no metaserver);
    // `bridge` registers but joins `other`'s ring with --join. Two rings, one metaserver.
    const lonely = peer('lonely', { metaserver: address });
    await lonely.start();
    const other = peer('other', {});
    await other.start();
    const bridge = peer('bridge', { metaserver: address, join: { host: other.self.host, port: other.self.port } });
    await bridge.start();
    await waitFor('one ring of all three', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
  });

  it('two rings merge when a peer joins one with --join and the metaserver refers it to the other', async () => {
    metaserver = await startNetwork('a', 4);
    const address = metaserver.address;
    // Ring B: four peers that know only each other (no metaserver).
    const ringB: ChordPeer[] = [];
    for (let i = 0; i < 4; i++) {
      const via = ringB[i - 1];
      const p = new ChordPeer({
        id: `b${i}`,
        dir: join(root, `b${i}`),
        timings: FAST_TIMINGS,
        join: via ? { host: via.self.host, port: via.self.port } : undefined,
      });
      peers.push(p);
      ringB.push(p);
      await p.start();
    }
    await waitFor('ring B', () => ringIsExact(ringB.map((p) => p.ring)), 10_000);
    assert.ok(!ringIsExact(peers.map((p) => p.ring)), 'two rings');
    const bridge = new ChordPeer({
      id: 'z',
      dir: join(root, 'z'),
      timings: FAST_TIMINGS,
      metaserver: address,
      join: { host: ringB[0].self.host, port: ringB[0].self.port },
    });
    peers.push(bridge);
    await bridge.start();
    await waitFor('one ring of 9', () => ringIsExact(peers.map((p) => p.ring)), 10_000);
    await assertLookupsExact(30);
  });
});

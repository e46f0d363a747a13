// The ring on real sockets: 16 in-process nodes, exact lookups, joins, graceful leaves and
// abrupt crashes. Lookups are checked against the owner computed here from the sorted ids.
import assert from 'node:assert/strict';
import type { ChordRing } from '@node-core/chord/chord-ring';
import {
  fingersAreExact,
  randomKey,
  ringIsExact,
  startNode,
  startRing,
  successorListsAreExact,
  trueOwner,
  waitFor,
} from './chord-harness';

describe('chord ring (real sockets)', function () {
  this.timeout(30_000);
  let rings: ChordRing[] = [];

  afterEach(async () => {
    await Promise.all(rings.map((r) => r.close()));
    rings = [];
  });

  async function assertLookupsExact(count: number): Promise<number[]> {
    const nodes = rings.map((r) => r.self);
    const hops: number[] = [];
    for (let i = 0; i < count; i++) {
      const key = randomKey();
      const origin = rings[i % rings.length];
      const { owner, hops: h } = await origin.lookup(key);
      assert.equal(owner.id, trueOwner(key, nodes).id, `lookup ${i} from ${origin.self.id}`);
      hops.push(h);
    }
    return hops;
  }

  it('a 16-node ring names the true owner of 100 random keys', async () => {
    rings = await startRing(16);
    await waitFor('the ring to be exact', () => ringIsExact(rings), 10_000);
    await waitFor('fingers to be exact', () => fingersAreExact(rings), 15_000);
    const hops = await assertLookupsExact(100);
    const mean = hops.reduce((a, b) => a + b, 0) / hops.length;
    assert.ok(mean <= 0.5 * Math.log2(16) + 1, `mean hops ${mean}`);
  });

  it('joins: lookups are exact right after each join, with no settling', async () => {
    rings = await startRing(10);
    await waitFor('the first ring', () => ringIsExact(rings), 10_000);
    for (let i = 0; i < 6; i++) {
      rings.push(await startNode({}, rings[i]));
      // No settling: a joiner links both neighbours to itself before its join returns.
      await assertLookupsExact(20);
    }
    await waitFor('the grown ring', () => ringIsExact(rings), 10_000);
    await assertLookupsExact(100);
  });

  it('graceful leaves: neighbours re-link at once, lookups stay exact', async () => {
    rings = await startRing(12);
    await waitFor('the ring', () => ringIsExact(rings), 10_000);
    const leaving = rings.splice(2, 4);
    await Promise.all(leaving.map((r) => r.leave()));
    await waitFor('the ring without the leavers', () => ringIsExact(rings), 5_000);
    await assertLookupsExact(100);
  });

  it('crash of 4 of 16 nodes at once: the successor lists route around, the ring repairs', async () => {
    rings = await startRing(16, { successorListLength: 6 });
    await waitFor('the ring', () => ringIsExact(rings), 10_000);
    // A settled ring: successor lists too (they trail the successor pointers by a few rounds).
    await waitFor('the successor lists', () => successorListsAreExact(rings), 10_000);
    // Four adjacent nodes: the hardest case for a successor list (needs more than 4 entries).
    const sorted = [...rings].sort((a, b) => (a.self.nodeId < b.self.nodeId ? -1 : 1));
    const victims = sorted.slice(5, 9);
    rings = rings.filter((r) => !victims.includes(r));
    await Promise.all(victims.map((r) => r.crash()));
    // Right away, before stabilize repaired anything: a lookup whose answer names a dead node
    // falls through to the next live successor, so it is already exact.
    await assertLookupsExact(50);
    await waitFor('the ring to repair', () => ringIsExact(rings), 10_000);
    await waitFor('fingers to repair', () => fingersAreExact(rings), 15_000);
    await assertLookupsExact(100);
  });

  it('with a network key: members authenticate, a node with the wrong key cannot join', async () => {
    const keyed = { extra: { key: 'ring-secret' } };
    rings = [await startNode(keyed)];
    for (let i = 0; i < 4; i++) rings.push(await startNode(keyed, rings[i]));
    await waitFor('the keyed ring', () => ringIsExact(rings), 10_000);
    await assertLookupsExact(20);
    await assert.rejects(
      startNode({ extra: { key: 'wrong' } }, rings[0]),
      (err: Error & { code?: string }) => err.code === 'AUTH_FAILED',
    );
    await assert.rejects(startNode({}, rings[0]), (err: Error & { code?: string }) => err.code === 'AUTH_FAILED');
  });

  it("successor list 'auto': about log2 N long, from the ring's density", async function () {
    this.timeout(50_000);
    rings = await startRing(32, { successorListLength: 'auto' });
    await waitFor('the ring', () => ringIsExact(rings), 10_000);
    // Each node estimates N from its own list, so lengths scatter around log2 32 + 1 = 6.
    const lengths = (): number[] => rings.map((r) => r.node.successors.capacity);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    await waitFor(
      'lists of about log2 N',
      () => lengths().every((l) => l >= 4 && l <= 10) && Math.abs(mean(lengths()) - 6) <= 1.5,
      10_000,
    );
    // lists that just grew fill in over a few stabilize rounds of 32 nodes: slower under load
    await waitFor('the successor lists', () => successorListsAreExact(rings), 20_000);
    await assertLookupsExact(50);
  });
});

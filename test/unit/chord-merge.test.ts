// Two rings that grew apart merge into one once a node of one learns of a node of the other
// (ring-merge.ts), on real sockets: successor and predecessor pointers become the true ones of
// the union and lookups from every node name the true owner. A stranger's merge hints are
// bounded: one walk visits each node once, whatever `ttl` it claims.
import assert from 'node:assert/strict';
import type { ChordRing } from '@node-core/chord/chord-ring';
import { nodeIdOf } from '@node-core/chord/id';
import { toNodeRef } from '@node-core/chord/remote';
import { dial, ephemeralSecurity, P2PError, WireServer } from '@node-core/wire';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomKey, ringIsExact, startRing, trueOwner, waitFor } from './chord-harness';

/** Waits until `count()` stays the same for `quietMs` (the work it counts has ended), at most `timeoutMs`. */
async function quietFor(count: () => number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`still counting after ${timeoutMs} ms`);
    await sleep(50);
    if (count() !== last) [last, since] = [count(), Date.now()];
  }
}

describe('chord ring merge (real sockets)', function () {
  this.timeout(60_000);
  let rings: ChordRing[] = [];
  const servers: WireServer[] = [];

  afterEach(async () => {
    await Promise.all([...rings.map((r) => r.close()), ...servers.splice(0).map((s) => s.close())]);
    rings = [];
  });

  async function assertLookupsExactFromEveryNode(keys: number): Promise<void> {
    const nodes = rings.map((r) => r.self);
    for (let i = 0; i < keys; i++) {
      const key = randomKey();
      const want = trueOwner(key, nodes).id;
      const owners = await Promise.all(rings.map((r) => r.lookup(key)));
      owners.forEach(({ owner }, k) => assert.equal(owner.id, want, `key ${i} looked up from ${rings[k].self.id}`));
    }
  }

  async function twoRings(size: number): Promise<[ChordRing[], ChordRing[]]> {
    const a = await startRing(size);
    rings.push(...a);
    const b = await startRing(size);
    rings.push(...b);
    await waitFor('ring A', () => ringIsExact(a), 10_000);
    await waitFor('ring B', () => ringIsExact(b), 10_000);
    return [a, b];
  }

  it('two rings of 8 merge after one node meets a node of the other ring; 100 keys exact from every node', async () => {
    const [a, b] = await twoRings(8);
    assert.ok(!ringIsExact(rings), 'two separate rings are not one ring');
    const started = Date.now();
    assert.equal(await a[3].meet(b[5].self), true, 'the meeting node finds another ring and starts a walk');
    await waitFor('one ring of 16', () => ringIsExact(rings), 10_000);
    const mergedMs = Date.now() - started;
    await assertLookupsExactFromEveryNode(100);
    assert.ok(mergedMs < 10_000, `merged in ${mergedMs} ms`);
  });

  it('meeting a node of its own ring changes nothing and starts no walk', async () => {
    const [a] = await twoRings(6);
    const before = a.map((r) => r.node.successor.nodeId);
    assert.equal(await a[0].meet(a[4].self), false);
    assert.deepEqual(
      a.map((r) => r.node.successor.nodeId),
      before,
    );
  });

  it('a stranger’s merge hints: one walk visits each node once, its ttl capped; the ring stays exact', async () => {
    rings = await startRing(8);
    await waitFor('the ring', () => ringIsExact(rings), 10_000);
    // A contact that counts the lookups it is asked for and refuses each.
    let stepsAsked = 0;
    const contact = new WireServer({ security: ephemeralSecurity('fake') }); // the id the hints name it by
    servers.push(contact);
    contact.on('connection', (conn) =>
      conn.setHandler((incoming, c) => {
        if (incoming.msg.t === 'chord-step') stepsAsked++;
        if (incoming.msg.rid !== undefined) c.replyError(incoming, new P2PError('PROTOCOL', 'no')).catch(() => 0);
      }),
    );
    const where = await contact.listen('127.0.0.1', 0);
    const fake = { id: 'fake', host: '127.0.0.1', port: where.port, nodeId: nodeIdOf('127.0.0.1', where.port) };
    const origin = { id: 'origin', host: '127.0.0.1', port: 1, nodeId: nodeIdOf('127.0.0.1', 1) };
    const stranger = await dial(rings[0].self, {});
    try {
      for (let i = 0; i < 50; i++) {
        const answer = await stranger.request({
          t: 'chord-merge',
          origin: toNodeRef(origin),
          contacts: [toNodeRef(fake), toNodeRef(fake), toNodeRef(fake)],
          ttl: 0xffffffff,
        });
        assert.equal(answer.msg.t, 'ok');
      }
      // The walk goes once round the 8 nodes: each asks the contact once (contacts past 2 ignored).
      await waitFor('the walk to reach every node', () => stepsAsked >= rings.length, 10_000);
      await quietFor(() => stepsAsked, 1000, 10_000);
      assert.ok(stepsAsked <= 2 * rings.length, `${stepsAsked} lookups for 50 hints of one walk`);
    } finally {
      stranger.close();
    }
    assert.ok(ringIsExact(rings));
    await assertLookupsExactFromEveryNode(20);
  });
});

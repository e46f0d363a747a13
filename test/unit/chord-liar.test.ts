// One lying node in a Chord ring, written against the wire (hostile-chord.ts): it claims every
// key, names wrong owners, or announces a node id that is not SHA-1 of its address. Lookups
// from honest nodes must still name the true owner: a claim is checked against the owner's
// neighbours (owner-claim.ts) and a false id is refused at the door (remote.ts fromNodeRef).
// bench/chord-liar.bench.ts prints the same figures for a larger ring.
import assert from 'node:assert/strict';
import { toNodeRef } from '@node-core/chord/remote';
import { ringIsExact, startRing, waitFor } from './chord-harness';
import { RawPeer } from './hostile-wire';
import { measureLiar } from './liar-ring';

describe('chord: one lying node cannot hand out keys', function () {
  this.timeout(60_000);

  it('a node that claims every key: no lookup names it for a key it does not own', async () => {
    const f = await measureLiar(12, 150, 'claims-every-key');
    assert.ok(f.liarNeighbours > 0, 'the liar was in the ring');
    assert.ok(f.lies > 0, 'lookups went through the liar');
    assert.equal(f.wrong, 0, JSON.stringify(f));
    assert.ok(f.failed <= 3, JSON.stringify(f));
  });

  it('a node that names wrong owners: every lookup still names the true owner', async () => {
    const f = await measureLiar(12, 150, 'names-wrong-owner');
    assert.ok(f.lies > 0, 'lookups went through the liar');
    assert.equal(f.wrong, 0, JSON.stringify(f));
    assert.ok(f.failed <= 3, JSON.stringify(f));
  });

  it('a node with a false id is refused by every honest node and never named', async () => {
    const f = await measureLiar(12, 150, 'false-node-id');
    assert.equal(f.liarNeighbours, 0, 'nobody took it in');
    assert.equal(f.wrong, 0, JSON.stringify(f));
    assert.equal(f.failed, 0, JSON.stringify(f));
  });

  it("a node cannot join under a live node's id: a notify claiming it from another address is refused", async () => {
    const rings = await startRing(3, { successorListLength: 4 });
    try {
      await waitFor('the ring', () => ringIsExact(rings), 10_000);
      const [a, b] = rings;
      const raw = await RawPeer.connect(a.self);
      const impostor = { ...toNodeRef(b.self), port: b.self.port === 1 ? 2 : 1 };
      const answer = await raw.request({ t: 'chord-notify', node: impostor });
      assert.equal(answer.t, 'error');
      assert.equal(answer.code, 'PROTOCOL');
      assert.match(String(answer.message), /is not SHA-1 of/);
      raw.close();
      assert.ok(ringIsExact(rings), 'the ring is untouched');
    } finally {
      await Promise.all(rings.map((r) => r.close()));
    }
  });
});

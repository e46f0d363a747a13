// Search and transfer reports feed the topology page: only a registered peer's reports about
// itself pass, at a bounded rate. The guard alone with a made-up clock, then a hostile peer
// speaking the wire by hand (hostile-wire.ts) against a real metaserver.
import assert from 'node:assert/strict';
import { ActivityGuard, SEARCH_REPORTS_PER_SECOND } from '@node-core/metaserver/activity-guard';
import type { BridgeMessage } from '@node-core/topology';
import { FloodFixture } from './flood-fixture';
import { RawPeer } from './hostile-wire';
import { registerByHand } from './support/register-by-hand';

const qid = 'ab'.repeat(12);

describe('activity reports: a peer speaks only for itself, at a bounded rate', function () {
  this.timeout(20_000);

  it('ActivityGuard: own searches and downloads pass; others, strangers and bursts are dropped', () => {
    let now = 0;
    const announced: BridgeMessage[] = [];
    const registered = new Set(['a', 'b']);
    const guard = new ActivityGuard({ has: (id) => registered.has(id), announce: (m) => announced.push(m) }, () => now);
    const search = (origin: string, path: string[]) =>
      guard.search('a', { t: 'activity-search', origin, name: 'x.txt', qid, path });
    search('a', ['a']);
    search('b', ['b']); // someone else's search
    search('a', ['b']); // a path that does not start at the reporter
    search('a', ['a', 'ghost']); // a hop that is not a registered peer
    const transfer = (from: string, to: string) =>
      guard.transfer('a', { t: 'activity-transfer', from, to, name: 'x.txt', bytes: 1, total: 2, done: false });
    transfer('b', 'a');
    transfer('a', 'b'); // a download of another peer
    transfer('ghost', 'a'); // from nobody registered
    transfer('a', 'a'); // from itself
    assert.deepEqual(
      announced.map((m) => m.type),
      ['search', 'transfer'],
    );
    assert.equal(guard.dropped, 6);
    // a burst: the bucket's 2 s worth pass, then the rate
    announced.length = 0;
    now = 60_000;
    for (let i = 0; i < 1000; i++) search('a', ['a']);
    assert.equal(announced.length, 2 * SEARCH_REPORTS_PER_SECOND);
    now += 1000;
    for (let i = 0; i < 1000; i++) search('a', ['a']);
    assert.equal(announced.length, 3 * SEARCH_REPORTS_PER_SECOND);
  });

  describe('against a real metaserver', () => {
    const fixture = new FloodFixture();
    const cleanup: Array<() => unknown> = [];
    afterEach(async () => {
      for (const close of cleanup.splice(0).reverse()) await close();
      await fixture.cleanup();
    });

    it("a hostile peer cannot report others' searches or downloads, nor flood the page with its own", async () => {
      const meta = await fixture.metaserver();
      const seen: BridgeMessage[] = [];
      meta.onChange((m) => {
        if (m.type === 'search' || m.type === 'transfer') seen.push(m);
      });
      await fixture.peer('honest', { metaserver: meta.address });
      const hostile = await registerByHand(meta, 'hostile', cleanup);
      const started = Date.now();
      for (let i = 0; i < 300; i++) {
        hostile.send({ t: 'activity-search', origin: 'honest', name: 'bait.txt', qid, path: ['honest'] });
        hostile.send({
          t: 'activity-transfer',
          from: 'hostile',
          to: 'honest',
          name: 'bait.txt',
          bytes: 1,
          total: 1,
          done: true,
        });
        hostile.send({ t: 'activity-search', origin: 'hostile', name: 'own.txt', qid, path: ['hostile'] });
      }
      // once the metaserver answers on that connection it has read the whole burst
      assert.equal((await hostile.request({ t: 'referrals-get' })).t, 'referrals');
      const elapsed = (Date.now() - started) / 1000;
      assert.ok(seen.length >= 1, 'its own first search passed');
      assert.ok(
        seen.every((m) => m.type === 'search' && m.origin === 'hostile'),
        JSON.stringify(seen.find((m) => m.type !== 'search' || m.origin !== 'hostile')),
      );
      assert.ok(
        seen.length <= 2 * SEARCH_REPORTS_PER_SECOND + Math.ceil(elapsed * SEARCH_REPORTS_PER_SECOND),
        `${seen.length} relayed in ${elapsed} s`,
      );
      assert.ok(meta.activity.dropped >= 900 - seen.length);
    });

    it('reports from a connection that never registered are dropped', async () => {
      const meta = await fixture.metaserver();
      const seen: BridgeMessage[] = [];
      meta.onChange((m) => seen.push(m));
      await fixture.peer('honest', { metaserver: meta.address });
      const stranger = await RawPeer.connect(meta.address);
      cleanup.push(() => stranger.close());
      stranger.send({ t: 'activity-search', origin: 'honest', name: 'x.txt', qid, path: ['honest'] });
      assert.equal((await stranger.request({ t: 'referrals-get' })).t, 'referrals');
      assert.deepEqual(
        seen.filter((m) => m.type === 'search'),
        [],
      );
    });
  });
});

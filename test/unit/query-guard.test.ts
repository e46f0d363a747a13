// Queries cannot be aimed at others. A hostile neighbour speaks the wire by hand
// (hostile-wire.ts): a TTL of 255 is lowered, an `origin` naming a third party never makes a
// holder dial it (hits go back along the query's path), 5,000 queries in 0.1 s get the link
// cut (and logged), and a join under a live neighbour's id is refused. The seen-query memory
// and the per-link bucket are checked on their own too.
import assert from 'node:assert/strict';
import type { NodeEvent } from '@node-core/events';
import type { FloodPeer } from '@node-core/flood/flood-peer';
import { MAX_TTL, QueryBucket } from '@node-core/flood/query-guard';
import { SeenQueries } from '@node-core/flood/seen-queries';
import { ephemeralSecurity } from '@node-core/wire';
import { FloodFixture, waitFor } from './flood-fixture';
import { closedPort, CountingListener, RawPeer } from './hostile-wire';

/** A raw neighbour of `peer`: joined under `id`, claiming an address where nothing listens. */
async function hostileNeighbor(peer: FloodPeer, id: string): Promise<RawPeer> {
  const raw = await RawPeer.connect(peer.address, { id });
  const answer = await raw.request({ t: 'join', id, host: '127.0.0.1', port: await closedPort() });
  assert.equal(answer.t, 'welcome', JSON.stringify(answer));
  return raw;
}

describe('query guard: the seen-query memory and the per-link bucket', () => {
  it('keeps every id for its whole time; when full it refuses new ids and still knows the old', () => {
    const seen = new SeenQueries(3, 1000);
    assert.equal(seen.remember('a', 0), 'new');
    assert.equal(seen.remember('b', 10), 'new');
    assert.equal(seen.remember('c', 20), 'new');
    assert.equal(seen.remember('d', 30), 'full');
    for (const qid of ['a', 'b', 'c']) assert.equal(seen.remember(qid, 40), 'seen');
    assert.equal(seen.remember('d', 1005), 'new', 'a expired, so there is room');
    assert.equal(seen.remember('a', 1006), 'full', 'b and c are still fresh');
    assert.equal(seen.remember('a', 1015), 'new', 'b expired');
  });

  it('passes a burst, throttles beyond it, cuts a link that keeps going, forgives at the rate', () => {
    const bucket = new QueryBucket({ perSecond: 10, burst: 5 }, 0);
    const verdicts = Array.from({ length: 12 }, () => bucket.take(0));
    assert.deepEqual(verdicts.slice(0, 5), ['pass', 'pass', 'pass', 'pass', 'pass']);
    assert.deepEqual(verdicts.slice(5, 10), ['throttle', 'throttle', 'throttle', 'throttle', 'throttle']);
    assert.equal(verdicts[11], 'cut');
    const calm = new QueryBucket({ perSecond: 10, burst: 5 }, 0);
    for (let i = 0; i < 100; i++) assert.equal(calm.take(i * 100), 'pass', 'one query per 100 ms is within 10/s');
  });
});

describe('query guard: hostile neighbours on the wire', function () {
  this.timeout(20_000);
  const net = new FloodFixture();
  const third = new CountingListener();
  afterEach(async () => {
    await net.cleanup();
    await third.close().catch(() => undefined);
  });

  it('lowers TTL 255, and a hit for an origin naming a third party goes back along the path', async () => {
    const a = await net.peer('a');
    const holder = await net.peer('holder', { join: a.address }, { 'f.txt': 'hello' });
    await waitFor('holder linked', () => a.neighbors().some((n) => n.id === 'holder'));
    const victim = await third.listen();
    const attacker = await hostileNeighbor(a, 'attacker');
    const observer = await hostileNeighbor(a, 'observer');
    const origin = { id: 'victim', ...victim };
    attacker.send({ t: 'query', qid: 'aa01', name: 'f.txt', ttl: 255, origin, path: ['victim'] });
    const forwarded = await observer.next((h) => h.t === 'query');
    assert.equal(forwarded.ttl, MAX_TTL - 1);
    const hit = await attacker.next((h) => h.t === 'hit');
    assert.equal(hit.qid, 'aa01');
    assert.deepEqual(hit.holder, holder.address);
    assert.equal(third.connections, 0, 'nobody dialed the address the query named');
    attacker.close();
    observer.close();
  });

  it('cuts a link that sends 5,000 queries in 0.1 s, logs it, refuses its return; the rest still works', async () => {
    const a = await net.peer('a');
    const events: NodeEvent[] = [];
    a.on('event', (e) => events.push(e));
    const holder = await net.peer('holder', { join: a.address }, { 'f.txt': 'hello' });
    const searcher = await net.peer('searcher', { join: a.address });
    await waitFor('linked', () => a.neighbors().length === 2);
    const victim = await third.listen();
    const flooder = await hostileNeighbor(a, 'flooder');
    const origin = { id: 'victim', ...victim };
    const started = Date.now();
    for (let i = 0; i < 5000 && !flooder.closed; i++) {
      flooder.send({ t: 'query', qid: i.toString(16).padStart(8, '0'), name: 'f.txt', ttl: 7, origin });
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(Date.now() - started < 1000, 'the queries went out in a burst');
    await flooder.whenClosed();
    const notice = await flooder.next((h) => h.t === 'error').catch(() => undefined);
    if (notice) assert.equal(notice.code, 'RATE_LIMITED');
    await waitFor('the cut is logged', () => events.some((e) => e.event === 'error' && e.code === 'RATE_LIMITED'));
    assert.ok(!a.neighbors().some((n) => n.id === 'flooder'));
    assert.equal(third.connections, 0, 'no holder dialed the named origin');
    const again = await RawPeer.connect(a.address, { id: 'flooder', identity: flooder.identity });
    const refused = await again.request({ t: 'join', id: 'flooder', host: '127.0.0.1', port: await closedPort() });
    assert.equal(refused.code, 'RATE_LIMITED');
    again.close();
    await waitFor('searches still work', async () => (await searcher.search('f.txt')).length === 1);
    assert.equal(holder.neighbors().length > 0, true);
  });

  it("refuses a join under a live neighbour's id; the neighbour keeps its link", async () => {
    const a = await net.peer('a');
    const bSecurity = ephemeralSecurity('b');
    const b = await net.peer('b', { join: a.address, security: bSecurity }, { 'f.txt': 'hello' });
    await waitFor('b linked', () => a.neighbors().some((n) => n.id === 'b'));
    // another key under b's id is refused at the handshake; b's own key, joining twice, at the join
    await assert.rejects(RawPeer.connect(a.address, { id: 'b' }), (err: { code?: string }) => {
      return err.code === 'KEY_CHANGED';
    });
    const impostor = await RawPeer.connect(a.address, { id: 'b', identity: bSecurity.identity });
    const answer = await impostor.request({ t: 'join', id: 'b', host: b.address.host, port: b.address.port });
    assert.equal(answer.t, 'error');
    assert.equal(answer.code, 'DUPLICATE_ID');
    impostor.close();
    assert.deepEqual(
      a.neighbors().map((n) => n.id),
      ['b'],
    );
    assert.equal((await a.search('f.txt')).length, 1);
  });
});

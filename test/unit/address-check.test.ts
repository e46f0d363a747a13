// The metaserver refers newcomers only to addresses it has dialed back and found the registrant
// at. Hostile registrants speak the wire by hand (hostile-wire.ts): one claims a live peer's
// address, one an address nobody answers at, one a closed port; each gets ADDRESS_UNVERIFIED at
// registration and never appears in a referral. Honest flood and chord peers still register.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import type { MetadataServer } from '@node-core/metaserver';
import { FloodFixture, waitFor } from './flood-fixture';
import { closedPort, RawPeer, type Header } from './hostile-wire';

const CHECK_MS = 700;

/** Registers by hand under `id` at `claimed`, answering the challenge like an honest client would. */
async function registerByHand(ms: MetadataServer, id: string, claimed: { host: string; port: number }) {
  const raw = await RawPeer.connect(ms.address, { id });
  const started = Date.now();
  const rid = 1;
  raw.send({ t: 'register', rid, id, host: claimed.host, port: claimed.port, mode: 'flood', flag: 'p2p' });
  const challenge = await raw.next((h) => h.t === 'address-challenge' || h.re === rid);
  if (challenge.t === 'address-challenge') raw.reply(challenge, { t: 'ok' });
  const answer: Header = challenge.re === rid ? challenge : await raw.next((h) => h.re === rid, 3 * CHECK_MS + 2000);
  return { raw, answer, ms: Date.now() - started };
}

describe('address check: the metaserver verifies the addresses it refers', function () {
  this.timeout(20_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it("refuses a registrant claiming a live peer's address; newcomers are never sent there", async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const victim = await net.peer('victim', { metaserver: ms.address });
    const { raw, answer } = await registerByHand(ms, 'liar', victim.address);
    assert.equal(answer.t, 'error');
    assert.equal(answer.code, 'ADDRESS_UNVERIFIED');
    assert.match(String(answer.message), /not the one registering/);
    await raw.whenClosed();
    assert.equal(ms.registry.has('liar'), false);
    const newcomer = await net.peer('newcomer', { metaserver: ms.address });
    await waitFor('newcomer linked to the victim', () => newcomer.neighbors().some((n) => n.id === 'victim'));
    assert.deepEqual(
      ms.snapshot().peers.map((p) => p.id),
      ['victim', 'newcomer'],
    );
  });

  it('refuses an address nobody answers at (10.9.9.9:80) within the check timeout', async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const { raw, answer, ms: took } = await registerByHand(ms, 'ghost', { host: '10.9.9.9', port: 80 });
    assert.equal(answer.code, 'ADDRESS_UNVERIFIED');
    assert.match(String(answer.message), /10\.9\.9\.9:80/);
    assert.ok(took < 3 * CHECK_MS + 1000, `took ${took} ms`);
    raw.close();
    assert.equal(ms.registry.size, 0);
  });

  it('refuses a closed port on 127.0.0.1, and a registrant that ignores the challenge', async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const port = await closedPort();
    const closed = await registerByHand(ms, 'closed', { host: '127.0.0.1', port });
    assert.equal(closed.answer.code, 'ADDRESS_UNVERIFIED');
    closed.raw.close();
    // a registrant that never acknowledges its token, claiming a real peer's address
    const honest = await net.peer('honest', { metaserver: ms.address });
    const silent = await RawPeer.connect(ms.address, { id: 'silent' });
    const answer = await silent.request(
      { t: 'register', id: 'silent', host: honest.address.host, port: honest.address.port, mode: 'flood', flag: 'p2p' },
      3 * CHECK_MS + 2000,
    );
    assert.equal(answer.code, 'ADDRESS_UNVERIFIED');
    silent.close();
    assert.deepEqual(
      ms.snapshot().peers.map((p) => p.id),
      ['honest'],
    );
  });

  it('a registrant cannot take an id while its address is being checked', async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const first = await RawPeer.connect(ms.address, { id: 'x' });
    first.send({ t: 'register', rid: 1, id: 'x', host: '10.9.9.9', port: 80, mode: 'flood', flag: 'p2p' });
    await first.next((h) => h.t === 'address-challenge');
    // the same key: another key under "x" is refused at the handshake (KEY_CHANGED, see below)
    const second = await RawPeer.connect(ms.address, { id: 'x', identity: first.identity });
    const answer = await second.request({
      t: 'register',
      id: 'x',
      host: '10.9.9.9',
      port: 81,
      mode: 'flood',
      flag: 'p2p',
    });
    assert.equal(answer.code, 'DUPLICATE_ID');
    first.close();
    second.close();
  });

  it('honest chord peers prove their address too', async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const peers: ChordPeer[] = [];
    try {
      for (const id of ['c1', 'c2']) {
        const peer = new ChordPeer({
          id,
          dir: join(await net.tempDir(), id),
          metaserver: ms.address,
          timings: FAST_TIMINGS,
        });
        peers.push(peer);
        await peer.start();
      }
      assert.deepEqual(
        ms
          .snapshot()
          .peers.map((p) => p.id)
          .sort(),
        ['c1', 'c2'],
      );
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });
});

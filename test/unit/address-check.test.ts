// The metaserver refers newcomers only to addresses it has dialed back and found the registrant
// at. Hostile registrants speak the wire by hand (hostile-wire.ts): one claims a live peer's
// address, one an address nobody answers at, one a closed port; each gets ADDRESS_UNVERIFIED at
// registration and never appears in a referral. Honest flood and chord peers still register.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import type { MetadataServer } from '@node-core/metaserver';
import { FloodFixture, waitFor } from './flood-fixture';
import { closedPort, RawPeer, type Header } from './hostile-wire';
import { encodeFrame, FrameDecoder, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import { helloFrame, rawTlsServer } from './raw-wire';

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

  it('refuses an address where nothing answers (a listener that never speaks) within the check timeout', async () => {
    // the loopback stand-in for a far address that swallows packets: tests never leave 127.0.0.1
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const silent = await silentListener();
    try {
      const { raw, answer, ms: took } = await registerByHand(ms, 'ghost', silent.address);
      assert.equal(answer.code, 'ADDRESS_UNVERIFIED');
      assert.ok(String(answer.message).includes(`127.0.0.1:${silent.address.port}`), String(answer.message));
      assert.ok(took < 3 * CHECK_MS + 1000, `took ${took} ms`);
      raw.close();
      assert.equal(ms.registry.size, 0);
    } finally {
      await silent.close();
    }
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

  it("refuses a listener that shows the token under the registrant's id but holds another key", async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    // an accomplice the registrant handed its token to: same id, its own key pair
    let token = '';
    const accomplice = rawTlsServer(NodeIdentity.ephemeral(), (socket) => {
      socket.on('error', () => undefined);
      const decoder = new FrameDecoder();
      socket.on('data', (bytes: Buffer) => {
        for (const { header } of decoder.push(bytes)) {
          const h = header as Header;
          if (h.t === 'hello') void helloFrame(socket, { id: 'twin' }, 'listener').then((f) => socket.write(f));
          if (h.t === 'address-check')
            socket.write(encodeFrame({ v: PROTOCOL_VERSION, t: 'address-proof', re: h.rid, token }));
        }
      });
    });
    await new Promise<void>((resolve) => accomplice.listen(0, '127.0.0.1', resolve));
    try {
      const port = (accomplice.address() as AddressInfo).port;
      const raw = await RawPeer.connect(ms.address, { id: 'twin' });
      raw.send({ t: 'register', rid: 1, id: 'twin', host: '127.0.0.1', port, mode: 'flood', flag: 'p2p' });
      const challenge = await raw.next((h) => h.t === 'address-challenge');
      token = String(challenge.token);
      raw.reply(challenge, { t: 'ok' });
      const answer = await raw.next((h) => h.re === 1, 3 * CHECK_MS + 2000);
      assert.equal(answer.code, 'ADDRESS_UNVERIFIED');
      assert.match(String(answer.message), /not the one registering/);
      raw.close();
      assert.equal(ms.registry.has('twin'), false);
    } finally {
      await new Promise<void>((resolve) => accomplice.close(() => resolve()));
    }
  });

  it('a registrant cannot take an id while its address is being checked', async () => {
    const ms = await net.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const silent = await silentListener();
    const first = await RawPeer.connect(ms.address, { id: 'x' });
    first.send({ t: 'register', rid: 1, id: 'x', ...silent.address, mode: 'flood', flag: 'p2p' });
    await first.next((h) => h.t === 'address-challenge');
    // the same key: another key under "x" is refused at the handshake (KEY_CHANGED, see below)
    const second = await RawPeer.connect(ms.address, { id: 'x', identity: first.identity });
    const answer = await second.request({
      t: 'register',
      id: 'x',
      ...silent.address,
      mode: 'flood',
      flag: 'p2p',
    });
    assert.equal(answer.code, 'DUPLICATE_ID');
    first.close();
    second.close();
    await silent.close();
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

/** A TCP listener on 127.0.0.1 that accepts and never sends a byte (a peer that does not answer). */
async function silentListener(): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: { host: '127.0.0.1', port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// Relayed links on loopback: a peer that announces an address nobody can dial (127.0.0.3, where
// it does not listen: the loopback stand-in for a home behind NAT) registers with --allow-relay,
// is admitted as relayed, and is found and downloaded from through the metaserver's relay, with
// the same verification as a direct link. The relay sees only TLS records: a relay that flips
// bytes makes the handshake fail with a clear error. The relay's caps (circuits per peer, bytes
// per circuit, idle circuits, unknown tokens) are driven with raw sockets and the preamble.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChordPeer, type ChordPeerOptions } from '@node-core/chord/chord-peer';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import * as net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { PeerRef, PunchEvent, ReachabilityEvent, SearchResultEvent } from '@node-core/events';
import { RelayHub } from '@node-core/relay/relay-hub';
import type { TopologyPeer } from '@node-core/topology';
import { encodePreamble, newRelayToken } from '@node-core/relay/relay-preamble';
import { dial, ephemeralSecurity, P2PError, type RelayRoute } from '@node-core/wire';
import { FloodPeer } from '@node-core/flood/flood-peer';
import { FAST, FloodFixture, waitFor } from './flood-fixture';
import { RawPeer } from './hostile-wire';
import { linkRelayed } from '../../webview/src/link-path';
import { registerByHand } from './support/register-by-hand';
import { rootOf } from './support/file-root';

const UNREACHABLE_HOST = '127.0.0.3';
const CHECK_MS = 700;

describe('relay: peers behind NAT reached through the metaserver', function () {
  this.timeout(30_000);
  const net_ = new FloodFixture();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await net_.cleanup();
  });

  it('admits an unreachable peer as relayed; a search and a verified GET reach it through the relay', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const hidden = await net_.peer(
      'hidden',
      { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true, chunkSize: 256 * 1024 },
      { 'behind-nat.bin': content },
    );
    const snapshot = ms.snapshot().peers.find((p) => p.id === 'hidden');
    assert.equal(snapshot?.relayed, true, 'the metaserver marks it relayed');
    assert.equal(hidden.address.host, UNREACHABLE_HOST);
    const visible = await net_.peer('visible', { metaserver: ms.address, allowRelay: true });
    assert.equal(ms.snapshot().peers.find((p) => p.id === 'visible')?.relayed, undefined, 'reachable: not relayed');
    await waitFor('the two linked (through the relay)', () => visible.neighbors().some((n) => n.id === 'hidden'));

    const [found] = await visible.search('behind-nat.bin');
    assert.deepEqual(
      found.holders.map((h) => h.id),
      ['hidden'],
    );
    const done = await visible.get('behind-nat.bin', { result: found });
    assert.equal(done.root, rootOf(content, 256 * 1024));
    assert.ok((await readFile(done.path)).equals(content));
    assert.ok(ms.relay.stats.circuitsOpened >= 1, 'the relay carried the link');
  });

  it('chord: a relayed node joins the ring; its file is found and replicated through the relay', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const content = randomBytes(1024 * 1024 + 3);
    const hiddenDir = await net_.tempDir();
    await writeFile(join(hiddenDir, 'ring.bin'), content);
    const start = async (id: string, dir: string, extra: Partial<ChordPeerOptions>): Promise<ChordPeer> => {
      const peer = new ChordPeer({ id, dir, metaserver: ms.address, timings: FAST_TIMINGS, ...extra });
      cleanups.push(() => peer.close());
      await peer.start();
      return peer;
    };
    const hidden = await start('hidden', hiddenDir, { advertise: UNREACHABLE_HOST, allowRelay: true });
    assert.equal(ms.registry.isRelayed('hidden'), true);
    const visible = await start('visible', await net_.tempDir(), {});
    await waitFor('a ring of two', () => visible.topology().successors?.[0]?.id === 'hidden', 10_000);
    await hidden.share(join(hiddenDir, 'ring.bin'));
    let found: SearchResultEvent[] = [];
    await waitFor('the file found', async () => (found = await visible.search('ring.bin')).length > 0, 10_000);
    assert.ok(found[0].holders.some((h) => h.id === 'hidden'));
    // in a ring of two the other node owns or replicates every key: it fetched the file, verified, through the relay
    const root = rootOf(content);
    await waitFor(
      'the replica on the reachable node',
      async () => (await visible.files()).files.some((f) => f.name === 'ring.bin' && f.root === root),
      10_000,
    );
    assert.ok(ms.relay.stats.circuitsOpened >= 1);
  });

  it('chord: a newcomer dials a referral the metaserver admitted as relayed through the relay at once', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const hidden = new ChordPeer({
      id: 'hidden',
      dir: await net_.tempDir(),
      metaserver: ms.address,
      timings: FAST_TIMINGS,
      advertise: UNREACHABLE_HOST,
      allowRelay: true,
    });
    cleanups.push(() => hidden.close());
    await hidden.start();
    // Where a direct dial to `hidden` would land: counted and cut, as a NAT that answers would.
    const directDials: net.Socket[] = [];
    const trap = net.createServer((socket) => directDials.push(socket.destroy()));
    trap.listen(hidden.self.port, UNREACHABLE_HOST);
    await once(trap, 'listening');
    cleanups.push(() => new Promise((resolve) => trap.close(resolve)));
    const newcomer = new ChordPeer({
      id: 'newcomer',
      dir: await net_.tempDir(),
      metaserver: ms.address,
      timings: FAST_TIMINGS,
    });
    cleanups.push(() => newcomer.close());
    await newcomer.start();
    await waitFor('a ring of two', () => newcomer.topology().successors?.[0]?.id === 'hidden', 10_000);
    assert.equal(directDials.length, 0, 'no direct dial to an address the metaserver found unreachable');
  });

  it('chord: nodes report the ring links they reach through the relay; the topology draws them relayed', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const start = async (id: string, extra: Partial<ChordPeerOptions> = {}): Promise<ChordPeer> => {
      const peer = new ChordPeer({
        id,
        dir: await net_.tempDir(),
        metaserver: ms.address,
        timings: FAST_TIMINGS,
        ...extra,
      });
      cleanups.push(() => peer.close());
      await peer.start();
      return peer;
    };
    await start('hidden', { advertise: UNREACHABLE_HOST, allowRelay: true });
    await start('open-1');
    await start('open-2');
    // a ring of three: every node links to both others (successor and predecessor)
    const everyone = ['hidden', 'open-1', 'open-2'];
    const reported = (): TopologyPeer[] => ms.snapshot().peers;
    await waitFor(
      'every node reports both others as ring links, with their paths',
      () =>
        reported().length === 3 &&
        reported().every(
          (p) => p.relayedLinks && p.neighbors.length === 2 && p.neighbors.every((n) => everyone.includes(n)),
        ),
      15_000,
    );
    // the reachable nodes dial the hidden one through the relay; it dials them directly
    const relayedSeenBy = (peers: TopologyPeer[], id: string): string | undefined =>
      peers.find((p) => p.id === id)?.relayedLinks?.join();
    await waitFor('the relayed paths reported', () =>
      ['open-1', 'open-2'].every((id) => relayedSeenBy(reported(), id) === 'hidden'),
    );
    const peers = new Map(reported().map((p) => [p.id, p]));
    assert.deepEqual(peers.get('hidden')?.relayedLinks, [], JSON.stringify(peers.get('hidden')));
    const drawnRelayed = (a: string, b: string): boolean => linkRelayed(peers.get(a), peers.get(b));
    assert.equal(drawnRelayed('open-1', 'hidden'), true);
    assert.equal(drawnRelayed('open-2', 'hidden'), true);
    assert.equal(drawnRelayed('open-1', 'open-2'), false, 'a link between reachable nodes is direct');
  });

  it('a punch the other side refuses leaves the link relayed; the GET still verifies, without waiting', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const content = randomBytes(256 * 1024 + 9);
    const behindNat = { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true };
    await net_.peer('no-punch', behindNat, { 'refused.bin': content });
    const puncher = new FloodPeer({ ...FAST, ...behindNat, id: 'puncher', dir: await net_.tempDir(), punch: true });
    net_.peers.push(puncher);
    const punches: PunchEvent[] = [];
    puncher.on('event', (e) => e.event === 'punch' && punches.push(e));
    const started = performance.now();
    await puncher.start();
    const done = await puncher.get('refused.bin');
    assert.equal(done.root, rootOf(content));
    assert.ok(performance.now() - started < 5000, 'a refused punch costs no punch timeout');
    await waitFor('a punch was tried beside the relayed link', () => punches.length >= 1);
    assert.ok(
      punches.every((p) => !p.ok && /not punching/.test(p.message ?? '')),
      JSON.stringify(punches),
    );
  });

  it("a punch is coordinated only for the asker's own circuit, named by its own token", async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const hidden = { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true };
    await net_.peer('hidden', { ...hidden, punch: true });
    await net_.peer('other', hidden);
    const stranger = await registerByHand(ms, 'stranger', cleanups);
    const ticket = await stranger.request({ t: 'relay-connect', id: 'hidden' });
    assert.equal(ticket.t, 'relay-ticket');
    // port 1: nothing listens there, so the target's punch toward it is refused at once
    const punch = (id: string, token: string) => stranger.request({ t: 'punch-request', id, port: 1, token });
    // a made-up token, or a real one for another target, names no circuit of the asker's
    for (const refused of [await punch('hidden', newRelayToken()), await punch('other', String(ticket.token))]) {
      assert.ok(refused.t === 'error' && refused.code === 'PEER_UNREACHABLE', JSON.stringify(refused));
    }
    // its own circuit: the target is asked and answers the port it punches from
    const own = await punch('hidden', String(ticket.token));
    assert.equal(own.t, 'punch-go', JSON.stringify(own));
    assert.equal((own.peer as PeerRef).id, 'hidden');
  });

  it('an asker that leaves before its punch is answered leaves the metaserver serving', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    await net_.peer('hidden', { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true, punch: true });
    for (const id of ['quitter-1', 'quitter-2']) {
      const quitter = await registerByHand(ms, id, cleanups);
      const ticket = await quitter.request({ t: 'relay-connect', id: 'hidden' });
      // one asks for its own circuit (answered after the target replies), one for none (refused at once)
      const token = id === 'quitter-1' ? String(ticket.token) : newRelayToken();
      quitter.send({ t: 'punch-request', rid: 99, id: 'hidden', port: 1, token });
      quitter.close();
    }
    const asker = await registerByHand(ms, 'asker', cleanups);
    const ticket = await asker.request({ t: 'relay-connect', id: 'hidden' });
    const answer = await asker.request({ t: 'punch-request', id: 'hidden', port: 1, token: String(ticket.token) });
    assert.equal(answer.t, 'punch-go', JSON.stringify(answer));
  });

  it('a peer without --allow-relay is still refused at an address the metaserver cannot dial', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    await assert.rejects(
      net_.peer('refused', { metaserver: ms.address, advertise: UNREACHABLE_HOST }),
      (err: P2PError) => err.code === 'ADDRESS_UNVERIFIED',
    );
  });

  it('reports reachability in the ready event and again after a re-registration', async () => {
    const security = ephemeralSecurity('');
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS, security });
    const hidden = await net_.peer('hidden', { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true });
    assert.equal(ms.registry.isRelayed('hidden'), true);
    const seen: ReachabilityEvent[] = [];
    hidden.on('event', (e) => e.event === 'reachability' && seen.push(e));
    const port = ms.address.port;
    await ms.close();
    net_.servers.splice(0);
    await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS, port, security });
    await waitFor('a reachability event after re-registering', () => seen.length > 0, 10_000);
    assert.deepEqual(seen[0], {
      event: 'reachability',
      reachable: false,
      relayed: true,
      metaserverFingerprint: security.identity.fingerprint,
    });
  });

  it('a relay that flips bytes breaks the TLS handshake with a clear error, never a link', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const target = await net_.peer('target', { metaserver: ms.address });
    const flipper = await bytesFlippingProxy(target.address);
    cleanups.push(() => flipper.close());
    const route: RelayRoute = {
      prefers: () => true,
      open: () => connected(flipper.address),
      reachedThroughRelay: () => assert.fail('no link may come up through a tampering relay'),
    };
    await assert.rejects(
      dial(target.address, { expectId: 'target', relay: route, connectTimeoutMs: 3000 }),
      (err: P2PError) => err.code === 'HANDSHAKE_FAILED' && /TLS/.test(err.message),
    );
    assert.ok(flipper.flipped() > 0, 'the relay tampered with the stream');
  });

  it('opens no circuit to a relayed peer named at an address it did not register', async () => {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    const hidden = await net_.peer('hidden', { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true });
    const registered = { host: hidden.address.host, port: hidden.address.port };
    const liar = await registerByHand(ms, 'liar', cleanups);
    // a contact pairing the relayed peer's id with someone else's address (a liar's, or a stale one)
    for (const where of [
      { host: '127.0.0.1', port: registered.port },
      { host: registered.host, port: registered.port === 65535 ? 1 : registered.port + 1 },
    ]) {
      const answer = await liar.request({ t: 'relay-connect', id: 'hidden', ...where });
      assert.ok(answer.t === 'error' && answer.code === 'PEER_UNREACHABLE', JSON.stringify(answer));
      assert.match(String(answer.message), /registered at .*, not at/);
    }
    const ticket = await liar.request({ t: 'relay-connect', id: 'hidden', ...registered });
    assert.equal(ticket.t, 'relay-ticket', 'at its own address it is reached');
  });

  it('caps circuits per peer, refuses the relay to unregistered links and to reachable targets', async () => {
    const cap = 3;
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS, relay: { maxCircuitsPerPeer: cap } });
    await net_.peer('hidden', { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true });
    await net_.peer('open', { metaserver: ms.address });
    const stranger = await RawPeer.connect(ms.address, { id: 'stranger' });
    cleanups.push(() => stranger.close());
    const unregistered = await stranger.request({ t: 'relay-connect', id: 'hidden' });
    assert.equal(unregistered.t, 'error');

    const client = net_.peers[1] as unknown as { metaserver: { relayTicket(peer: PeerRef): Promise<unknown> } };
    const refOf = (id: string): PeerRef => ({ id, ...(ms.registry.addressOf(id) ?? assert.fail(`${id} registered`)) });
    await assert.rejects(
      client.metaserver.relayTicket(refOf('open')),
      (err: P2PError) => err.code === 'PEER_UNREACHABLE',
    );
    // tickets that nobody uses still count until they expire: the cap is reached within `cap` more
    let refused: P2PError | undefined;
    for (let i = 0; i <= cap && !refused; i++) {
      await client.metaserver.relayTicket(refOf('hidden')).catch((err: P2PError) => (refused = err));
    }
    assert.equal(refused?.code, 'RATE_LIMITED');
  });
});

describe('relay hub: splices, counts and caps circuits', function () {
  this.timeout(15_000);
  let hub: RelayHub;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await hub.close();
  });

  const endOf = async (token: string): Promise<net.Socket> => {
    const socket = await connected({ host: '127.0.0.1', port: hub.port });
    sockets.push(socket);
    socket.on('error', () => undefined); // the hub resets what it refuses: an outcome, not a failure
    socket.write(encodePreamble(token));
    return socket;
  };

  it('carries bytes both ways unchanged and counts them', async () => {
    hub = new RelayHub();
    await hub.listen('127.0.0.1');
    const tickets = hub.open('a', 'b');
    const a = await endOf(tickets.dialerToken);
    const b = await endOf(tickets.targetToken);
    const payload = randomBytes(256 * 1024);
    a.write(payload);
    assert.ok((await readBytes(b, payload.length)).equals(payload));
    b.write('pong');
    assert.equal((await readBytes(a, 4)).toString(), 'pong');
    a.destroy();
    await waitFor('the circuit ends', () => hub.stats.circuitsOpen === 0);
    assert.equal(hub.stats.bytesCarried, payload.length + 4);
  });

  it('cuts a circuit past its byte cap, drops an idle one, and ignores unknown or reused tokens', async () => {
    hub = new RelayHub({ maxBytesPerCircuit: 64 * 1024, idleMs: 300, pairTimeoutMs: 500 });
    await hub.listen('127.0.0.1');
    // each end reads (and drops) what it gets, so it sees the relay's close
    const end = async (token: string): Promise<net.Socket> => (await endOf(token)).resume();
    const capped = hub.open('a', 'b');
    const a = await end(capped.dialerToken);
    const b = await end(capped.targetToken);
    a.write(randomBytes(128 * 1024));
    await Promise.all([once(a, 'close'), once(b, 'close')]);
    assert.equal(hub.stats.ended.capped, 1);

    const idle = hub.open('a', 'b');
    const c = await end(idle.dialerToken);
    await end(idle.targetToken);
    await once(c, 'close');
    assert.equal(hub.stats.ended.idle, 1);

    const stranger = await end(newRelayToken());
    await once(stranger, 'close');
    const reused = await end(idle.dialerToken);
    await once(reused, 'close');
    const lonely = hub.open('a', 'b');
    const waiting = await end(lonely.dialerToken);
    await once(waiting, 'close');
    assert.equal(hub.stats.ended.unpaired, 1);
  });
});

function connected(address: { host: string; port: number }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address, () => resolve(socket));
    socket.once('error', reject);
  });
}

function readBytes(socket: net.Socket, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      got += chunk.length;
      if (got < count) return;
      socket.off('data', onData);
      socket.pause();
      resolve(Buffer.concat(parts).subarray(0, count));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${got} of ${count} bytes`)));
  });
}

/** A TCP proxy to `target` that flips one bit in every chunk coming back from it. */
async function bytesFlippingProxy(target: PeerRef): Promise<{
  address: { host: string; port: number };
  flipped: () => number;
  close: () => Promise<void>;
}> {
  let flips = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.once('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      const copy = Buffer.from(chunk);
      copy[copy.length - 1] ^= 0x01;
      flips++;
      client.write(copy);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port },
    flipped: () => flips,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

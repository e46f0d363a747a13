// The `relayed` mark on Chord contacts, on loopback. A node behind NAT (announcing 127.0.0.3,
// where it does not listen) marks its own contact; nodes that learn it from the ring, not from
// the metaserver, dial it through the relay at once, with no direct attempt at its announced
// address. A hostile node (raw wire) that marks a reachable node relayed costs only a circuit
// the metaserver refuses: the dial goes on to the announced address and the link is direct.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { ChordPeer, type ChordPeerOptions } from '@node-core/chord/chord-peer';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import { toNodeRef } from '@node-core/chord/remote';
import type { ChordNodeRef } from '@node-core/events';
import type { MetadataServer } from '@node-core/metaserver/metadata-server';
import { FloodFixture, waitFor } from './flood-fixture';
import { decodeMessage, P2PError, PROTOCOL_VERSION } from '@node-core/wire';
import { RawPeer } from './hostile-wire';

const UNREACHABLE_HOST = '127.0.0.3';
const CHECK_MS = 700;
/** No periodic referral meetings: a node may learn of others only through the ring. */
const RING_ONLY_TIMINGS = { ...FAST_TIMINGS, replicateMs: 60_000 };

describe('chord: contacts say when a node is reached through the relay', function () {
  this.timeout(30_000);
  const fixture = new FloodFixture();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await fixture.cleanup();
  });

  const start = async (ms: MetadataServer, id: string, extra: Partial<ChordPeerOptions> = {}): Promise<ChordPeer> => {
    const dir = await fixture.tempDir();
    const peer = new ChordPeer({ id, dir, metaserver: ms.address, timings: RING_ONLY_TIMINGS, ...extra });
    cleanups.push(() => peer.close());
    await peer.start();
    return peer;
  };

  it('nodes that learn a relayed node from the ring dial it through the relay, never its address', async () => {
    const ms = await fixture.metaserver({ addressCheckTimeoutMs: CHECK_MS });
    // Where a direct dial to the hidden node lands, bound before it exists so nothing misses it;
    // counted from its registration on (the metaserver's address check comes before).
    const trap = await directDialTrap();
    cleanups.push(() => trap.close());
    const open = await start(ms, 'open');
    const joiner = await start(ms, 'joiner', { join: open.self });
    await waitFor('a ring of two', () => joiner.topology().successors?.[0]?.id === 'open', 10_000);
    ms.on('peer-registered', (id) => id === 'hidden' && trap.arm());
    const hidden = await start(ms, 'hidden', { advertise: UNREACHABLE_HOST, allowRelay: true, port: trap.port });
    assert.equal(ms.registry.isRelayed('hidden'), true);

    const ring = [open, joiner, hidden];
    await waitFor('a ring of three', () => ringOfThree(ring), 10_000);
    // each reachable node is the hidden one's successor or predecessor: both dial it
    await waitFor('both reachable nodes reached it', () => ms.relay.stats.circuitsOpened >= 2, 10_000);
    assert.equal(trap.dials(), 0, 'no direct dial to the announced address of a relayed node');

    // the mark travels with the contact: a node passes it on in its answers
    const raw = await RawPeer.connect(open.self, { id: 'asker' });
    cleanups.push(() => raw.close());
    const answer = await raw.request({ t: 'chord-neighbors-get' });
    const named = [...(answer.successors as ChordNodeRef[]), answer.predecessor as ChordNodeRef];
    const hiddenRefs = named.filter((ref) => ref.id === 'hidden');
    assert.ok(hiddenRefs.length > 0, JSON.stringify(answer));
    assert.ok(
      hiddenRefs.every((ref) => ref.relayed === true),
      JSON.stringify(answer),
    );
    assert.ok(
      named.filter((ref) => ref.id !== 'hidden').every((ref) => ref.relayed === undefined),
      'a reachable node is not marked',
    );
  });

  it('a hostile node that marks a reachable node relayed costs a refused circuit; the link is direct', async () => {
    // no referrals: the nodes meet only through what the hostile node tells
    const ms = await fixture.metaserver({ addressCheckTimeoutMs: CHECK_MS, maxReferrals: 0 });
    const target = await start(ms, 'target');
    const victim = await start(ms, 'victim');
    assert.equal(ms.registry.isRelayed('target'), false);

    const liar = await RawPeer.connect(victim.self, { id: 'liar' });
    cleanups.push(() => liar.close());
    const marked = { ...toNodeRef(target.self), relayed: true };
    const answer = await liar.request({ t: 'chord-notify', node: marked });
    assert.equal(answer.t, 'ok', JSON.stringify(answer));
    // a lone node takes a notifier as its first successor, mark and all, and dials it at once
    assert.equal(victim.topology().successors?.[0]?.relayed, true, 'the false mark was taken');

    await waitFor(
      'a ring of two',
      () => victim.topology().successors?.[0]?.id === 'target' && target.topology().successors?.[0]?.id === 'victim',
      10_000,
    );
    const view = victim.ring.topologyView();
    assert.ok(view.neighbors.includes('target'), JSON.stringify(view));
    assert.deepEqual(view.relayed, [], 'the link to the reachable node is direct');
    assert.equal(ms.relay.stats.circuitsOpened, 0, 'the metaserver opened no circuit to a reachable node');
  });

  it('a hostile node that unmarks a relayed node costs a direct try; the relay still reaches it', async () => {
    const ms = await fixture.metaserver({ addressCheckTimeoutMs: CHECK_MS, maxReferrals: 0 });
    // a NAT that takes the connection and never answers: the direct dial waits out its timeout
    const trap = await directDialTrap({ silent: true });
    cleanups.push(() => trap.close());
    const hidden = await start(ms, 'hidden', { advertise: UNREACHABLE_HOST, allowRelay: true, port: trap.port });
    assert.equal(ms.registry.isRelayed('hidden'), true);
    const victim = await start(ms, 'victim');
    trap.arm();

    const liar = await RawPeer.connect(victim.self, { id: 'liar' });
    cleanups.push(() => liar.close());
    const { relayed, ...unmarked } = toNodeRef(hidden.self);
    assert.equal(relayed, true, 'the hidden node marks itself');
    const answer = await liar.request({ t: 'chord-notify', node: unmarked });
    assert.equal(answer.t, 'ok', JSON.stringify(answer));
    await waitFor(
      'a ring of two',
      () => victim.topology().successors?.[0]?.id === 'hidden' && hidden.topology().successors?.[0]?.id === 'victim',
      15_000,
    );
    await waitFor('the victim reached it through the relay', () => ms.relay.stats.circuitsOpened >= 1, 10_000);
    assert.ok(trap.dials() >= 1, 'the unmarked contact was dialed directly first');
  });
});

describe('chord: the relayed mark at the door', () => {
  const ref = { id: 'n1', host: '127.0.0.3', port: 4000, nodeId: 'a'.repeat(40) };
  const notify = (node: object): unknown => decodeMessage({ v: PROTOCOL_VERSION, t: 'chord-notify', node }, []);

  it('takes a boolean mark on a chordRef, nested ones too, and refuses any other value', () => {
    assert.deepEqual((notify({ ...ref, relayed: true }) as { node: object }).node, { ...ref, relayed: true });
    const answer = { v: PROTOCOL_VERSION, t: 'chord-neighbors', re: 1, successors: [{ ...ref, relayed: false }] };
    assert.equal(decodeMessage(answer, []).t, 'chord-neighbors');
    for (const relayed of ['yes', 1, null, {}]) {
      assert.throws(
        () => notify({ ...ref, relayed }),
        (err: unknown) => err instanceof P2PError && err.code === 'PROTOCOL',
      );
    }
  });
});

/** Each node's successor and predecessor are the two others. */
function ringOfThree(peers: ChordPeer[]): boolean {
  return peers.every((peer) => {
    const { successors, predecessor } = peer.topology();
    const others = peers.filter((p) => p !== peer).map((p) => p.self.id);
    const linked = [successors?.[0]?.id, predecessor?.id];
    return others.every((id) => linked.includes(id));
  });
}

/**
 * A listener at the unreachable host that, once armed, counts every connection, and cuts it (a NAT
 * that refuses) or, `silent`, holds it unanswered (one that drops) until closed.
 */
async function directDialTrap(
  options: { silent?: boolean } = {},
): Promise<{ port: number; arm(): void; dials(): number; close(): Promise<void> }> {
  let armed = false;
  let dials = 0;
  const held = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    if (armed) dials++;
    if (!options.silent) {
      socket.destroy();
      return;
    }
    held.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => held.delete(socket));
  });
  server.listen(0, UNREACHABLE_HOST);
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    arm: () => {
      armed = true;
    },
    dials: () => dials,
    close: () => {
      for (const socket of held) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

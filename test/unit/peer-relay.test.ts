// Peer-offered relays on loopback (relay/circuit-broker.ts): the metaserver's own relay is full, a
// reachable peer started with relayForOthers (`--relay-for-others`) carries the circuit instead, and
// a peer behind "NAT" (announcing 127.0.0.3, where nothing listens) is searched and downloaded from
// through it, verified; the helper reports what it carried. Hostile clients on the raw wire: a
// registered stranger that asks for circuit after circuit meets the helper's link cap, one that
// opens a circuit and sends nothing is dropped at the helper's idle timeout, and `relay-host`
// from anyone but the metaserver closes the link.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { RelayCircuitEvent } from '@node-core/events';
import type { FloodPeer } from '@node-core/flood/flood-peer';
import { encodePreamble } from '@node-core/relay/relay-preamble';
import { FloodFixture, waitFor } from './flood-fixture';
import { RawPeer } from './hostile-wire';
import { registerByHand } from './support/register-by-hand';
import { rootOf } from './support/file-root';

const UNREACHABLE_HOST = '127.0.0.3';
const CHECK_MS = 700;
const HELPER_CIRCUITS = 3;

describe('peer-offered relays: a reachable peer relays when the metaserver cannot', function () {
  this.timeout(30_000);
  const net_ = new FloodFixture();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await net_.cleanup();
  });

  /** A full metaserver relay, a helper relaying for others, and a hidden peer holding `files`. */
  async function network(files: Record<string, Buffer> = {}) {
    const ms = await net_.metaserver({ addressCheckTimeoutMs: CHECK_MS, relay: { maxCircuits: 0 } });
    const helper = await net_.peer('helper', {
      metaserver: ms.address,
      relayForOthers: { maxCircuits: HELPER_CIRCUITS, idleMs: 400 },
    });
    const relayed: RelayCircuitEvent[] = [];
    helper.on('event', (e) => e.event === 'relay-circuit' && relayed.push(e));
    const hidden = await net_.peer(
      'hidden',
      { metaserver: ms.address, advertise: UNREACHABLE_HOST, allowRelay: true },
      files,
    );
    return { ms, helper, hidden, relayed };
  }

  it('carries a search and a verified GET to a relayed peer, and reports what it carried', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 5);
    const { ms, relayed } = await network({ 'helped.bin': content });
    const getter = await net_.peer('getter', { metaserver: ms.address });
    const done = await getter.get('helped.bin');
    assert.equal(done.root, rootOf(content));
    assert.ok((await readFile(done.path)).equals(content));
    assert.deepEqual(done.sources, ['hidden']);
    assert.equal(ms.relay.stats.circuitsOpened, 0, 'the metaserver relayed nothing');
    // the GET's link closes with the download: the helper reports its circuit and its counters
    await waitFor('the helper reports the GET circuit', () => relayed.some((e) => e.bytes >= content.length));
    const report = relayed.find((e) => e.bytes >= content.length) as RelayCircuitEvent;
    assert.equal(report.target, 'hidden');
    assert.ok(report.bytesCarried >= content.length);
  });

  it('caps its circuits, drops an idle one, and takes relay-host only from the metaserver', async () => {
    const { ms, helper, relayed } = await network();
    const stranger = await registerByHand(ms, 'stranger', cleanups);
    // a circuit whose dialer shows its token and then sends nothing: dropped as idle
    const ticket = await stranger.request({ t: 'relay-connect', id: 'hidden' });
    assert.equal(ticket.t, 'relay-ticket', JSON.stringify(ticket));
    assert.equal(ticket.host, '127.0.0.1', 'the ticket names the helper, not the metaserver');
    const silent = connect({ host: String(ticket.host), port: Number(ticket.port) });
    cleanups.push(() => silent.destroy());
    silent.on('error', () => undefined);
    silent.write(encodePreamble(String(ticket.token)));
    await waitFor('the idle circuit is dropped', () => relayed.some((e) => e.ended === 'idle'), 5000);

    // circuits nobody uses count until they expire: the helper refuses past its cap
    let refused: Record<string, unknown> | undefined;
    for (let i = 0; i <= HELPER_CIRCUITS + 1 && !refused; i++) {
      const answer = await stranger.request({ t: 'relay-connect', id: 'hidden' });
      if (answer.t === 'error') refused = answer;
    }
    assert.equal(refused?.code, 'RATE_LIMITED', JSON.stringify(refused));

    // relay-host is the metaserver's to ask, on the helper's registration link; elsewhere it is a violation
    const intruder = await RawPeer.connect(helperAddress(helper), { id: 'intruder' });
    cleanups.push(() => intruder.close());
    intruder.send({ t: 'relay-host', rid: 1, dialer: 'intruder', target: 'hidden' });
    await intruder.whenClosed();
  });
});

function helperAddress(peer: FloodPeer) {
  const { host, port } = peer.address;
  return { host, port };
}

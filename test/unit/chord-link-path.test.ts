// A chord node knows which of its ring links run through a relay: the connection it dialed to
// that node (its requests go out on it) says so, and when that connection moves onto a direct
// path the node is told (onLinkPath) and reports the link direct. Two rings on loopback, the
// metaserver's relay hub between them, a direct TCP connection to move onto: real sockets and TLS.
import assert from 'node:assert/strict';
import type { ChordRing } from '@node-core/chord/chord-ring';
import type { MigratingStream } from '@node-core/relay/migrating-stream';
import { RelayHub } from '@node-core/relay/relay-hub';
import type { RelayRoute } from '@node-core/wire';
import { startNode } from './chord-harness';
import { waitFor } from './flood-fixture';
import { directPair, relayEnd } from './support/relay-ends';

describe('chord link paths: ring links through a relay, and moved direct', function () {
  this.timeout(20_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  it('reports the link relayed only at the end that dialed through the relay, then direct once it moves', async () => {
    const hub = new RelayHub();
    await hub.listen('127.0.0.1');
    cleanup.push(() => hub.close());
    const reachable = await startNode();
    cleanup.push(() => reachable.close());
    // the NATed node's side of it: it reaches `reachable` only through the hub, whose other end
    // `reachable` adopts as an inbound link, as a peer answering relay-open does
    const circuits: Array<{ dialerEnd: MigratingStream; targetEnd: MigratingStream }> = [];
    const route: RelayRoute = {
      prefers: (peer) => peer.id === reachable.self.id,
      open: async () => {
        const tickets = hub.open('relayed', reachable.self.id);
        const dialerEnd = await relayEnd(hub, tickets.dialerToken, cleanup);
        const targetEnd = await relayEnd(hub, tickets.targetToken, cleanup);
        reachable.adopt(targetEnd);
        circuits.push({ dialerEnd, targetEnd });
        return dialerEnd;
      },
      reachedThroughRelay: () => undefined,
    };
    let pathChanges = 0;
    const relayed: ChordRing = await startNode({ extra: { relay: route, onLinkPath: () => pathChanges++ } }, reachable);
    cleanup.push(() => relayed.close());

    await waitFor('a ring of two, its link relayed at the end that dialed through the hub', () => {
      const view = relayed.topologyView();
      return view.neighbors.join() === reachable.self.id && view.relayed.join() === reachable.self.id;
    });
    await waitFor('the other end links back', () => reachable.topologyView().neighbors.join() === relayed.self.id);
    assert.deepEqual(reachable.topologyView().relayed, [], 'it dials the NATed node directly');
    assert.equal(circuits.length, 1, 'one connection, reused for every request');

    const before = pathChanges;
    const [a, b] = await directPair(cleanup);
    await Promise.all([circuits[0].dialerEnd.moveTo(a), circuits[0].targetEnd.moveTo(b)]);
    await waitFor('the move announced', () => pathChanges > before);
    assert.deepEqual(relayed.topologyView().relayed, [], 'moved direct: reported direct');
    const owner = await relayed.lookup(reachable.self.nodeId);
    assert.equal(owner.owner.id, reachable.self.id, 'the moved link still carries the ring');
    assert.equal(circuits.length, 1, 'no new circuit after the move');
  });
});

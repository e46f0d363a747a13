// A link that comes up through a relay knows it (Connection.relayed), at both ends: the dialer's
// stream from its RelayRoute and the listener's adopted stream. When the stream moves onto a
// direct path both ends emit 'moved' and report direct, and the link keeps working. Real TLS,
// the metaserver's relay hub and a direct TCP connection, all on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { RelayHub } from '@node-core/relay/relay-hub';
import { dial, ephemeralSecurity, WireServer, type RelayRoute } from '@node-core/wire';
import type { Connection } from '@node-core/wire/connection';
import { directPair, relayEnd } from './support/relay-ends';

describe('relayed link: a connection knows whether it runs through a relay', function () {
  this.timeout(20_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  it('both ends report relayed; after a move direct both emit moved, report direct and still talk', async () => {
    const hub = new RelayHub();
    await hub.listen('127.0.0.1');
    cleanup.push(() => hub.close());
    const server = new WireServer({ security: ephemeralSecurity('listener') });
    const address = await server.listen('127.0.0.1', 0);
    cleanup.push(() => server.close());
    const tickets = hub.open('dialer', 'listener');
    const dialerEnd = await relayEnd(hub, tickets.dialerToken, cleanup);
    const listenerEnd = await relayEnd(hub, tickets.targetToken, cleanup);
    const inbound = once(server, 'connection') as Promise<[Connection]>;
    server.adopt(listenerEnd);
    const route: RelayRoute = {
      prefers: () => true,
      open: async () => dialerEnd,
      reachedThroughRelay: () => undefined,
    };
    const dialer = await dial(
      { id: 'listener', ...address },
      { security: ephemeralSecurity('dialer'), expectId: 'listener', relay: route },
    );
    cleanup.push(() => dialer.close());
    const [listener] = await inbound;
    assert.equal(listener.remoteId, 'dialer');
    assert.deepEqual([dialer.relayed, listener.relayed], [true, true], 'both ends came up through the relay');

    const [a, b] = await directPair(cleanup);
    const moved = Promise.all([once(dialer, 'moved'), once(listener, 'moved')]);
    await Promise.all([dialerEnd.moveTo(a), listenerEnd.moveTo(b)]);
    await moved;
    assert.deepEqual([dialer.relayed, listener.relayed], [false, false], 'both ends report the link direct');

    const got = new Promise<string>((resolve) => listener.setHandler(({ msg }) => resolve(msg.t)));
    await dialer.send({ t: 'ping' });
    assert.equal(await got, 'ping', 'the moved link still carries messages');
  });

  it('a direct link is never relayed', async () => {
    const server = new WireServer({ security: ephemeralSecurity('listener') });
    const address = await server.listen('127.0.0.1', 0);
    cleanup.push(() => server.close());
    const inbound = once(server, 'connection') as Promise<[Connection]>;
    const dialer = await dial(address, { security: ephemeralSecurity('dialer') });
    cleanup.push(() => dialer.close());
    const [listener] = await inbound;
    assert.deepEqual([dialer.relayed, listener.relayed], [false, false]);
  });

  it('a direct address that refuses, or answers without TLS, is retried through the relay', async () => {
    const hub = new RelayHub();
    await hub.listen('127.0.0.1');
    cleanup.push(() => hub.close());
    const server = new WireServer({ security: ephemeralSecurity('listener') });
    await server.listen('127.0.0.1', 0);
    cleanup.push(() => server.close());
    // The listener's announced address as NAT leaves it: nothing there, or something that answers and cuts.
    const trap = net.createServer((socket) => socket.destroy());
    trap.listen(0, '127.0.0.1');
    await once(trap, 'listening');
    cleanup.push(() => new Promise((resolve) => trap.close(resolve)));
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const reached: string[] = [];
    const route: RelayRoute = {
      prefers: () => false,
      open: async () => {
        const tickets = hub.open('dialer', 'listener');
        server.adopt(await relayEnd(hub, tickets.targetToken, cleanup));
        return relayEnd(hub, tickets.dialerToken, cleanup);
      },
      reachedThroughRelay: (peer) => void reached.push(peer.id),
    };
    const security = ephemeralSecurity('dialer');
    for (const port of [closedPort, (trap.address() as net.AddressInfo).port]) {
      const conn = await dial({ host: '127.0.0.1', port }, { security, expectId: 'listener', relay: route });
      cleanup.push(() => conn.close());
      assert.equal(conn.relayed, true, `port ${port}: through the relay`);
    }
    assert.deepEqual(reached, ['listener', 'listener']);
    const trapPort = (trap.address() as net.AddressInfo).port;
    await assert.rejects(dial({ host: '127.0.0.1', port: trapPort }, { security }), { code: 'HANDSHAKE_FAILED' });
  });
});

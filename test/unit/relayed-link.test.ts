// A link that comes up through a relay knows it (Connection.relayed), at both ends: the dialer's
// stream from its RelayRoute and the listener's adopted stream. When the stream moves onto a
// direct path both ends emit 'moved' and report direct, and the link keeps working. Real TLS,
// the metaserver's relay hub and a direct TCP connection, all on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { MigratingStream } from '@node-core/relay/migrating-stream';
import { RelayHub } from '@node-core/relay/relay-hub';
import { encodePreamble } from '@node-core/relay/relay-preamble';
import { dial, ephemeralSecurity, WireServer, type RelayRoute } from '@node-core/wire';
import type { Connection } from '@node-core/wire/connection';

describe('relayed link: a connection knows whether it runs through a relay', function () {
  this.timeout(20_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  function connect(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** A relay end: a socket to the hub that presented `token`, movable like a punched circuit's. */
  async function relayEnd(hub: RelayHub, token: string): Promise<MigratingStream> {
    const socket = await connect(hub.port);
    socket.write(encodePreamble(token));
    const stream = new MigratingStream(socket);
    cleanup.push(() => stream.destroy());
    return stream;
  }

  it('both ends report relayed; after a move direct both emit moved, report direct and still talk', async () => {
    const hub = new RelayHub();
    await hub.listen('127.0.0.1');
    cleanup.push(() => hub.close());
    const server = new WireServer({ security: ephemeralSecurity('listener') });
    const address = await server.listen('127.0.0.1', 0);
    cleanup.push(() => server.close());
    const tickets = hub.open('dialer', 'listener');
    const dialerEnd = await relayEnd(hub, tickets.dialerToken);
    const listenerEnd = await relayEnd(hub, tickets.targetToken);
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

    const direct = net.createServer({ allowHalfOpen: true });
    direct.listen(0, '127.0.0.1');
    await once(direct, 'listening');
    cleanup.push(() => new Promise((resolve) => direct.close(resolve)));
    const accepted = once(direct, 'connection') as Promise<[net.Socket]>;
    const a = await connect((direct.address() as net.AddressInfo).port);
    const [b] = await accepted;
    cleanup.push(
      () => a.destroy(),
      () => b.destroy(),
    );
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
});

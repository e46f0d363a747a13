// The chord transport shares one dial per node among the requests that need it meanwhile: a
// request that gives up stops waiting for it, and the others still get the connection. Real
// chord nodes on loopback over TLS, and a stranger that accepts connections and never answers.
import assert from 'node:assert/strict';
import net from 'node:net';
import { nodeIdOf } from '@node-core/chord/id';
import { WireChordTransport } from '@node-core/chord/wire-transport';
import type { ChordRing } from '@node-core/chord/chord-ring';
import { anonymousSecurity } from '@node-core/wire/secure-channel';
import { startNode } from './chord-harness';

describe('chord transport: a shared dial', function () {
  this.timeout(20_000);
  let node: ChordRing | undefined;
  let transport: WireChordTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    await node?.close();
  });

  it('serves the other requests when the one that started the dial gives up', async () => {
    node = await startNode();
    transport = new WireChordTransport({ security: anonymousSecurity() });
    const remote = transport.remote(node.self);
    const first = new AbortController();
    const second = new AbortController();
    const abandoned = remote.ping(first.signal); // starts the dial
    const served = remote.ping(second.signal); // waits for the same dial
    first.abort(new Error('the first caller gave up'));
    const [gaveUp, other] = await Promise.allSettled([abandoned, served]);
    assert.equal(
      other.status,
      'fulfilled',
      `the other request failed: ${String((other as PromiseRejectedResult).reason)}`,
    );
    assert.equal(gaveUp.status, 'rejected');
    assert.match(String(gaveUp.reason), /the first caller gave up/);
    await remote.ping(new AbortController().signal);
  });

  it('a node that accepts and never answers: each request ends at its deadline; a failed dial goes', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket)); // reads nothing, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      transport = new WireChordTransport({ security: anonymousSecurity(), connectTimeoutMs: 400 });
      const remote = transport.remote({ id: 'silent', host: '127.0.0.1', port, nodeId: nodeIdOf('127.0.0.1', port) });
      const started = Date.now();
      const gaveUp = new AbortController();
      const abandoned = remote.ping(gaveUp.signal);
      const bounded = remote.ping(AbortSignal.timeout(150)); // shares the hanging dial
      gaveUp.abort(new Error('gave up'));
      await assert.rejects(abandoned, /gave up/);
      await assert.rejects(bounded, (err: Error) => err.name === 'TimeoutError');
      assert.ok(Date.now() - started < 350, "each request ended at its own deadline, not the dial's");
      await new Promise((resolve) => setTimeout(resolve, 500)); // the dial's own timeout (400 ms) passes
      await assert.rejects(remote.ping(AbortSignal.timeout(2000)), (err: Error & { code?: string }) => {
        return err.code === 'PEER_UNREACHABLE' && /timed out/.test(err.message);
      });
      assert.equal(accepted.length, 2, 'one dial shared by the first two requests, a new one after it failed');
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('ends a dial in progress when the transport closes', async () => {
    node = await startNode();
    transport = new WireChordTransport({ security: anonymousSecurity() });
    const pending = transport.remote(node.self).ping(new AbortController().signal);
    await transport.close();
    await assert.rejects(pending, (err: Error & { code?: string }) => err.code === 'CANCELLED');
  });
});

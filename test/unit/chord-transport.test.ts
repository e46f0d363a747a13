// The chord transport shares one dial per node among the requests that need it meanwhile: a
// request that gives up stops waiting for it, and the others still get the connection. Real
// chord nodes on loopback over TLS.
import assert from 'node:assert/strict';
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

  it('ends a dial in progress when the transport closes', async () => {
    node = await startNode();
    transport = new WireChordTransport({ security: anonymousSecurity() });
    const pending = transport.remote(node.self).ping(new AbortController().signal);
    await transport.close();
    await assert.rejects(pending, (err: Error & { code?: string }) => err.code === 'CANCELLED');
  });
});

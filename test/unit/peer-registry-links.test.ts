// What the metaserver keeps of a peer's links report: its relayed links only among its
// neighbours, replaced by each report, absent when the peer does not report them.
import assert from 'node:assert/strict';
import { PeerRegistry } from '@node-core/metaserver/peer-registry';
import type { BridgeMessage } from '@node-core/topology';
import { decodeMessage, PROTOCOL_VERSION } from '@node-core/wire/messages';

const EMPTY = { length: 0 };

describe('peer registry: which links a peer reports relayed', () => {
  it('keeps only reported neighbours, replaces with each report, and drops it when not reported', () => {
    const registry = new PeerRegistry();
    for (const id of ['a', 'b', 'c']) registry.add({ id, host: '10.0.0.1', port: 1, mode: 'flood' });
    const updates: BridgeMessage[] = [];
    registry.onChange((m) => updates.push(m));
    const relayedOf = (id: string): string[] | undefined =>
      registry.snapshot().peers.find((p) => p.id === id)?.relayedLinks;

    registry.updateLinks('a', { neighbors: ['b', 'c'], relayed: ['c', 'stranger', 'a', 'c'] });
    assert.deepEqual(relayedOf('a'), ['c'], 'a claim about a non-neighbour (or itself) is dropped');
    assert.ok(
      updates.some((m) => m.type === 'peer-updated' && m.peer.relayedLinks?.[0] === 'c'),
      'the page hears it',
    );

    registry.updateLinks('a', { neighbors: ['b', 'c'], relayed: [] });
    assert.deepEqual(relayedOf('a'), [], 'the link moved direct');
    registry.updateLinks('a', { neighbors: ['b'] });
    assert.equal(relayedOf('a'), undefined, 'a peer that does not report it: the NAT rule applies');
  });

  it('the links message takes `relayed` as peer ids, bounded, and refuses anything else', () => {
    const frame = (relayed: unknown): unknown => ({ v: PROTOCOL_VERSION, t: 'links', neighbors: ['b'], relayed });
    assert.deepEqual((decodeMessage(frame(['b']), EMPTY) as { relayed?: string[] }).relayed, ['b']);
    for (const bad of [['no spaces'], [''], 'b', [7], Array.from({ length: 1025 }, (_, i) => `p${i}`)])
      assert.throws(() => decodeMessage(frame(bad), EMPTY), /relayed/, JSON.stringify(bad).slice(0, 40));
  });
});

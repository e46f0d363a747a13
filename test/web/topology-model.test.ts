// The page's model (webview/src/topology-model.ts) and message parsing, in Node: the rules the
// drawn picture follows, without a browser.
import * as assert from 'node:assert/strict';
import type { BridgeMessage, TopologyPeer } from '@node-core/topology';
import { parseBridgeMessage } from '../../webview/src/bridge-connection';
import { GraphLayout } from '../../webview/src/graph-layout';
import { TopologyModel } from '../../webview/src/topology-model';

const peer = (id: string, neighbors: string[] = [], mode: TopologyPeer['mode'] = 'flood'): TopologyPeer => ({
  id,
  host: '127.0.0.1',
  port: 1000,
  mode,
  neighbors,
});

describe('TopologyModel', () => {
  it('counts a link once when either end reports it, and only between known peers', () => {
    const model = new TopologyModel();
    model.apply({
      type: 'snapshot',
      topology: { peers: [peer('b', ['a', 'ghost']), peer('a', ['b']), peer('c', ['a'])] },
    });
    assert.deepEqual(
      model
        .links()
        .map((l) => l.key)
        .sort(),
      ['a|b', 'a|c'],
    );
    assert.deepEqual(model.neighborsOf('a'), ['b', 'c']);
    assert.deepEqual(
      model.peerList().map((p) => p.id),
      ['a', 'b', 'c'],
    );
  });

  it('applies joins, updates, link changes and departures in order', () => {
    const model = new TopologyModel();
    model.apply({ type: 'snapshot', topology: { peers: [peer('a'), peer('b')] } });
    model.apply({ type: 'link-up', a: 'a', b: 'b' });
    model.apply({ type: 'peer-joined', peer: peer('c', ['b']) });
    assert.deepEqual(
      model
        .links()
        .map((l) => l.key)
        .sort(),
      ['a|b', 'b|c'],
    );
    model.apply({ type: 'link-down', a: 'b', b: 'a' });
    assert.deepEqual(
      model.links().map((l) => l.key),
      ['b|c'],
    );
    model.apply({ type: 'peer-left', id: 'b' });
    assert.deepEqual(model.links(), []);
    assert.equal(model.peer('b'), undefined);
    model.apply({ type: 'peer-updated', peer: { ...peer('c', ['a']), files: ['x'] } });
    model.apply({ type: 'file-shared', peer: 'c', name: 'y' });
    model.apply({ type: 'file-shared', peer: 'c', name: 'y' });
    assert.deepEqual(model.peer('c')?.files, ['x', 'y']);
    assert.deepEqual(
      model.links().map((l) => l.key),
      ['a|c'],
    );
  });

  it('returns searches and transfers as activity, leaving the picture alone', () => {
    const model = new TopologyModel();
    model.apply({ type: 'snapshot', topology: { peers: [peer('a')] } });
    const search: BridgeMessage = { type: 'search', origin: 'a', name: 'f', queryId: 'q', path: ['a'] };
    assert.deepEqual(model.apply(search), search);
    assert.equal(model.peerList().length, 1);
  });

  it('does not share arrays with the messages it applied', () => {
    const model = new TopologyModel();
    const incoming = peer('a', ['b']);
    model.apply({ type: 'snapshot', topology: { peers: [incoming, peer('b')] } });
    model.apply({ type: 'link-down', a: 'a', b: 'b' });
    assert.deepEqual(incoming.neighbors, ['b']);
  });
});

describe('parseBridgeMessage', () => {
  it('accepts known message types and rejects anything else', () => {
    assert.equal(parseBridgeMessage('{"type":"peer-left","id":"a"}')?.type, 'peer-left');
    assert.equal(parseBridgeMessage('{"type":"nope"}'), undefined);
    assert.equal(parseBridgeMessage('not json'), undefined);
    assert.equal(parseBridgeMessage('null'), undefined);
    assert.equal(parseBridgeMessage(42), undefined);
  });
});

describe('GraphLayout', () => {
  it('settles a ring untwisted, every link near the link distance', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const model = new TopologyModel();
    model.apply({ type: 'snapshot', topology: { peers: ids.map((id, i) => peer(id, [ids[(i + 1) % ids.length]])) } });
    const layout = new GraphLayout(false);
    layout.update(model.peerList(), model.links());
    assert.ok(layout.settle() > 0);
    for (const link of model.links()) {
      const a = layout.position(link.a);
      const b = layout.position(link.b);
      assert.ok(a && b);
      const length = Math.hypot(a.x - b.x, a.y - b.y);
      assert.ok(length > 60 && length < 130, `${link.key}: ${length.toFixed(0)}`);
    }
  });

  it("rests when a change leaves the graph's shape alone, moves again when it does not", () => {
    const model = new TopologyModel();
    model.apply({ type: 'snapshot', topology: { peers: [peer('a', ['b']), peer('b'), peer('c', ['a'])] } });
    const layout = new GraphLayout(false);
    layout.update(model.peerList(), model.links());
    layout.settle();
    model.apply({ type: 'file-shared', peer: 'a', name: 'f' });
    model.apply({ type: 'peer-updated', peer: { ...peer('b', ['a']), files: ['g'] } });
    layout.update(model.peerList(), model.links());
    assert.equal(layout.settle(), 0, 'no reheat for files and repeated links');
    model.apply({ type: 'link-up', a: 'b', b: 'c' });
    layout.update(model.peerList(), model.links());
    assert.ok(layout.settle() > 0, 'a new link moves the picture');
  });

  it('pins chord peers on a ring in nodeId order', () => {
    const ids = ['z', 'y', 'x', 'w'];
    const peers = ids.map((id, i) => ({
      ...peer(id, [], 'chord'),
      chord: { nodeId: String(i).repeat(40), predecessor: null, successors: [], fingers: [] },
    }));
    const layout = new GraphLayout(false);
    layout.update(peers, []);
    layout.settle();
    const angles = ids.map((id) => {
      const p = layout.position(id);
      assert.ok(p);
      return Math.atan2(p.y, p.x);
    });
    const radii = ids.map((id) => Math.hypot(layout.position(id)?.x ?? 0, layout.position(id)?.y ?? 0));
    assert.ok(Math.max(...radii) - Math.min(...radii) < 1e-6, 'all on one circle');
    // nodeId order 0,1,2,3 (z,y,x,w) goes clockwise from the top.
    const fromTop = angles.map((a) => (a + Math.PI / 2 + 2 * Math.PI) % (2 * Math.PI));
    assert.deepEqual(
      [...fromTop].sort((a, b) => a - b),
      fromTop,
    );
  });
});

// Ring arithmetic and routing tables, without sockets: intervals with wraparound, ids as
// SHA-1, the finger table's copy-down and preceding nodes, the successor list's order.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { FingerTable } from '@node-core/chord/finger-table';
import {
  fingerStart,
  hashToId,
  idFromHex,
  idToHex,
  inHalfOpen,
  inOpen,
  keyFromNameOrHex,
  nodeIdOf,
  RING_SIZE,
  ringDistance,
} from '@node-core/chord/id';
import type { ChordContact } from '@node-core/chord/remote';
import { SuccessorList } from '@node-core/chord/successor-list';

const peer = (nodeId: bigint, id = `p${nodeId}`): ChordContact => ({ id, host: '127.0.0.1', port: 1, nodeId });
const arbId = fc.bigInt({ min: 0n, max: RING_SIZE - 1n });

describe('chord ids and intervals', () => {
  it('node id = SHA-1 of host:port, key = SHA-1 of the name, 40 hex digits', () => {
    const hex = createHash('sha1').update('127.0.0.1:4000').digest('hex');
    assert.equal(idToHex(nodeIdOf('127.0.0.1', 4000)), hex);
    assert.equal(idToHex(hashToId('f1.txt')), createHash('sha1').update('f1.txt').digest('hex'));
    assert.equal(idToHex(5n), '0000000000000000000000000000000000000005');
    assert.equal(keyFromNameOrHex(hex), BigInt('0x' + hex));
    assert.equal(keyFromNameOrHex('f1.txt'), hashToId('f1.txt'));
    assert.throws(() => idFromHex('xyz'));
  });

  it('intervals wrap around zero', () => {
    assert.ok(inOpen(5n, 2n, 9n) && !inOpen(2n, 2n, 9n) && !inOpen(9n, 2n, 9n));
    assert.ok(inOpen(RING_SIZE - 1n, 9n, 2n) && inOpen(0n, 9n, 2n) && !inOpen(5n, 9n, 2n));
    assert.ok(inHalfOpen(9n, 2n, 9n) && !inHalfOpen(2n, 2n, 9n));
    assert.ok(inHalfOpen(2n, 9n, 2n) && inHalfOpen(0n, 9n, 2n));
    // a == b: a one-node ring owns everything; (a, a) is all but a.
    assert.ok(inHalfOpen(7n, 3n, 3n) && inHalfOpen(3n, 3n, 3n) && inOpen(7n, 3n, 3n) && !inOpen(3n, 3n, 3n));
    assert.equal(fingerStart(RING_SIZE - 1n, 0), 0n);
  });

  it('(a, b] and (b, a] split the ring exactly (property)', () => {
    fc.assert(
      fc.property(arbId, arbId, arbId, (x, a, b) => {
        fc.pre(a !== b);
        return inHalfOpen(x, a, b) !== inHalfOpen(x, b, a);
      }),
    );
  });

  it('x in (a, b) iff 0 < distance(a, x) < distance(a, b) (property)', () => {
    fc.assert(
      fc.property(arbId, arbId, arbId, (x, a, b) => {
        fc.pre(a !== b);
        const d = ringDistance(a, x);
        return inOpen(x, a, b) === (d > 0n && d < ringDistance(a, b));
      }),
    );
  });
});

describe('chord routing tables', () => {
  it('FingerTable: fillFrom copies a node down to every finger it also covers; precedingNodes is closest-first', () => {
    const self = peer(0n);
    const table = new FingerTable(self);
    const a = peer(1n << 10n);
    const b = peer(1n << 100n);
    table.fillFrom(0, a);
    for (let i = 0; i <= 10; i++) assert.equal(table.get(i)?.nodeId, a.nodeId, `finger ${i}`);
    assert.equal(table.get(11), undefined);
    table.fillFrom(11, b);
    assert.equal(table.get(100)?.nodeId, b.nodeId);
    assert.deepEqual(
      table.precedingNodes(1n << 120n).map((p) => p.nodeId),
      [b.nodeId, a.nodeId],
    );
    assert.deepEqual(
      table.precedingNodes(1n << 50n).map((p) => p.nodeId),
      [a.nodeId],
    );
    table.remove(b.nodeId);
    assert.equal(table.get(100), undefined);
    assert.equal(table.distinct().length, 1);
  });

  it('SuccessorList: clockwise from self, no self, no duplicates, capped', () => {
    const self = peer(100n);
    const list = new SuccessorList(self, 3);
    list.adopt(peer(300n), [peer(50n), peer(200n), peer(100n), peer(300n), peer(400n)]);
    assert.deepEqual(
      list.all().map((p) => p.nodeId),
      [200n, 300n, 400n],
    );
    list.remove(200n);
    assert.equal(list.first().nodeId, 300n);
    list.insert(peer(150n));
    assert.deepEqual(
      list.all().map((p) => p.nodeId),
      [150n, 300n, 400n],
    );
    const alone = new SuccessorList(self, 3);
    assert.equal(alone.first().nodeId, self.nodeId);
    // k nodes over the arc they span, and never fewer than the list plus self.
    alone.adopt(peer(200n), []);
    assert.equal(alone.estimateRingSize(), Number(RING_SIZE / 100n));
    const quarter = RING_SIZE / 4n;
    const dense = new SuccessorList(peer(0n), 2);
    dense.adopt(peer(quarter / 2n), [peer(quarter)]);
    assert.equal(dense.estimateRingSize(), 8);
    dense.resize(1);
    assert.equal(dense.all().length, 1);
  });
});

// The Transfers view's pure parts: the rate meter behind speed and ETA, and the transfer list's
// state machine with its persisted snapshot (what a restart of VS Code brings back).

import * as assert from 'node:assert/strict';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import { PeerState } from '../../extension/src/nodes/peerState';
import { parseSavedNodes, restoredMessage } from '../../extension/src/restore/savedNodes';
import { RateMeter } from '../../extension/src/transfers/rateMeter';
import { TransferList, transferId } from '../../extension/src/transfers/transferList';
import { describeTransfer, holderShares } from '../../extension/src/transfers/describeTransfer';

const MiB = 1024 * 1024;

describe('extension RateMeter', () => {
  it('measures bytes per second over its window and estimates the time left', () => {
    const meter = new RateMeter(5000);
    assert.equal(meter.bytesPerSecond(0), 0);
    meter.record(0, 0);
    assert.equal(meter.bytesPerSecond(0), 0, 'one sample has no rate');
    for (let t = 1; t <= 10; t++) meter.record(t * MiB, t * 1000);
    assert.equal(meter.bytesPerSecond(10_000), MiB);
    assert.equal(meter.etaSeconds(20 * MiB, 10_000), 10);
    // a faster spell shows within the window, the old rate falls out of it
    for (let t = 11; t <= 20; t++) meter.record(10 * MiB + (t - 10) * 4 * MiB, t * 1000);
    assert.equal(meter.bytesPerSecond(20_000), 4 * MiB);
  });

  it('reads 0 once nothing moved for a window, and starts afresh when the count goes back', () => {
    const meter = new RateMeter(5000);
    meter.record(0, 0);
    meter.record(MiB, 1000);
    assert.equal(meter.bytesPerSecond(1000), MiB);
    assert.equal(meter.bytesPerSecond(7000), 0, 'a stalled download has no speed');
    assert.equal(meter.etaSeconds(2 * MiB, 7000), undefined);
    meter.record(0, 8000); // a retried download counts from 0 again
    meter.record(MiB / 2, 9000);
    assert.equal(meter.bytesPerSecond(9000), MiB / 2);
  });
});

describe('extension TransferList', () => {
  let now = 0;
  const clock = (): number => now;
  beforeEach(() => (now = 1000));

  it('moves a download through active, paused, active again and completed', () => {
    const list = new TransferList(clock);
    let changes = 0;
    list.onDidChange(() => changes++);
    const t = list.start('s1', 'big.bin')!;
    assert.equal(t.id, transferId('s1', 'big.bin'));
    assert.equal(t.state, 'active');
    assert.equal(list.start('s1', 'big.bin'), undefined, 'a running transfer does not start twice');
    list.progress(t.id, MiB, 4 * MiB);
    now += 1000;
    list.progress(t.id, 2 * MiB, 4 * MiB);
    assert.equal(list.speedOf(t.id), MiB);
    assert.equal(list.etaOf(t.id), 2);
    assert.equal(list.totalSpeed(), MiB);
    list.paused(t.id, 2 * MiB, 4 * MiB);
    assert.deepEqual([t.state, t.bytes, list.speedOf(t.id)], ['paused', 2 * MiB, 0]);
    list.progress(t.id, 3 * MiB, 4 * MiB); // a late progress event changes nothing
    assert.equal(t.bytes, 2 * MiB);
    list.start('s1', 'big.bin');
    assert.deepEqual([t.state, t.bytes], ['active', 2 * MiB], 'a resume keeps what the .part holds');
    list.completed(t.id, { path: '/d/big.bin', bytes: 4 * MiB, sources: ['s2'] });
    assert.deepEqual([t.state, t.path, t.bytes, t.total], ['completed', '/d/big.bin', 4 * MiB, 4 * MiB]);
    assert.equal(changes, 6, 'each step fired once; the ignored late event did not');
  });

  it('fails, cancels, retries from 0, and clears only the history', () => {
    const list = new TransferList(clock);
    const a = list.start('s1', 'a.txt')!;
    const b = list.start('s1', 'b.txt')!;
    const c = list.start('s2', 'c.txt')!;
    list.progress(a.id, 10, 100);
    list.failed(a.id, 'no holder could serve it');
    assert.deepEqual([a.state, a.error], ['failed', 'no holder could serve it']);
    list.cancelled(b.id);
    list.paused(c.id);
    list.failed(c.id, 'late'); // a paused transfer does not fail
    assert.equal(c.state, 'paused');
    list.start('s1', 'a.txt');
    assert.deepEqual([a.state, a.bytes, a.error], ['active', 0, undefined], 'a retry starts over');
    list.failed(a.id, 'again');
    list.clearHistory();
    assert.deepEqual(
      list.all.map((t) => t.id),
      [c.id],
    );
  });

  it('restores a snapshot: an active transfer comes back paused, malformed records are skipped', () => {
    const list = new TransferList(clock);
    const link = 'vscode://p2p-network.p2p-network-vscode/download?name=a.bin';
    const a = list.start('s1', 'a.bin', { link })!;
    list.progress(a.id, 5, 10);
    const b = list.start('s1', 'b.bin')!;
    list.completed(b.id, { path: '/d/b.bin', bytes: 3, sources: ['s3'] });
    const saved: unknown[] = JSON.parse(JSON.stringify(list.snapshot()));
    saved.push(null, { peer: 's1' }, { peer: 's1', name: 'x', state: 'exploded', bytes: 0, total: 0, updatedAt: 0 });
    const restored = new TransferList(clock);
    restored.restore(saved);
    restored.restore('not a list');
    assert.deepEqual(restored.all.map((t) => [t.id, t.state, t.bytes]).sort(), [
      ['s1/a.bin', 'paused', 5],
      ['s1/b.bin', 'completed', 3],
    ]);
    assert.deepEqual(restored.get('s1/b.bin')?.sources, ['s3']);
    // one started from a share link resumes that link's version
    assert.equal(restored.get('s1/a.bin')?.link, link);
    assert.equal(restored.get('s1/b.bin')?.link, undefined);
  });

  it('keeps the version picked from a search through a pause, a restart and a resume', () => {
    const list = new TransferList(clock);
    const root = 'ab'.repeat(32);
    const t = list.start('s1', 'same-name.bin', { version: root })!;
    list.paused(t.id, 1, 2);
    const restored = new TransferList(clock);
    restored.restore(JSON.parse(JSON.stringify([...list.snapshot(), { ...t, name: 'x', version: 'not hex' }])));
    assert.equal(restored.get(t.id)?.version, root);
    assert.equal(restored.get(transferId('s1', 'x'))?.version, undefined, 'a malformed version is dropped');
    assert.equal(restored.start('s1', 'same-name.bin')?.version, root, 'a resume without a pick keeps it');
  });

  it('describes each state for the tree', () => {
    const base = { id: 's1/f', peer: 's1', name: 'f', bytes: MiB, total: 4 * MiB, updatedAt: 0 };
    assert.equal(describeTransfer({ ...base, state: 'active' }, 2 * MiB, 90), '25 % · 2 MiB/s · 1 min 30 s left');
    assert.equal(describeTransfer({ ...base, state: 'active', total: 0 }, 0, undefined), 'starting…');
    assert.equal(describeTransfer({ ...base, state: 'paused' }, 0, undefined), 'paused at 25 % of 4 MiB');
    assert.equal(
      describeTransfer({ ...base, state: 'completed', bytes: 4 * MiB, sources: ['s2', 's3'] }, 0, undefined),
      '4 MiB from s2, s3',
    );
    assert.equal(describeTransfer({ ...base, state: 'failed', error: 'boom' }, 0, undefined), 'failed: boom');
    const shared = { ...base, state: 'active' as const, received: { s3: MiB / 4, s2: (3 * MiB) / 4, s4: 0 } };
    assert.equal(describeTransfer(shared, MiB, undefined), '25 % · 1 MiB/s · 2 holders');
    assert.equal(holderShares(shared), 's2 75 %, s3 25 %');
  });
});

describe('extension PeerState downloads', () => {
  it('drops a paused download from those in progress and counts finished ones', () => {
    const state = new PeerState();
    state.apply({ event: 'download-progress', name: 'a', bytes: 1, total: 2 });
    state.apply({ event: 'download-paused', name: 'a', bytes: 1, total: 2 });
    assert.equal(state.downloads.length, 0);
    state.apply({
      event: 'download-complete',
      name: 'b',
      path: '/b',
      bytes: 2,
      root: 'r',
      sources: ['s'],
    });
    assert.equal(state.finishedDownloads, 1);
  });
});

describe('extension saved nodes (restore on startup)', () => {
  it('keeps well-formed entries of the stored state and drops the rest', () => {
    const stored = {
      metaserver: { host: '127.0.0.1', port: 5000, httpPort: 'x' },
      peers: [
        { id: 's1', dir: '/p/s1', mode: 'flood', port: 4001, metaserver: '127.0.0.1:5000' },
        { id: 's2', dir: '/p/s2', mode: 'ring', port: 4002 },
        { id: 's3', dir: '/p/s3', mode: 'chord', port: 70000 },
        null,
      ],
    };
    assert.deepEqual(parseSavedNodes(stored), {
      metaserver: { host: '127.0.0.1', port: 5000, httpPort: undefined },
      peers: [{ id: 's1', dir: '/p/s1', mode: 'flood', port: 4001, metaserver: '127.0.0.1:5000', join: undefined }],
    });
    const announced = { host: '127.0.0.1', port: 5000, announce: true, networkName: 'Lab 2' };
    assert.deepEqual(parseSavedNodes({ metaserver: announced, peers: [] }).metaserver, {
      ...announced,
      httpPort: undefined,
    });
    const forged = { host: '127.0.0.1', port: 5000, announce: 'yes', networkName: '$(verified) Lab' };
    assert.deepEqual(parseSavedNodes({ metaserver: forged, peers: [] }).metaserver, {
      host: '127.0.0.1',
      port: 5000,
      httpPort: undefined,
    });
    assert.deepEqual(parseSavedNodes(undefined), { peers: [] });
    assert.deepEqual(parseSavedNodes('garbage'), { peers: [] });
  });

  it('says what a restore brought back, and nothing when nothing came back', () => {
    const node = (role: 'metaserver' | 'peer', port: number): NodeInfo => ({
      key: role === 'peer' ? `peer:p${port}` : role,
      role,
      label: role,
      host: '127.0.0.1',
      port,
      pid: 1,
    });
    assert.equal(
      restoredMessage([node('metaserver', 5000), node('peer', 4001), node('peer', 4002)]),
      'P2P: restored the metadata server and 2 peers',
    );
    assert.equal(restoredMessage([node('peer', 4001)]), 'P2P: restored 1 peer');
    assert.equal(restoredMessage([node('metaserver', 5000)]), 'P2P: restored the metadata server');
    assert.equal(restoredMessage([]), undefined);
  });
});

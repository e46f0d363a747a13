// Traffic per link for the topology page: a downloader counts the file bytes each holder sent
// and reports them about once a second; the metaserver relays them as `traffic` bridge messages
// naming the reporter as it registered. A report that breaks the message table closes the
// connection, and one from a connection that never registered is dropped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BridgeMessage, TrafficFlow } from '../../node-core/src/topology';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChordPeerNode } from '../../node-core/src/chord/chord-peer';
import { FAST_TIMINGS } from '../../node-core/src/chord/maintenance';
import { TrafficMeter } from '../../node-core/src/transfer/traffic-meter';
import { dial } from '../../node-core/src/wire';
import { FloodFixture, waitFor } from './flood-fixture';

describe('traffic: bytes per link, reported about once a second', function () {
  this.timeout(20_000);
  const fixture = new FloodFixture();
  afterEach(() => fixture.cleanup());

  it('TrafficMeter sums per holder, reports only what moved, keeps the 64 largest flows', () => {
    const reports: TrafficFlow[][] = [];
    const meter = new TrafficMeter((flows) => reports.push(flows), 60_000);
    meter.add('a', 10);
    meter.add('b', 5);
    meter.add('a', 7);
    meter.flush();
    meter.flush(); // nothing moved since: no report
    assert.deepEqual(reports, [
      [
        { from: 'a', bytes: 17 },
        { from: 'b', bytes: 5 },
      ],
    ]);
    for (let i = 0; i < 70; i++) meter.add(`p${i}`, i + 1);
    meter.flush();
    assert.equal(reports[1]!.length, 64);
    assert.equal(reports[1]![0]!.from, 'p69');
    assert.ok(!reports[1]!.some((f) => f.from === 'p0'), 'the smallest flows are the ones left out');
    meter.close();
  });

  it('a download shows up at the metaserver as traffic from the holder to the getter, every byte', async () => {
    const meta = await fixture.metaserver();
    const size = 3 * 1024 * 1024 + 123;
    await fixture.peer('holder', { metaserver: meta.address }, { 'big.bin': randomBytes(size) });
    const getter = await fixture.peer('getter', { metaserver: meta.address });
    const traffic: Extract<BridgeMessage, { type: 'traffic' }>[] = [];
    meta.onChange((m) => {
      if (m.type === 'traffic') traffic.push(m);
    });
    await waitFor('the holder is found', async () => (await getter.search('big.bin')).length > 0);
    await getter.get('big.bin');
    const carried = (): number =>
      traffic
        .flatMap((m) => m.flows.filter((f) => m.to === 'getter' && f.from === 'holder'))
        .reduce((n, f) => n + f.bytes, 0);
    await waitFor('every byte reported', () => carried() >= size, 5000);
    assert.equal(carried(), size);
    assert.ok(traffic.every((m) => m.to === 'getter'));
  });

  it('a chord transfer (here the replica the sharer pushes) is reported the same way', async () => {
    const meta = await fixture.metaserver();
    const root = await fixture.tempDir();
    const flows: Array<{ to: string; from: string; bytes: number }> = [];
    meta.onChange((m) => {
      if (m.type === 'traffic') flows.push(...m.flows.map((f) => ({ to: m.to, ...f })));
    });
    const peers = ['c0', 'c1'].map(
      (id) => new ChordPeerNode({ id, dir: join(root, id), metaserver: meta.address, timings: FAST_TIMINGS }),
    );
    try {
      for (const peer of peers) await peer.start();
      const size = 1024 * 1024 + 7;
      const source = join(root, 'ring.bin');
      await writeFile(source, randomBytes(size));
      await peers[0]!.share(source); // two nodes, two replicas: c1 pulls a copy from c0
      await waitFor('the report', () => flows.reduce((n, f) => n + f.bytes, 0) >= size, 8000);
      assert.ok(
        flows.every((f) => f.to === 'c1' && f.from === 'c0'),
        JSON.stringify(flows),
      );
      assert.equal(
        flows.reduce((n, f) => n + f.bytes, 0),
        size,
      );
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });

  it('the metaserver closes a connection whose report breaks the table, ignores one that never registered', async () => {
    const meta = await fixture.metaserver();
    const seen: BridgeMessage[] = [];
    meta.onChange((m) => seen.push(m));
    const stranger = await dial(meta.address, {});
    stranger.setHandler(() => undefined);
    await stranger.send({ t: 'activity-traffic', flows: [{ from: 'x', bytes: 5 }] });
    const tooMany = Array.from({ length: 65 }, (_, i) => ({ from: `p${i}`, bytes: 1 }));
    const closed = new Promise<void>((resolve) => stranger.once('close', () => resolve()));
    await stranger.send({ t: 'activity-traffic', flows: tooMany }).catch(() => undefined);
    await closed;
    assert.deepEqual(
      seen.filter((m) => m.type === 'traffic'),
      [],
    );
  });
});

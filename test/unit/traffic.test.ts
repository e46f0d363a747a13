// Traffic per link for the topology page: a downloader counts the file bytes each holder sent
// and reports them about once a second; the metaserver relays them as `traffic` bridge messages
// naming the reporter as it registered. Reports are a stranger's word: a hostile reporter speaking
// the wire by hand (hostile-wire.ts) finds its burst cut to 2 reports a second, its made-up and
// self-naming flows dropped, and its connection closed for a report that breaks the table.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import { TRAFFIC_REPORTS_PER_SECOND, TrafficRelay } from '@node-core/metaserver/traffic-relay';
import type { BridgeMessage, TrafficFlow } from '@node-core/topology';
import { TrafficMeter } from '@node-core/transfer/traffic-meter';
import { MAX_TRAFFIC_BYTES } from '@node-core/wire/fields';
import { FloodFixture, waitFor } from './flood-fixture';
import { RawPeer } from './hostile-wire';
import { registerByHand } from './support/register-by-hand';

type TrafficMessage = Extract<BridgeMessage, { type: 'traffic' }>;

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
    const traffic: TrafficMessage[] = [];
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
      (id) => new ChordPeer({ id, dir: join(root, id), metaserver: meta.address, timings: FAST_TIMINGS }),
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

  it('TrafficRelay: 2 reports a second per reporter, flows only from other registered peers, each once', () => {
    let now = 0;
    const relayed: TrafficMessage[] = [];
    const registered = new Set(['me', 'a', 'b']);
    const relay = new TrafficRelay(
      { has: (id) => registered.has(id), announce: (m) => relayed.push(m as TrafficMessage) },
      () => now,
    );
    const flows: TrafficFlow[] = [
      { from: 'a', bytes: 10 },
      { from: 'me', bytes: 99 }, // itself
      { from: 'ghost', bytes: 99 }, // not registered
      { from: 'a', bytes: 99 }, // named twice
      { from: 'b', bytes: 0 }, // nothing moved
    ];
    assert.equal(relay.relay('me', flows), true);
    assert.deepEqual(relayed, [{ type: 'traffic', to: 'me', flows: [{ from: 'a', bytes: 10 }] }]);
    let passed = 1;
    for (let i = 0; i < 100; i++) if (relay.relay('me', [{ from: 'b', bytes: 1 }])) passed++;
    assert.equal(passed, 2, 'a burst passes 2 reports');
    assert.equal(relay.relay('a', [{ from: 'b', bytes: 1 }]), true, 'each reporter has its own budget');
    now += 10_000;
    for (let i = 0; i < 100; i++) if (relay.relay('me', [{ from: 'b', bytes: 1 }])) passed++;
    assert.equal(passed, 4, 'an idle reporter saves up no more than the burst');
    now += 1000;
    for (let i = 0; i < 100; i++) if (relay.relay('me', [{ from: 'b', bytes: 1 }])) passed++;
    assert.equal(passed, 4 + TRAFFIC_REPORTS_PER_SECOND, 'then 2 a second');
    assert.equal(relay.droppedReports, 300 - (passed - 1));
  });

  it('a hostile reporter: its burst is cut to the rate, made-up flows dropped, bad reports close it', async () => {
    const cleanup: Array<() => unknown> = [];
    try {
      const meta = await fixture.metaserver();
      const seen: TrafficMessage[] = [];
      meta.onChange((m) => {
        if (m.type === 'traffic') seen.push(m);
      });
      await fixture.peer('honest', { metaserver: meta.address });
      const hostile = await registerByHand(meta, 'hostile', cleanup);
      const started = Date.now();
      const report = (flows: unknown[]): boolean => hostile.send({ t: 'activity-traffic', flows });
      for (let i = 0; i < 500; i++)
        report([
          { from: 'honest', bytes: 1000 },
          { from: 'nobody', bytes: 1 },
          { from: 'hostile', bytes: 1 },
        ]);
      // the metaserver still answers on that connection once it has read the whole burst
      const answer = await hostile.request({ t: 'referrals-get' });
      assert.equal(answer.t, 'referrals');
      const elapsed = (Date.now() - started) / 1000;
      assert.ok(seen.length >= 1, 'the first report passed');
      assert.ok(
        seen.length <= 2 + Math.ceil(elapsed * TRAFFIC_REPORTS_PER_SECOND),
        `${seen.length} relayed in ${elapsed} s`,
      );
      assert.ok(meta.traffic.droppedReports >= 500 - seen.length);
      for (const m of seen)
        assert.deepEqual(m, { type: 'traffic', to: 'hostile', flows: [{ from: 'honest', bytes: 1000 }] });

      // reports that break the table close the connection and relay nothing
      const breaking: unknown[][] = [
        Array.from({ length: 65 }, (_, i) => ({ from: `p${i}`, bytes: 1 })),
        [{ from: 'honest', bytes: MAX_TRAFFIC_BYTES + 1 }],
        [{ from: 'honest', bytes: 1, note: 'x'.repeat(1000) }],
        [{ from: 'honest', bytes: -1 }],
        [{ from: '../honest', bytes: 1 }],
      ];
      for (const flows of breaking) {
        const raw = await registerByHand(meta, `bad-${breaking.indexOf(flows)}`, cleanup);
        const before = seen.length;
        raw.send({ t: 'activity-traffic', flows });
        await raw.whenClosed();
        assert.equal(seen.length, before, JSON.stringify(flows).slice(0, 80));
      }
    } finally {
      for (const close of cleanup.reverse()) await close();
    }
  });

  it('a report from a connection that never registered is dropped', async () => {
    const meta = await fixture.metaserver();
    const seen: BridgeMessage[] = [];
    meta.onChange((m) => seen.push(m));
    await fixture.peer('honest', { metaserver: meta.address });
    const stranger = await RawPeer.connect(meta.address);
    try {
      stranger.send({ t: 'activity-traffic', flows: [{ from: 'honest', bytes: 5 }] });
      const answer = await stranger.request({ t: 'referrals-get' });
      assert.equal(answer.t, 'referrals');
      assert.deepEqual(
        seen.filter((m) => m.type === 'traffic'),
        [],
      );
    } finally {
      stranger.close();
    }
  });
});

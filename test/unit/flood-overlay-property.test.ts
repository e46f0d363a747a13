// The flood overlay's promise, as properties over random schedules: for any degree cap from 2,
// any join order and pace, and after crashes (sockets dropped with no goodbye, as kill -9) and
// leaves, the live peers form one connected overlay within 10 s, none is isolated, and no peer
// ever holds more links than its cap (watched at every link change, not only at the end).
// Joins are 0-500 ms apart but spread over at most 3 s, so 100 peers join 30 ms apart at most.
// A failing schedule is printed with its fast-check seed: P2P_PROPERTY_SEED=<seed> (and
// P2P_PROPERTY_PATH=<path>) replays it; P2P_PROPERTY_RUNS=<n> runs more schedules.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { FloodPeer } from '@node-core/flood/flood-peer';
import type { MetadataServer } from '@node-core/metaserver';
import { once } from 'node:events';
import type { NodeEvent } from '@node-core/events';
import { dial, ephemeralSecurity, WireServer, type Connection, type P2PError } from '@node-core/wire';
import { FloodFixture, waitFor } from './flood-fixture';
import { CapWatch, overlayGroups, untilConnected } from './overlay-graph';

const CONNECT_WITHIN_MS = 10_000;
/** Joins of one schedule are spread over at most this long (pace × peers), to bound a run. */
const JOIN_WINDOW_MS = 3000;

interface Schedule {
  peers: number;
  cap: number;
  paceMs: number;
  killPercent: number;
  leaves: number;
  lateJoins: number;
  /** Sort keys: the join order, and which peers crash or leave. */
  keys: number[];
}

const schedules: fc.Arbitrary<Schedule> = fc.record({
  peers: fc.integer({ min: 8, max: 100 }),
  cap: fc.integer({ min: 2, max: 6 }),
  paceMs: fc.integer({ min: 0, max: 500 }),
  killPercent: fc.integer({ min: 0, max: 30 }),
  leaves: fc.integer({ min: 0, max: 3 }),
  lateJoins: fc.integer({ min: 0, max: 3 }),
  keys: fc.array(fc.nat(), { minLength: 100, maxLength: 100 }),
});

/** `items` ordered by `keys` (a permutation fast-check drew). */
function ordered<T>(items: T[], keys: number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % keys.length] * 128 + i }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.item);
}

class ScheduleRun {
  readonly net = new FloodFixture();
  readonly live = new Set<FloodPeer>();
  readonly caps: CapWatch;
  private meta: MetadataServer | undefined;

  constructor(readonly schedule: Schedule) {
    this.caps = new CapWatch(schedule.cap);
  }

  async join(ids: string[], paceMs: number): Promise<void> {
    const meta = (this.meta ??= await this.net.metaserver());
    const starting: Array<Promise<void>> = [];
    for (const id of ids) {
      starting.push(
        this.net.peer(id, { metaserver: meta.address, maxNeighbors: this.schedule.cap }).then((peer) => {
          this.caps.watch(peer);
          this.live.add(peer);
        }),
      );
      if (paceMs > 0) await sleep(paceMs);
    }
    await Promise.all(starting);
  }

  async remove(peers: FloodPeer[], abrupt: boolean, paceMs: number): Promise<void> {
    for (const peer of peers) {
      this.live.delete(peer);
      this.caps.forget(peer);
      await peer.stop({ abrupt });
      if (paceMs > 0) await sleep(paceMs);
    }
  }

  async connected(stage: string): Promise<number> {
    try {
      return await untilConnected(() => [...this.live], CONNECT_WITHIN_MS);
    } catch (err) {
      throw new Error(`${stage}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.caps.close();
    await this.net.cleanup();
  }
}

async function runSchedule(schedule: Schedule): Promise<void> {
  const run = new ScheduleRun(schedule);
  try {
    const pace = Math.min(schedule.paceMs, Math.floor(JOIN_WINDOW_MS / schedule.peers));
    const ids = Array.from({ length: schedule.peers }, (_, i) => `p${String(i).padStart(2, '0')}`);
    await run.join(ordered(ids, schedule.keys), pace);
    await run.connected('after the joins');
    const doomed = ordered([...run.live], schedule.keys.slice().reverse());
    const kills = Math.floor((schedule.peers * schedule.killPercent) / 100);
    await run.remove(doomed.slice(0, kills), true, Math.min(pace, 50));
    await run.remove(doomed.slice(kills, kills + schedule.leaves), false, 0);
    await run.connected(`after ${kills} crashes and ${schedule.leaves} leaves`);
    await run.join(
      Array.from({ length: schedule.lateJoins }, (_, i) => `late${i}`),
      pace,
    );
    await run.connected(`after ${schedule.lateJoins} late joins`);
    assert.deepEqual(run.caps.violations, [], `cap ${schedule.cap} exceeded`);
  } finally {
    await run.close();
  }
}

describe('flood overlay: one connected graph under any degree cap', function () {
  this.timeout(300_000);
  const net = new FloodFixture();
  afterEach(() => net.cleanup());

  it('8 peers at cap 2 started at once end as one group (not two cycles)', async () => {
    const meta = await net.metaserver();
    const caps = new CapWatch(2);
    try {
      const peers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => net.peer(`s${i}`, { metaserver: meta.address, maxNeighbors: 2 })),
      );
      for (const peer of peers) caps.watch(peer);
      await untilConnected(() => peers, CONNECT_WITHIN_MS);
      assert.equal(overlayGroups(peers).length, 1);
      assert.deepEqual(caps.violations, []);
    } finally {
      caps.close();
    }
  });

  it('random schedules: joins at any pace, crashes and leaves, caps 2..6, 8..100 peers', async () => {
    const seed = process.env.P2P_PROPERTY_SEED ? Number(process.env.P2P_PROPERTY_SEED) : undefined;
    await fc.assert(fc.asyncProperty(schedules, runSchedule), {
      numRuns: Number(process.env.P2P_PROPERTY_RUNS ?? 4),
      seed,
      path: process.env.P2P_PROPERTY_PATH,
      endOnFailure: true,
      verbose: true,
    });
  });
});

describe('flood overlay: links', function () {
  const net = new FloodFixture();
  const servers: WireServer[] = [];
  afterEach(async () => {
    await net.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('two peers that dial each other at once keep their link: no neighbor-down and up', async () => {
    // "z" speaks the wire protocol by hand. When "a" dials it, z dials a back first (a welcomes
    // it), then closes that twin, as z must (the link dialed by the smaller id, a, wins), and
    // only then answers a's join: a sees its current connection close while its own dial is
    // still under way.
    // one key pair for z's listener and its dial back: a pins "z" to it
    const zSecurity = ephemeralSecurity('z');
    const z = new WireServer({ security: zSecurity });
    servers.push(z);
    const zAddress = await z.listen('127.0.0.1', 0);
    const peer = new FloodPeer({ id: 'a', dir: await net.tempDir(), join: zAddress, heartbeatMs: 150 });
    net.peers.push(peer);
    const events: string[] = [];
    const onEvent = (e: NodeEvent): void => {
      if (e.event === 'neighbor-up' || e.event === 'neighbor-down') events.push(`${e.event} ${e.id}`);
    };
    let kept: Connection | undefined;
    let answered = false;
    let linkOnKept = false;
    const joins: string[] = [];
    let zFailed: unknown;
    z.on('connection', (conn) => {
      conn.setHandler((incoming) => {
        const { msg } = incoming;
        if (msg.t === 'neighbors-get') void conn.reply(incoming, { t: 'neighbors', peers: [] });
        // a's heartbeats on the connection z kept: a moved the link there
        if (conn === kept && answered && msg.t !== 'join') linkOnKept = true;
        if (msg.t !== 'join') return;
        joins.push(`${msg.id} ${msg.neighbors?.join(',') ?? '-'}`);
        if (kept) {
          void conn.reply(incoming, { t: 'welcome', id: 'z' }).catch(() => undefined);
          return;
        }
        kept = conn;
        void (async () => {
          const twin = await dial(peer.address, { security: zSecurity });
          twin.setHandler(() => undefined);
          const answer = await twin.request({ t: 'join', id: 'z', host: zAddress.host, port: zAddress.port });
          assert.equal(answer.msg.t, 'welcome');
          twin.close();
          // give a the time to take the close for a lost link (bounded: nothing to wait for when it does not)
          await Promise.race([once(peer, 'event'), sleep(300)]);
          await conn.reply(incoming, { t: 'welcome', id: 'z' });
          answered = true;
        })().catch((err: unknown) => {
          zFailed = err;
        });
      });
    });
    peer.on('event', onEvent);
    await peer.start();
    await waitFor('a heart-beating z on the connection a dialed', () => linkOnKept || zFailed !== undefined);
    assert.equal(zFailed, undefined);
    assert.deepEqual(events, ['neighbor-up z']);
    // the link lives on the connection a dialed: closing it is what takes z down (a may then rejoin z)
    kept?.close();
    await waitFor('z down once that connection closes', () => events.length > 1);
    assert.deepEqual(events.slice(0, 2), ['neighbor-up z', 'neighbor-down z'], `joins at z: ${joins.join(' | ')}`);
  });

  it('a mend from a peer (only the metaserver may send one) closes that connection', async () => {
    const a = await net.peer('a');
    const conn = await dial(a.address, {});
    conn.setHandler(() => undefined);
    const closed = once(conn, 'close');
    await conn.send({ t: 'mend', peer: { id: 'x', host: '127.0.0.1', port: 9 } });
    const [err] = (await closed) as [P2PError | undefined];
    assert.equal(err?.code, 'PROTOCOL');
    assert.deepEqual(a.neighbors(), []);
  });
});

// `p2p-node peer --mode chord --json` as separate processes: ready with nodeId, LOOKUP of
// 40-hex keys and of names answered with the true owner (computed here from the ready
// events' node ids), TOPO with predecessor/successors/fingers, SHARE + GET, two versions of one
// name (SEARCH lists both, `GET name <root>` picks one), STOP.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopologyEvent } from '@node-core/events';
import { bundleCli, CliProcess, removeCliBundle } from './cli-process';
import { rootOf } from './support/file-root';

interface Started {
  proc: CliProcess;
  id: string;
  nodeId: string;
  dir: string;
}

describe('cli: p2p-node peer --mode chord', function () {
  this.timeout(30_000);
  let cli: string;
  let root: string;
  const procs: CliProcess[] = [];

  before(async () => {
    cli = await bundleCli();
  });
  after(() => removeCliBundle());
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chord-cli-'));
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await rm(root, { recursive: true, force: true });
  });

  const start = (args: string[]): CliProcess => {
    const p = new CliProcess(cli, args);
    procs.push(p);
    return p;
  };

  async function chordPeer(id: string, via: string[]): Promise<Started> {
    const dir = join(root, id);
    const proc = start([
      'peer',
      '--id',
      id,
      '--mode',
      'chord',
      '--dir',
      dir,
      '--json',
      '--heartbeat-ms',
      '100',
      ...via,
    ]);
    const ready = await proc.next('ready');
    assert.ok(ready.role === 'peer' && ready.mode === 'chord');
    assert.match(ready.nodeId ?? '', /^[0-9a-f]{40}$/);
    assert.equal(ready.nodeId, createHash('sha1').update(`${ready.host}:${ready.port}`).digest('hex'));
    return { proc, id, nodeId: ready.nodeId ?? '', dir };
  }

  /** Successor of `key` among the peers: ids are 40 hex digits, so string order is numeric order. */
  function owner(key: string, peers: readonly Started[]): Started {
    const sorted = [...peers].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    return sorted.find((p) => p.nodeId >= key) ?? sorted[0];
  }

  async function topo(p: Started): Promise<TopologyEvent> {
    const from = p.proc.events.length;
    p.proc.send('TOPO');
    return p.proc.next('topology', () => true, 5000, from);
  }

  /** Waits until every peer's TOPO shows its true successor and predecessor; returns the peers by id. */
  async function settled(peers: readonly Started[]): Promise<Started[]> {
    const n = peers.length;
    const sorted = [...peers].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const views = await Promise.all(peers.map(topo));
      const exact = views.every((v, i) => {
        const k = sorted.indexOf(peers[i]);
        return v.successors?.[0]?.id === sorted[(k + 1) % n].id && v.predecessor?.id === sorted[(k + n - 1) % n].id;
      });
      if (exact) {
        assert.ok(views.every((v) => (v.fingers?.length ?? 0) > 0 && v.neighbors.length === 2));
        return sorted;
      }
      assert.ok(
        Date.now() < deadline,
        `ring did not settle: ${JSON.stringify(views.map((v) => [v.predecessor?.id, v.successors?.[0]?.id]))}`,
      );
      await sleep(200);
    }
  }

  it('LOOKUP names the true owner; TOPO shows the ring; SHARE + GET; STOP', async () => {
    const meta = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '100']);
    const ready = await meta.next('ready');
    const metaserver = ['--metaserver', `127.0.0.1:${ready.port}`];
    const peers: Started[] = [];
    for (let i = 0; i < 5; i++) peers.push(await chordPeer(`c${i}`, metaserver));
    // One joins through --join instead of the metaserver.
    const first = peers[0].proc.events.find((e) => e.event === 'ready');
    assert.ok(first?.event === 'ready');
    peers.push(await chordPeer('c5', ['--join', `127.0.0.1:${first.port}`]));

    const sorted = await settled(peers);
    const n = peers.length;

    for (let i = 0; i < 12; i++) {
      const key = i % 3 === 0 ? `file-${i}.txt` : randomBytes(20).toString('hex');
      const expectedKey = i % 3 === 0 ? createHash('sha1').update(key).digest('hex') : key;
      const asker = peers[i % peers.length];
      const from = asker.proc.events.length;
      asker.proc.send(`lookup ${key}`);
      const found = await asker.proc.next('lookup', () => true, 5000, from);
      assert.equal(found.key, expectedKey);
      assert.equal(found.owner.id, owner(expectedKey, peers).id, `LOOKUP ${key} from ${asker.id}`);
      assert.equal(found.owner.nodeId, owner(expectedKey, peers).nodeId);
      assert.ok(found.hops >= 0 && found.hops <= 4);
    }

    const data = randomBytes(200_000);
    const source = join(root, 'report.bin');
    await writeFile(source, data);
    peers[1].proc.send(`SHARE ${source}`);
    await peers[1].proc.next('shared', (e) => e.name === 'report.bin');
    // The owner fetches it as part of SHARE and replicates it on its 2 successors; a peer
    // outside those (and not the sharer) then finds it by key.
    const k = sorted.indexOf(owner(createHash('sha1').update('report.bin').digest('hex'), peers));
    const holders = [0, 1, 2].map((d) => sorted[(k + d) % n]);
    const reader = peers.find((p) => p !== peers[1] && !holders.includes(p));
    assert.ok(reader);
    reader.proc.send('GET report.bin');
    const done = await reader.proc.next('download-complete', (e) => e.name === 'report.bin', 10_000);
    assert.ok((await readFile(done.path)).equals(data));

    // Two versions of one name, shared by two peers outside its placement: SEARCH lists both,
    // and a GET picks one by its root.
    const kn = sorted.indexOf(owner(createHash('sha1').update('notes.bin').digest('hex'), peers));
    const placed = [0, 1, 2].map((d) => sorted[(kn + d) % n]);
    const [x, y, z] = peers.filter((p) => !placed.includes(p));
    const versions = [randomBytes(30_000), randomBytes(40_000)];
    const roots = versions.map((v) => rootOf(v));
    for (const [i, sharer] of [x, y].entries()) {
      const dir = join(root, `version-${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'notes.bin'), versions[i]);
      sharer.proc.send(`SHARE ${join(dir, 'notes.bin')}`);
      await sharer.proc.next('shared', (e) => e.name === 'notes.bin');
    }
    const from = z.proc.events.length;
    z.proc.send('SEARCH notes.bin');
    const one = await z.proc.next('search-result', (e) => e.name === 'notes.bin', 10_000, from);
    const other = await z.proc.next('search-result', (e) => e.root !== one.root, 5000, from);
    assert.deepEqual([one.root, other.root].sort(), [...roots].sort());
    z.proc.send(`GET notes.bin ${roots[1]}`);
    const got = await z.proc.next('download-complete', (e) => e.name === 'notes.bin', 10_000);
    assert.equal(got.root, roots[1]);
    assert.ok((await readFile(got.path)).equals(versions[1]));

    peers[2].proc.send('STOP');
    await peers[2].proc.next('stopped');
    assert.equal(await peers[2].proc.exited, 0);
  });

  it('kill -9 of 2 of 6 settled peers: LOOKUP right away names the true owner among the survivors', async () => {
    const meta = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '100']);
    const ready = await meta.next('ready');
    const peers: Started[] = [];
    for (let i = 0; i < 6; i++) peers.push(await chordPeer(`k${i}`, ['--metaserver', `127.0.0.1:${ready.port}`]));
    await settled(peers);
    const victims = [peers[1], peers[4]];
    await Promise.all(victims.map((v) => v.proc.kill('SIGKILL')));
    const survivors = peers.filter((p) => !victims.includes(p));
    // Right away, no repair wait: answers naming a dead node are checked and passed on.
    for (let i = 0; i < 12; i++) {
      const key = randomBytes(20).toString('hex');
      const asker = survivors[i % survivors.length];
      const from = asker.proc.events.length;
      asker.proc.send(`LOOKUP ${key}`);
      const found = await asker.proc.next('lookup', () => true, 8000, from);
      assert.equal(found.owner.id, owner(key, survivors).id, `LOOKUP ${key} from ${asker.id}`);
    }
  });
});

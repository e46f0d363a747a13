// Several hosts: five network namespaces on one bridge (a 'hub' namespace acting as the switch),
// 10.77.0.1–5/24 living only inside them. The metaserver runs on host 1, peers on hosts 2–5,
// each `ip netns exec NS node dist/p2p-node.js ... --host 10.77.0.X`; a search and a verified
// download cross the bridge, and `ss -ltn` in every namespace shows each server bound to its
// own address only (nothing on 0.0.0.0 or ::). Needs root (CI is root) or passwordless sudo;
// otherwise it fails and says so. Then two more peers listen on 0.0.0.0 and are still reached
// at their own address (--advertise, or found by themselves). Namespaces have unique names and are
// removed in every case.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CliProcess } from './cli-process';
import { NetnsLab } from './support/netns-lab';
import { rootOf } from './support/file-root';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../dist/p2p-node.js');
const HOSTS = 5;

describe('netns: five hosts on a bridge (metaserver and peers on their own addresses)', function () {
  this.timeout(60_000);
  let lab: NetnsLab | undefined;
  let hosts: string[] = [];
  let root = '';
  const address = (i: number): string => lab!.address(i);
  const ip = (...args: string[]): Promise<string> => lab!.ip(...args);
  const inNs = (ns: string, ...command: string[]): Promise<string> => lab!.inNs(ns, ...command);
  const start = (ns: string, args: string[]): CliProcess => lab!.startCli(ns, CLI, args);

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    root = await mkdtemp(join(tmpdir(), 'p2p-netns-'));
    lab = await NetnsLab.create(HOSTS, '10.77.0');
    hosts = lab.hosts;
  });

  after(async () => {
    await lab?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('searches and downloads across hosts; every server listens on its own address only', async () => {
    // the addresses exist only inside the namespaces: the caller's namespace has no 10.77 route
    assert.doesNotMatch(await ip('-o', 'addr', 'show'), /10\.77\./);

    const ms = start(hosts[0], ['metaserver', '--host', address(0), '--port', '0', '--json', '--heartbeat-ms', '300']);
    const msReady = await ms.next('ready', () => true, 15_000);
    assert.equal(msReady.host, address(0));
    const content = randomBytes(20 * 1024 * 1024 + 5);
    const peers: CliProcess[] = [];
    for (let i = 1; i < HOSTS; i++) {
      const dir = join(root, `peer${i}`);
      await run('mkdir', ['-p', dir]);
      if (i === 2) await writeFile(join(dir, 'across.bin'), content);
      const p = start(hosts[i], [
        'peer',
        '--id',
        `host${i + 1}`,
        '--host',
        address(i),
        '--metaserver',
        `${address(0)}:${msReady.port}`,
        '--dir',
        dir,
        '--json',
        '--heartbeat-ms',
        '300',
      ]);
      const ready = await p.next('ready', () => true, 15_000);
      assert.equal(ready.role === 'peer' && ready.host, address(i));
      peers.push(p);
    }
    for (const p of peers) await p.next('neighbor-up', () => true, 10_000);

    // every listening socket in every namespace is on that namespace's own address
    for (const [i, ns] of hosts.entries()) {
      const listening = (await inNs(ns, 'ss', '-Hltn'))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/\s+/)[3]);
      assert.ok(listening.length >= 1, `${ns}: nothing listens`);
      for (const local of listening) {
        assert.ok(
          local.startsWith(`${address(i)}:`),
          `${ns} (${address(i)}) listens on ${local}: servers must bind only where told`,
        );
      }
    }

    const searcher = peers[3]; // host 5, the holder is host 3
    searcher.send('SEARCH across.bin');
    const found = await searcher.next('search-result', () => true, 10_000);
    assert.deepEqual(
      found.holders.map((h) => [h.id, h.host]),
      [['host3', address(2)]],
    );
    assert.equal(found.root, rootOf(content));
    searcher.send('GET across.bin');
    const done = await searcher.next('download-complete', () => true, 30_000);
    assert.deepEqual(done.sources, ['host3']);
    assert.equal(done.root, found.root);
    assert.ok((await readFile(done.path)).equals(content), 'downloaded bytes differ');

    // a peer bound to every interface of its host announces an address others can dial: the
    // one named by --advertise, or without it the host's own (here its only non-loopback one)
    const wide = [
      { ns: hosts[1], host: address(1), id: 'wide-auto', args: [] as string[] },
      { ns: hosts[2], host: address(2), id: 'wide-named', args: ['--advertise', address(2)] },
    ];
    for (const [k, w] of wide.entries()) {
      const dir = join(root, w.id);
      await run('mkdir', ['-p', dir]);
      await writeFile(join(dir, `wide${k}.txt`), `served by ${w.id}`);
      const p = start(w.ns, [
        'peer',
        '--id',
        w.id,
        '--host',
        '0.0.0.0',
        ...w.args,
        '--metaserver',
        `${address(0)}:${msReady.port}`,
        '--dir',
        dir,
        '--json',
        '--heartbeat-ms',
        '300',
      ]);
      const ready = await p.next('ready', () => true, 15_000);
      assert.equal(
        ready.role === 'peer' && ready.host,
        w.host,
        `${w.id} announces ${ready.role === 'peer' ? ready.host : '?'}`,
      );
      await p.next('neighbor-up', () => true, 10_000);
      const from = searcher.events.length;
      searcher.send(`GET wide${k}.txt`);
      const got = await searcher.next('download-complete', () => true, 30_000, from);
      assert.deepEqual(got.sources, [w.id]);
      assert.equal(await readFile(got.path, 'utf8'), `served by ${w.id}`);
    }
  });
});

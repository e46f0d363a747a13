// Peers behind real NAT. Network namespaces the test makes: a "public" segment (a bridge in the
// metaserver's namespace, 10.78.0.0/24) and two homes, each behind its own router namespace that
// masquerades (nftables) the home's 10.78.N.0/24 onto the public segment. A home peer can dial
// out; nobody can dial in (the public side has no route to the homes). With --allow-relay each
// home peer is admitted as relayed, and a file in home A is found and downloaded, verified, by a
// peer in home B through the metaserver's relay; a holder killed mid-transfer on the relay path
// leaves the GET to the other holder. Needs root (CI is root) or `sudo -n`, and nft; removed in every case.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TopologyPeer } from '@node-core/topology';
import { NetnsLab } from './support/netns-lab';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../dist/p2p-node.js');
const PUBLIC = '10.78.0.1';
const HOMES = ['a', 'b'] as const;
const routerPublic = (i: number): string => `10.78.0.${11 + i}`;
const homeNet = (i: number, host: number): string => `10.78.${i + 1}.${host}`;
const FAST = ['--json', '--heartbeat-ms', '300'];
const TRIES = 20;

describe('netns: peers behind NAT reach each other through the relay', function () {
  this.timeout(120_000);
  let lab: NetnsLab;
  let pub = '';
  const homes: string[] = [];
  let root = '';

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    lab = await NetnsLab.bare();
    await run('nft', ['--version']).catch(() => {
      throw new Error('netns NAT test: nft is missing (apt-get install nftables; npm test installs it)');
    });
    root = await mkdtemp(join(tmpdir(), 'p2p-nat-'));
    pub = await lab.namespace('pub');
    await lab.ip('-n', pub, 'link', 'add', 'br0', 'type', 'bridge');
    await lab.ip('-n', pub, 'link', 'set', 'br0', 'up');
    await lab.addAddress(pub, 'br0', `${PUBLIC}/24`);
    for (const [i, name] of HOMES.entries()) {
      const router = await lab.namespace(`r${name}`);
      const home = await lab.namespace(`h${name}`);
      homes.push(home);
      await lab.link(pub, `r${name}0`, router, 'wan');
      await lab.ip('-n', pub, 'link', 'set', `r${name}0`, 'master', 'br0');
      await lab.addAddress(router, 'wan', `${routerPublic(i)}/24`);
      await lab.link(router, 'lan', home, 'eth0');
      await lab.addAddress(router, 'lan', `${homeNet(i, 1)}/24`);
      await lab.addAddress(home, 'eth0', `${homeNet(i, 2)}/24`);
      await lab.ip('-n', home, 'route', 'add', 'default', 'via', homeNet(i, 1));
      await lab.inNs(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      await lab.inNs(router, 'nft', 'add', 'table', 'ip', 'nat');
      await lab.inNs(router, 'nft', 'add chain ip nat post { type nat hook postrouting priority 100 ; }');
      await lab.inNs(router, 'nft', 'add', 'rule', 'ip', 'nat', 'post', 'oifname', 'wan', 'masquerade');
      // as home routers do: what nobody inside asked for is dropped, not answered
      await lab.inNs(router, 'nft', 'add', 'table', 'ip', 'filter');
      await lab.inNs(router, 'nft', 'add chain ip filter input { type filter hook input priority 0 ; }');
      await lab.inNs(
        router,
        'nft',
        'add',
        'rule',
        'ip',
        'filter',
        'input',
        'iifname',
        'wan',
        'ct',
        'state',
        'new',
        'drop',
      );
    }
  });

  after(async () => {
    await lab?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function peer(
    ns: string,
    id: string,
    host: string,
    port: number,
    files: Record<string, Buffer> = {},
    extra: string[] = [],
  ) {
    const dir = join(root, id);
    await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const p = lab.startCli(ns, CLI, [
      'peer',
      '--id',
      id,
      '--host',
      host,
      '--metaserver',
      `${PUBLIC}:${port}`,
      '--dir',
      dir,
      '--allow-relay',
      '--max-upload',
      '4M',
      ...extra,
      ...FAST,
    ]);
    const ready = await p.next('ready', () => true, 20_000);
    return { p, ready };
  }

  async function topology(port: number): Promise<TopologyPeer[]> {
    const out = await lab.inNs(pub, 'node', CLI, 'topo', '--metaserver', `${PUBLIC}:${port}`, '--json');
    return (JSON.parse(out) as { peers: TopologyPeer[] }).peers;
  }

  it('a peer in home B finds and downloads, verified, a file in home A; a killed holder falls back', async () => {
    // the caller's namespace sees none of it
    assert.doesNotMatch(await lab.ip('-o', 'addr', 'show'), /10\.78\./);
    const ms = lab.startCli(pub, CLI, ['metaserver', '--host', PUBLIC, '--port', '0', ...FAST]);
    const msReady = await ms.next('ready', () => true, 20_000);
    assert.ok(msReady.role === 'metaserver' && msReady.relayPort, 'the metaserver announces its relay port');
    const port = msReady.port;

    const small = randomBytes(3 * 1024 * 1024 + 11);
    const large = randomBytes(40 * 1024 * 1024 + 5);
    const a = await peer(homes[0], 'home-a', homeNet(0, 2), port, { 'small.bin': small, 'large.bin': large });
    const b = await peer(homes[1], 'home-b', homeNet(1, 2), port);
    for (const { ready } of [a, b]) {
      assert.ok(ready.role === 'peer' && ready.reachable === false && ready.relayed === true, JSON.stringify(ready));
    }
    await b.p.next('neighbor-up', (e) => e.id === 'home-a', 15_000);
    const relayed = (await topology(port)).filter((p) => p.relayed).map((p) => p.id);
    assert.deepEqual(relayed.sort(), ['home-a', 'home-b']);

    // home B has no route to home A: only the relay carries this
    b.p.send('GET small.bin');
    const smallDone = await b.p.next('download-complete', (e) => e.name === 'small.bin', 30_000);
    assert.deepEqual(smallDone.sources, ['home-a']);
    assert.equal(smallDone.sha256, createHash('sha256').update(small).digest('hex'));
    assert.ok((await readFile(smallDone.path)).equals(small), 'downloaded bytes differ');

    // a second holder on the public segment; home A dies mid-transfer, the GET finishes from it
    const publicDir = join(root, 'public');
    await mkdir(publicDir, { recursive: true });
    await writeFile(join(publicDir, 'large.bin'), large);
    const open = lab.startCli(pub, CLI, [
      'peer',
      '--id',
      'public',
      '--host',
      PUBLIC,
      '--metaserver',
      `${PUBLIC}:${port}`,
      '--dir',
      publicDir,
      '--max-upload',
      '4M',
      ...FAST,
    ]);
    const openReady = await open.next('ready', () => true, 20_000);
    assert.ok(openReady.role === 'peer' && openReady.reachable === true && !openReady.relayed);
    await open.next('neighbor-up', () => true, 15_000);
    const from = b.p.events.length;
    b.p.send('SEARCH large.bin');
    const found = await b.p.next('search-result', (e) => e.name === 'large.bin', 15_000, from);
    assert.deepEqual(found.holders.map((h) => h.id).sort(), ['home-a', 'public']);
    b.p.send('GET large.bin');
    await b.p.next('download-progress', (e) => (e.sources?.['home-a'] ?? 0) >= 2 * 1024 * 1024, 30_000, from);
    await a.p.kill();
    const done = await b.p.next('download-complete', (e) => e.name === 'large.bin', 60_000, from);
    assert.equal(done.sha256, createHash('sha256').update(large).digest('hex'));
    assert.ok((await readFile(done.path)).equals(large), 'downloaded bytes differ');
  });

  it('with --punch, two relayed peers punch a hole and go direct; the success rate over 20 tries', async () => {
    const ms = lab.startCli(pub, CLI, ['metaserver', '--host', PUBLIC, '--port', '0', ...FAST]);
    const port = (await ms.next('ready', () => true, 20_000)).port;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < TRIES; i++) files[`p${i}.bin`] = randomBytes(64 * 1024 + i);
    const a = await peer(homes[0], 'punch-a', homeNet(0, 2), port, files, ['--punch']);
    const b = await peer(homes[1], 'punch-b', homeNet(1, 2), port, {}, ['--punch']);
    assert.ok(a.ready.role === 'peer' && a.ready.relayed && b.ready.role === 'peer' && b.ready.relayed);
    await b.p.next('neighbor-up', (e) => e.id === 'punch-a', 15_000);
    const from = b.p.events.length;
    for (let i = 0; i < TRIES; i++) {
      b.p.send(`GET p${i}.bin`);
      const done = await b.p.next('download-complete', (e) => e.name === `p${i}.bin`, 30_000, from);
      assert.equal(done.sha256, createHash('sha256').update(files[`p${i}.bin`]).digest('hex'));
    }
    const punches = b.p.events.slice(from).filter((e) => e.event === 'punch' && e.peer === 'punch-a');
    const ok = punches.filter((e) => e.event === 'punch' && e.ok).length;
    const ms_ = punches.map((e) => (e.event === 'punch' ? e.ms : 0)).sort((x, y) => x - y);
    console.log(
      `      punch success ${ok}/${punches.length} (one per GET; libp2p reports ~70 % on the internet), ` +
        `median ${ms_[Math.floor(ms_.length / 2)] ?? '-'} ms`,
    );
    assert.equal(punches.length, TRIES, 'every GET punched (or tried to)');
    assert.ok(ok > 0, 'at least one punch went through');
    // a direct link: home B holds a TCP connection to home A's router, the metaserver carries none of it
    const established = await lab.inNs(homes[1], 'ss', '-Htn', 'state', 'established', 'dst', routerPublic(0));
    assert.match(established, new RegExp(routerPublic(0).replaceAll('.', '\\.')));
  });
});

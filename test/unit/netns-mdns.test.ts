// Zero-config joining between hosts: three network namespaces on a bridge with multicast
// (test/unit/support/netns-lab.ts), never the machine's real interfaces. A metaserver bound to
// its host's address announces itself by default; `p2p-node peer --metaserver auto` on another
// host finds it and joins, while a third host multicasts hostile answers (junk, oversized,
// spoofed for another address) all along. With nothing announced, or two networks, `auto`
// fails and says what it found.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli, removeCliBundle, type CliProcess } from './cli-process';
import { NetnsLab } from './support/netns-lab';

const HOSTILE = resolve(__dirname, 'fixtures/hostile-mdns-announcer.ts');

describe('netns: a metaserver found on the LAN (mDNS)', function () {
  this.timeout(90_000);
  let lab: NetnsLab | undefined;
  let cli = '';
  let root = '';

  before(async () => {
    cli = await bundleCli();
    root = await mkdtemp(join(tmpdir(), 'p2p-netns-mdns-'));
    lab = await NetnsLab.create(3, '10.78.0');
  });

  after(async () => {
    await lab?.close();
    await removeCliBundle();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function autoPeer(host: number, id: string, extra: string[] = []): Promise<CliProcess> {
    const dir = join(root, id);
    await mkdir(dir, { recursive: true });
    return lab!.startCli(lab!.hosts[host], cli, [
      'peer',
      '--id',
      id,
      '--host',
      lab!.address(host),
      '--metaserver',
      'auto',
      '--discover-ms',
      '1500',
      '--dir',
      dir,
      '--json',
      '--heartbeat-ms',
      '300',
      ...extra,
    ]);
  }

  async function failure(peer: CliProcess): Promise<string> {
    const error = await peer.next('error', () => true, 15_000);
    assert.equal(await peer.exited, 1);
    assert.equal(error.code, 'DISCOVERY_FAILED');
    return error.message;
  }

  it('auto finds the one announced network and joins it, through a hostile host; none or two is an error', async () => {
    const l = lab!;
    assert.doesNotMatch(await l.ip('-o', 'addr', 'show'), /10\.78\./, 'the lab leaked into the caller');

    const none = await failure(await autoPeer(1, 'early'));
    assert.match(
      none,
      /no P2P network announced itself on the LAN within 1\.5 s \(looked on 127\.0\.0\.1, 10\.78\.0\.2\)/,
    );

    const hostile = l.spawnNode(l.hosts[2], ['--import', 'tsx', HOSTILE, l.address(2), l.address(0)]);
    await once(hostile.stdout!, 'data');

    const ms = l.startCli(l.hosts[0], cli, [
      'metaserver',
      '--host',
      l.address(0),
      '--port',
      '0',
      '--network-name',
      'Lab one',
      '--json',
      '--heartbeat-ms',
      '300',
    ]);
    const ready = await ms.next('ready', () => true, 15_000);
    assert.ok(ready.role === 'metaserver');
    assert.deepEqual(
      ready.announced,
      { name: 'Lab one', addresses: [l.address(0)] },
      'bound beyond loopback: announced',
    );

    const a = await autoPeer(1, 'auto-a');
    const b = await autoPeer(2, 'auto-b');
    for (const peer of [a, b]) {
      const joined = await peer.next('ready', () => true, 15_000);
      assert.ok(joined.role === 'peer');
      assert.deepEqual(joined.discovered, {
        name: 'Lab one',
        host: l.address(0),
        port: ready.port,
        fingerprint: ready.fingerprint,
      });
    }
    // they met through the metaserver they found
    await a.next('neighbor-up', (e) => e.id === 'auto-b', 10_000);

    const second = l.startCli(l.hosts[2], cli, [
      'metaserver',
      '--host',
      l.address(2),
      '--port',
      '0',
      '--network-name',
      'Lab two',
      '--json',
    ]);
    const secondReady = await second.next('ready', () => true, 15_000);
    const two = await failure(await autoPeer(1, 'torn'));
    assert.match(two, /^2 P2P networks answered on the LAN: /);
    assert.ok(two.includes(`"Lab one" at ${l.address(0)}:${ready.port}`), two);
    assert.ok(two.includes(`"Lab two" at ${l.address(2)}:${secondReady.port}`), two);
    assert.match(two, /choose one with --metaserver HOST:PORT/);
    assert.equal(hostile.exitCode, null, 'the hostile host stopped sending early');
  });
});

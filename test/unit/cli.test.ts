// The p2p-node CLI as separate processes over real sockets, driven through --json and stdin
// like a user's script: contract events, exit codes, stdin EOF, signals, kill -9 healing.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliProcess } from './cli-process';
import { useCliProcesses } from './cli-suite';

describe('cli: p2p-node over --json', function () {
  this.timeout(30_000);
  const suite = useCliProcesses();
  const { procs, fixture } = suite;

  const start = (args: string[], env?: NodeJS.ProcessEnv): CliProcess => {
    const p = new CliProcess(suite.cli, args, env);
    procs.push(p);
    return p;
  };

  async function metaserver(extra: string[] = []): Promise<{ proc: CliProcess; address: string }> {
    const proc = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '200', ...extra]);
    const ready = await proc.next('ready');
    assert.equal(ready.role, 'metaserver');
    return { proc, address: `127.0.0.1:${ready.port}` };
  }

  async function peer(
    id: string,
    args: string[],
    files: Record<string, string> = {},
  ): Promise<{ proc: CliProcess; dir: string }> {
    const dir = await fixture.tempDir();
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const proc = start(['peer', '--id', id, '--dir', dir, '--json', '--heartbeat-ms', '200', ...args]);
    const ready = await proc.next('ready');
    assert.ok(ready.role === 'peer');
    assert.deepEqual([ready.id, ready.mode, ready.host], [id, 'flood', '127.0.0.1']);
    assert.ok(ready.port > 0);
    return { proc, dir };
  }

  it('exits 2 with usage on a bad command line, prints --version', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['peer'],
      ['peer', '--id', 'a', '--port', 'x'],
      ['peer', '--id', 'a', '--mode', 'ring'],
      ['metaserver', '--nope'],
    ]) {
      const p = start(args);
      assert.equal(await p.exited, 2, args.join(' '));
      assert.match(p.stderr, /usage:/);
      assert.equal(p.lines.length, 0);
    }
    const v = start(['--version']);
    assert.equal(await v.exited, 0);
    assert.match(v.lines[0], /^p2p-node \d+\.\d+\.\d+/);
  });

  it('runs a session: TOPO, FILES, SHARE, SEARCH, GET, bare name, errors, STOP; topo --json', async () => {
    const ms = await metaserver();
    const a = await peer('a', ['--metaserver', ms.address], { 'f1.txt': 'one' });
    const b = await peer('b', ['--metaserver', ms.address]);
    await b.proc.next('neighbor-up', (e) => e.id === 'a');
    await b.proc.next('topology', (e) => e.neighbors.some((n) => n.id === 'a'));

    b.proc.send('topo');
    const topo = await b.proc.next('topology', (e) => e.neighbors.length === 1, 5000, b.proc.events.length);
    assert.equal(topo.neighbors[0].id, 'a');

    const extra = join(a.dir, 'extra');
    await mkdir(extra);
    await writeFile(join(extra, 'f2.txt'), 'two!');
    a.proc.send(`SHARE ${join(extra, 'f2.txt')}`);
    const shared = await a.proc.next('shared');
    assert.deepEqual([shared.name, shared.size], ['f2.txt', 4]);
    a.proc.send('Files');
    const files = await a.proc.next('files');
    assert.deepEqual(
      files.files.map((f) => f.name),
      ['f1.txt', 'f2.txt'],
    );

    const searchFrom = b.proc.events.length;
    b.proc.send('search f2.txt');
    const hit = await b.proc.next('search-result');
    assert.deepEqual([hit.name, hit.size, hit.holders.map((h) => h.id)], ['f2.txt', 4, ['a']]);
    // each holder's answer is printed as it arrives, before the final result
    const answers = b.proc.events
      .slice(searchFrom)
      .filter((e) => e.event === 'search-hit' || e.event === 'search-result');
    assert.deepEqual(
      answers.map((e) => (e.event === 'search-hit' ? `hit ${e.holder.id}` : e.event)),
      ['hit a', 'search-result'],
    );
    // a file copied into a's folder is offered without a command
    await writeFile(join(a.dir, 'f3.txt'), 'three');
    const added = await a.proc.next('file-added', (e) => e.name === 'f3.txt');
    assert.deepEqual([added.size, added.path], [5, join(a.dir, 'f3.txt')]);
    b.proc.send('SEARCH none.txt');
    await b.proc.next('not-found', (e) => e.name === 'none.txt');

    b.proc.send('GET f2.txt');
    const done = await b.proc.next('download-complete');
    assert.equal(done.path, join(b.dir, 'Downloads', 'f2.txt'));
    assert.equal(await readFile(done.path, 'utf8'), 'two!');
    assert.deepEqual(done.sources, ['a']);
    assert.ok(b.proc.events.some((e) => e.event === 'download-progress' && e.bytes === 4 && e.total === 4));
    b.proc.send('f1.txt');
    await b.proc.next('download-complete', (e) => e.name === 'f1.txt');
    b.proc.send('GET f1.txt');
    await b.proc.next('error', (e) => e.code === 'FILE_EXISTS');
    b.proc.send('GET ../../etc/passwd');
    await b.proc.next('error', (e) => e.code === 'BAD_NAME');
    b.proc.send('frobnicate now');
    await b.proc.next('error', (e) => e.code === 'BAD_COMMAND');
    b.proc.send('GET f9.txt');
    b.proc.send('cancel f9.txt');
    await b.proc.next('error', (e) => e.code === 'CANCELLED' && e.name === 'f9.txt');
    b.proc.send('CANCEL f9.txt');
    await b.proc.next('error', (e) => e.code === 'NOT_FOUND' && e.name === 'f9.txt');

    const topoCli = start(['topo', '--metaserver', ms.address, '--json']);
    assert.equal(await topoCli.exited, 0);
    const network = JSON.parse(topoCli.lines[0]) as {
      peers: Array<{ id: string; host: string; port: number; mode: string; neighbors: string[] }>;
    };
    assert.deepEqual(network.peers.map((p) => [p.id, p.mode, p.neighbors]).sort(), [
      ['a', 'flood', ['b']],
      ['b', 'flood', ['a']],
    ]);
    assert.ok(network.peers.every((p) => p.host === '127.0.0.1' && p.port > 0));

    b.proc.send('STOP');
    assert.equal(await b.proc.exited, 0);
    assert.equal(b.proc.events.at(-1)?.event, 'stopped');
    await a.proc.next('neighbor-down', (e) => e.id === 'b');
    for (const line of [...a.proc.lines, ...b.proc.lines]) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('refuses a duplicate id, the same id with another key, and a wrong key with error events and exit 1', async () => {
    const ms = await metaserver(['--key', 'sesame']);
    const k = await peer('k', ['--metaserver', ms.address, '--key', 'sesame']);
    // a second copy of the same peer (same folder, so the same key) while the first is live
    const dup = start(['peer', '--id', 'k', '--dir', k.dir, '--metaserver', ms.address, '--json'], {
      P2P_NETWORK_KEY: 'sesame',
    });
    assert.equal((await dup.next('error')).code, 'DUPLICATE_ID');
    assert.equal(await dup.exited, 1);
    // someone else claiming "k": another folder, another key pair
    const other = await fixture.tempDir();
    const impostor = start(['peer', '--id', 'k', '--dir', other, '--metaserver', ms.address, '--json'], {
      P2P_NETWORK_KEY: 'sesame',
    });
    const refusal = await impostor.next('error');
    assert.equal(refusal.code, 'KEY_CHANGED');
    assert.match(
      String(refusal.message),
      new RegExp(String(k.proc.events.find((e) => e.event === 'ready')?.fingerprint)),
    );
    assert.equal(await impostor.exited, 1);
    const wrongDir = await fixture.tempDir();
    const wrong = start([
      'peer',
      '--id',
      'w',
      '--dir',
      wrongDir,
      '--metaserver',
      ms.address,
      '--json',
      '--key',
      'open-sesame',
    ]);
    assert.equal((await wrong.next('error')).code, 'AUTH_FAILED');
    assert.equal(await wrong.exited, 1);
    const empty = start(['peer', '--id', '', '--metaserver', ms.address, '--json']);
    assert.equal((await empty.next('error')).code, 'EMPTY_ID');
    assert.equal(await empty.exited, 1);
  });

  it('ignores a stdin line too long to be a command (8 MiB, no newline) with BAD_COMMAND, and goes on', async () => {
    const ms = await metaserver();
    const a = await peer('a', ['--metaserver', ms.address]);
    const stdin = a.proc.child.stdin!;
    const block = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 8; i++) if (!stdin.write(block)) await new Promise((r) => stdin.once('drain', r));
    stdin.write('\nTOPO\n');
    const refused = await a.proc.next('error');
    assert.equal(refused.code, 'BAD_COMMAND');
    assert.match(refused.message, /a line of 8388608 characters \(at most 65536\) was ignored/);
    assert.deepEqual((await a.proc.next('topology')).neighbors, []);
    a.proc.send('STOP');
    assert.equal(await a.proc.exited, 0);
  });

  it('keeps running after stdin EOF and stops cleanly on SIGTERM', async () => {
    const ms = await metaserver();
    const a = await peer('a', ['--metaserver', ms.address]);
    a.proc.child.stdin?.end();
    await sleep(300);
    assert.equal(a.proc.child.exitCode, null);
    a.proc.child.kill('SIGTERM');
    assert.equal(await a.proc.exited, 0);
    assert.equal(a.proc.events.at(-1)?.event, 'stopped');
  });

  it('notices a hung neighbour by its missed heartbeats (SIGSTOP) and heals', async () => {
    const ms = await metaserver();
    const hub = await peer('hub', ['--metaserver', ms.address]);
    const hubAddress = `127.0.0.1:${(await hub.proc.next('ready')).port}`;
    const l1 = await peer('l1', ['--join', hubAddress, '--max-neighbors', '1', '--metaserver', ms.address]);
    const l2 = await peer('l2', ['--join', hubAddress, '--max-neighbors', '2', '--metaserver', ms.address]);
    await l1.proc.next('neighbor-up', (e) => e.id === 'hub');
    await l2.proc.next('neighbor-up', (e) => e.id === 'hub');
    hub.proc.child.kill('SIGSTOP'); // alive but silent: sockets stay open, only heartbeats stop
    await l1.proc.next('neighbor-down', (e) => e.id === 'hub', 5000);
    await l2.proc.next('neighbor-down', (e) => e.id === 'hub', 5000);
    await l2.proc.next('neighbor-up', (e) => e.id === 'l1', 8000);
  });

  it('heals after kill -9 of a peer process', async () => {
    const ms = await metaserver();
    const hub = await peer('hub', ['--metaserver', ms.address]);
    const hubAddress = `127.0.0.1:${(await hub.proc.next('ready')).port}`;
    // l1 and l2 take one link each (the hub), so the hub is the only path between them until it dies
    const l1 = await peer('l1', ['--join', hubAddress, '--max-neighbors', '1', '--metaserver', ms.address]);
    await l1.proc.next('neighbor-up', (e) => e.id === 'hub');
    const l2 = await peer('l2', ['--join', hubAddress, '--max-neighbors', '1', '--metaserver', ms.address], {
      'x.txt': 'x',
    });
    await l2.proc.next('neighbor-up', (e) => e.id === 'hub');
    await hub.proc.kill('SIGKILL');
    await l1.proc.next('neighbor-down', (e) => e.id === 'hub');
    await l2.proc.next('neighbor-down', (e) => e.id === 'hub');
    await l1.proc.next('neighbor-up', (e) => e.id === 'l2', 8000);
    l1.proc.send('SEARCH x.txt');
    const found = await l1.proc.next('search-result');
    assert.deepEqual(
      found.holders.map((h) => h.id),
      ['l2'],
    );
  });
});

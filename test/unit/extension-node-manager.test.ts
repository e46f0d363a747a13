// The node manager against a stand-in CLI (a 20-line script written to a temp dir), so the
// process handling (ready, timeout, early error, STOP, kill after grace, crash, dispose) is
// tested with real child processes but without depending on node-core's network code.

import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeManager, type NodeCrash } from '../../extension/src/nodes/nodeManager';
import { NodeError } from '../../extension/src/nodes/errorMessages';
import type { NodeLog } from '../../extension/src/nodes/managedNode';
import { DownloadCancelled, downloadFile, searchNetwork } from '../../extension/src/nodes/peerOperations';
import { isAlive } from './extension-helpers';

// Behaviour is chosen by the peer id: "slow" never gets ready, "busy" reports PORT_IN_USE,
// "stubborn" ignores STOP, "bad" exits 2 with a usage line; others answer like p2p-node.
const FAKE_CLI = `
const args = process.argv.slice(2);
const arg = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const id = arg('--id');
if (id === 'bad') { process.stderr.write('unknown option --x\\n    at parse (cli.js:1:1)\\n'); process.exit(2); }
if (id === 'flaky') emit({ event: 'error', code: 'PEER_UNREACHABLE', message: 'stale referral' });
if (id === 'busy') {
  emit({ event: 'error', code: 'PORT_IN_USE', message: 'listen EADDRINUSE' });
  setTimeout(() => process.exit(1), 50);
}
else if (id !== 'slow') {
  // Split the ready line in two writes: the manager must reassemble lines.
  const line = JSON.stringify(args[0] === 'metaserver'
    ? { event: 'ready', role: 'metaserver', host: '127.0.0.1', port: 5999 }
    : { event: 'ready', role: 'peer', id, host: '127.0.0.1', port: 4000, mode: 'flood',
        keyed: !!process.env.P2P_NETWORK_KEY });
  process.stdout.write(line.slice(0, 10)); setTimeout(() => process.stdout.write(line.slice(10) + '\\n'), 20);
}
let buffer = '';
process.stdin.on('data', (d) => {
  buffer += d; let i;
  while ((i = buffer.indexOf('\\n')) >= 0) {
    const cmd = buffer.slice(0, i).trim(); buffer = buffer.slice(i + 1);
    if (cmd === 'STOP' && id !== 'stubborn') { emit({ event: 'stopped' }); process.exit(0); }
    if (cmd === 'CRASH') process.exit(3);
    if (cmd.startsWith('SHARE ')) emit({ event: 'shared', name: cmd.slice(6), size: 3, root: 'x', path: '/p' });
    if (cmd === 'SEARCH none') emit({ event: 'not-found', name: 'none' });
    else if (cmd.startsWith('SEARCH ')) {
      const h = (hid) => ({ id: hid, host: '127.0.0.1', port: 1 });
      emit({ event: 'search-result', name: cmd.slice(7), size: 10, root: 'abc', holders: [h('s2')] });
      const later = { event: 'search-result', name: cmd.slice(7), size: 10, root: 'abc', holders: [h('s3')] };
      setTimeout(() => emit(later), 30);
    }
    if (cmd === 'GET slow.bin') emit({ event: 'download-progress', name: 'slow.bin', bytes: 1, total: 10 });
    if (cmd === 'CANCEL slow.bin' && id === 'old') {
      emit({ event: 'error', code: 'BAD_COMMAND', message: 'unknown command "CANCEL"' });
    } else if (cmd === 'CANCEL slow.bin') {
      emit({ event: 'error', code: 'CANCELLED', message: 'cancelled', name: 'slow.bin' });
    }
    if (cmd === 'GET f') {
      emit({ event: 'download-progress', name: 'f', bytes: 5, total: 10 });
      const done = { event: 'download-complete', name: 'f', path: '/d/Downloads/f', bytes: 10, root: 'abc',
        sources: ['s2'] };
      setTimeout(() => emit(done), 20);
    }
    if (cmd === 'KEY') {
      emit({ event: 'files', files: [{ name: String(process.env.P2P_NETWORK_KEY), size: 0, root: '' }] });
    }
  }
});
setInterval(() => {}, 1000);
`;

const silentLog = (): NodeLog & { dispose(): void; lines: string[] } => {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, info: push, warn: push, error: push, dispose: () => undefined };
};

describe('extension NodeManager (real child processes, stand-in CLI)', function () {
  this.timeout(15_000);
  let dir: string;
  let manager: NodeManager;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2p-ext-unit-'));
    writeFileSync(join(dir, 'fake-cli.js'), FAKE_CLI);
    manager = new NodeManager({
      cliPath: join(dir, 'fake-cli.js'),
      createLog: silentLog,
      readyTimeoutMs: 1500,
      stopGraceMs: 500,
    });
  });

  afterEach(() => {
    manager.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a peer, waits for ready (split across chunks) and returns its info', async () => {
    const info = await manager.startPeer({ id: 's1', metaserver: '127.0.0.1:5999', mode: 'flood', dir });
    assert.equal(info.id, 's1');
    assert.equal(info.port, 4000);
    assert.equal(info.role, 'peer');
    assert.ok(info.pid > 0 && isAlive(info.pid));
    assert.equal(manager.peer('s1')?.status, 'running');
    assert.deepEqual(
      manager.runningPeers.map((n) => n.info?.id),
      ['s1'],
    );
  });

  it('passes the network key in the environment, not on the command line', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir }, 'sekret');
    const node = manager.peer('s1')!;
    assert.ok(!node.launch.args.join(' ').includes('sekret'));
    const files = node.waitFor((e) => (e.event === 'files' ? e.files : undefined), 2000);
    node.send('KEY');
    assert.equal((await files)[0]?.name, 'sekret');
  });

  it('rejects a second peer with the same id in the window', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    await assert.rejects(manager.startPeer({ id: 's1', mode: 'flood', dir }), /already runs a peer "s1"/);
  });

  it('turns an error event before ready into a clear message and leaves nothing behind', async () => {
    await assert.rejects(manager.startPeer({ id: 'busy', mode: 'flood', dir, port: 4000 }), (error: unknown) => {
      assert.ok(error instanceof NodeError);
      assert.equal(error.detail.code, 'PORT_IN_USE');
      assert.match(error.message, /port 4000 is already in use/);
      assert.doesNotMatch(error.message, /EADDRINUSE|at /);
      return true;
    });
    assert.equal(manager.nodes.length, 0);
  });

  it('a non-fatal error before ready does not fail the start', async () => {
    const info = await manager.startPeer({ id: 'flaky', mode: 'flood', dir });
    assert.equal(info.id, 'flaky');
  });

  it('explains an early exit with the last stderr line, not the stack', async () => {
    await assert.rejects(
      manager.startPeer({ id: 'bad', mode: 'flood', dir }),
      /refused its command line: unknown option --x/,
    );
  });

  it('gives up after the ready timeout and kills the process', async () => {
    const started = Date.now();
    await assert.rejects(manager.startPeer({ id: 'slow', mode: 'flood', dir }), /did not become ready within 2 s/);
    assert.ok(Date.now() - started < 4000);
    assert.equal(manager.pids.length, 0);
  });

  it('stops with STOP, and kills a node that ignores it after the grace period', async () => {
    const polite = await manager.startPeer({ id: 'polite', mode: 'flood', dir });
    const stubborn = await manager.startPeer({ id: 'stubborn', mode: 'flood', dir });
    const exits = await Promise.all([manager.peer('polite')!.stop(), manager.peer('stubborn')!.stop()]);
    assert.equal(exits[0]?.code, 0);
    assert.equal(exits[1]?.signal, 'SIGKILL');
    assert.ok(!isAlive(polite.pid) && !isAlive(stubborn.pid));
  });

  it('reports a crash, keeps the node for a restart, and restarts it', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    const crash = new Promise<NodeCrash>((resolve) => manager.onNodeCrash(resolve));
    manager.peer('s1')!.send('CRASH');
    const { node, exit } = await crash;
    assert.equal(exit.code, 3);
    assert.equal(node.status, 'crashed');
    const info = await manager.restart('peer:s1');
    assert.equal(manager.peer('s1')?.status, 'running');
    const args = manager.peer('s1')!.launch.args;
    assert.equal(args[args.indexOf('--port') + 1], '4000', 'restarted on the port it had');
    assert.ok(isAlive(info.pid));
  });

  it('keeps peer state from events (shared files)', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    const node = manager.peer('s1')!;
    const shared = node.waitFor((e) => (e.event === 'shared' ? e : undefined), 2000);
    node.send('SHARE a.txt');
    await shared;
    assert.deepEqual(
      node.peerState?.sharedFiles.map((f) => f.name),
      ['a.txt'],
    );
  });

  it('search collects answers until they settle, and ends at not-found', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    const node = manager.peer('s1')!;
    const found = await searchNetwork(node, 'f', { timeoutMs: 2000, settleMs: 200 });
    assert.equal(found.length, 1);
    assert.deepEqual(
      found[0]!.holders.map((h) => h.id),
      ['s2', 's3'],
    );
    assert.equal(found[0]!.foundBy, 's1');
    const started = Date.now();
    assert.deepEqual(await searchNetwork(node, 'none', { timeoutMs: 5000, settleMs: 200 }), []);
    assert.ok(Date.now() - started < 1000, 'not-found ends the search at once');
  });

  it('download reports progress and resolves with the completed file', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    const seen: number[] = [];
    const done = await downloadFile(manager.peer('s1')!, 'f', { onProgress: (p) => seen.push(p.bytes) });
    assert.deepEqual(seen, [5]);
    assert.equal(done.path, '/d/Downloads/f');
    assert.deepEqual(manager.peer('s1')!.peerState?.downloads, []);
  });

  it('cancelling a download sends CANCEL to the node', async () => {
    await manager.startPeer({ id: 's1', mode: 'flood', dir });
    const node = manager.peer('s1')!;
    const controller = new AbortController();
    const cancelled = node.waitFor((e) => (e.event === 'error' && e.code === 'CANCELLED' ? e : undefined), 2000);
    const download = downloadFile(node, 'slow.bin', {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(
      download,
      (error: Error) => error instanceof DownloadCancelled && error.outcome === 'cancelled',
    );
    assert.equal((await cancelled).name, 'slow.bin');
  });

  it('a CLI without CANCEL: the cancel is reported as unsupported', async () => {
    await manager.startPeer({ id: 'old', mode: 'flood', dir });
    const controller = new AbortController();
    const download = downloadFile(manager.peer('old')!, 'slow.bin', {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(
      download,
      (error: Error) =>
        error instanceof DownloadCancelled &&
        error.outcome === 'unsupported' &&
        /no CANCEL command/.test(error.message),
    );
  });

  it('the lifeline: a node ends when the extension host dies, even by SIGKILL', async () => {
    // A stand-in extension host: starts one node through the manager, prints its pid, then waits.
    const host = join(dir, 'host.ts');
    writeFileSync(
      host,
      `import { NodeManager } from ${JSON.stringify(join(__dirname, '../../extension/src/nodes/nodeManager'))};
       const log = { trace() {}, info() {}, warn() {}, error() {}, dispose() {} };
       const m = new NodeManager({ cliPath: ${JSON.stringify(join(dir, 'fake-cli.js'))}, createLog: () => log });
       m.startPeer({ id: 'orphan', mode: 'flood', dir: ${JSON.stringify(dir)} }).then((info) => console.log(info.pid));
       setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', host], { stdio: ['ignore', 'pipe', 'inherit'] });
    const nodePid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', () => reject(new Error('host exited early')));
    });
    assert.ok(isAlive(nodePid));
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (isAlive(nodePid) && Date.now() < deadline) await sleep(50);
    assert.ok(!isAlive(nodePid), 'the node outlived its host');
  });

  it('shutdown stops every node; no pid survives', async () => {
    await manager.startMetaserver({ host: '127.0.0.1', port: 0 });
    await manager.startPeer({ id: 'a', mode: 'flood', dir });
    await manager.startPeer({ id: 'stubborn', mode: 'flood', dir });
    const pids = manager.pids;
    assert.equal(pids.length, 3);
    await manager.shutdown();
    assert.deepEqual(pids.filter(isAlive), []);
    assert.equal(manager.nodes.length, 0);
  });

  it('dispose kills synchronously-started nodes without waiting', async () => {
    await manager.startPeer({ id: 'stubborn', mode: 'flood', dir });
    const [pid] = manager.pids;
    manager.dispose();
    await sleep(300);
    assert.ok(pid !== undefined && !isAlive(pid));
  });
});

// Joining a network found on the LAN, inside VS Code. Metaservers announce on loopback only
// (multicast on 127.0.0.1; the suites browse there only, test/integration/index.ts): this
// window's, started through the command with `announce`, and one run by hand as
// `p2p-node metaserver --announce`.
// - A scripted join with `metaserver: 'auto'` (the CLI's `--metaserver auto`) joins the one
//   network announced, and with two announced fails naming both.
// - "P2P: Join Network" from the UI lists the networks next to "Type an address…": the
//   Playwright driver test/integration/driver/join-picker.mjs reads the pick and chooses one.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as vscode from 'vscode';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import { nodeCliPath, runNodeCli } from '../../extension/src/nodeProcess';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, EXTENSION_ID, tempFolder, useCleanup } from './support/extension';

const extensionPath = (): string => vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;

/** `p2p-node metaserver --announce` on 127.0.0.1, outside the extension; its port once ready. */
async function announcedMetaserver(cleanup: Array<() => unknown>, name: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [nodeCliPath(extensionPath()), 'metaserver', '--port', '0', '--announce', '--network-name', name, '--json'],
    { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', P2P_NETWORK_KEY: '' }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  cleanup.push(async () => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin.end('STOP\n');
    await exited;
  });
  const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
  const ready = JSON.parse(line.split('\n')[0]) as { port: number; announced?: { addresses: string[] } };
  assert.deepEqual(ready.announced?.addresses, ['127.0.0.1'], 'announced on loopback only');
  return ready.port;
}

/** The peer ids registered with the metaserver on `port`, as `p2p-node topo` sees them. */
async function registered(port: number): Promise<string[]> {
  const topo = await runNodeCli(extensionPath(), ['topo', '--metaserver', `127.0.0.1:${port}`, '--json']);
  return (JSON.parse(topo.stdout) as { peers: Array<{ id: string }> }).peers.map((p) => p.id);
}

describe('extension: joining a network found on the LAN', function () {
  this.timeout(90_000);
  const cleanup = useCleanup();
  let windowServer: NodeInfo;
  let otherPort: number | undefined;

  before(async () => {
    await activateP2P();
    windowServer = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', {
      port: 0,
      announce: true,
      networkName: 'Window lab',
    }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.stopMetadataServer'));
  });

  it('joins the one network announced with metaserver "auto"', async () => {
    const api = await activateP2P();
    const dir = tempFolder(cleanup, 'p2p-ext-lan-');
    const peer = (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
      id: 'lan-auto',
      metaserver: 'auto',
      dir,
    }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'lan-auto' }));
    assert.equal(peer.id, 'lan-auto');
    const args = api.nodes.peer('lan-auto')!.launch.args.join(' ');
    assert.match(args, /--metaserver auto --discover-interface 127\.0\.0\.1/, args);
    assert.ok((await registered(windowServer.port)).includes('lan-auto'), 'registered with the one found');
  });

  it('lists the networks announced next to "Type an address…" and joins the one chosen', async function () {
    if (!driverRunning('join-picker')) this.skip(); // desktop VS Code: no Playwright beside it
    const api = await activateP2P();
    otherPort ??= await announcedMetaserver(cleanup, 'Loopback lab');

    const joining = vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork');
    console.log('[join-picker] open');
    const seen = await driverReply<{ heading: string; labels: string[] }>('join-picker', 45_000);
    const peer = await joining;
    assert.ok(peer?.id, 'the join returned no peer');
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: peer.id }));

    assert.match(seen.heading, /Join Network \(2\/4\)/);
    const row = (text: string) => seen.labels.find((l) => l.includes(text));
    assert.ok(
      row(`127.0.0.1:${windowServer.port}`)?.includes("this window's metadata server"),
      JSON.stringify(seen.labels),
    );
    assert.ok(row('Loopback lab')?.includes(`127.0.0.1:${otherPort}`), JSON.stringify(seen.labels));
    assert.ok(row('Window lab')?.includes(`127.0.0.1:${windowServer.port}`), JSON.stringify(seen.labels));
    assert.ok(row('Type an address'), JSON.stringify(seen.labels));
    assert.equal(api.nodes.peer(peer.id)?.launch.metaserver, `127.0.0.1:${otherPort}`, 'joined the network chosen');
    assert.ok((await registered(otherPort)).includes(peer.id));
  });

  it('refuses metaserver "auto" with two networks announced, naming both', async () => {
    otherPort ??= await announcedMetaserver(cleanup, 'Loopback lab');
    const dir = tempFolder(cleanup, 'p2p-ext-lan-');
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'lan-torn' }));
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.joinNetwork', { id: 'lan-torn', metaserver: 'auto', dir })),
      (err: Error) =>
        /found no single network on the LAN: 2 P2P networks answered/.test(err.message) &&
        err.message.includes(`"Window lab" at 127.0.0.1:${windowServer.port}`) &&
        err.message.includes(`"Loopback lab" at 127.0.0.1:${otherPort}`),
    );
  });
});

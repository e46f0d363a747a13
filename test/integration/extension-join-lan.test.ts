// "P2P: Join Network" lists the networks announced on the LAN next to typing an address. Two
// metaservers announce on loopback only (multicast on 127.0.0.1; the suites browse there only,
// test/integration/index.ts): this window's, started through the command with `announce`, and
// one run by hand as `p2p-node metaserver --announce`. The Playwright driver
// test/integration/driver/join-picker.mjs reads the pick and chooses the second; the peer must
// then run against that address.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as vscode from 'vscode';
import type { NodeInfo } from '../../extension/src/nodes/managedNode';
import { nodeCliPath } from '../../extension/src/nodeProcess';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, EXTENSION_ID, useCleanup } from './support/extension';

/** `p2p-node metaserver --announce` on 127.0.0.1, outside the extension; its port once ready. */
async function announcedMetaserver(cleanup: Array<() => unknown>, name: string): Promise<number> {
  const cli = nodeCliPath(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath);
  const child = spawn(
    process.execPath,
    [cli, 'metaserver', '--port', '0', '--announce', '--network-name', name, '--json'],
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

describe('extension: Join Network finds networks on the LAN', function () {
  this.timeout(90_000);
  const cleanup = useCleanup();

  it('lists the networks announced on loopback next to "Type an address…" and joins the one chosen', async function () {
    if (!driverRunning('join-picker')) this.skip(); // desktop VS Code: no Playwright beside it
    const api = await activateP2P();
    const windowServer = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', {
      port: 0,
      announce: true,
      networkName: 'Window lab',
    }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.stopMetadataServer'));
    const port = await announcedMetaserver(cleanup, 'Loopback lab');

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
    assert.ok(row('Loopback lab')?.includes(`127.0.0.1:${port}`), JSON.stringify(seen.labels));
    assert.ok(row('Window lab')?.includes(`127.0.0.1:${windowServer.port}`), JSON.stringify(seen.labels));
    assert.ok(row('Type an address'), JSON.stringify(seen.labels));
    assert.equal(api.nodes.peer(peer.id)?.launch.metaserver, `127.0.0.1:${port}`, 'joined the network chosen');
    assert.equal(api.nodes.peer(peer.id)?.status, 'running');
  });
});

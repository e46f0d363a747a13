// Restore on startup inside VS Code with the real CLI: the nodes a window runs are saved as they
// change, a user's own stop clears them, and restore() (what activation runs when
// p2p.restoreOnStartup is on) starts them again with the same ids, folders and ports. Then a real
// reload: the Playwright driver test/integration/driver/restore-reload.mjs opens a second window,
// starts a demo network there, reloads that window and reads its Network view once the nodes are
// back; this test checks with `p2p-node topo` that the restored metaserver has them. A second
// reload with p2p.restoreOnStartup off in the folder's settings brings nothing back.

import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import { RESTORE_STATE_KEY } from '../../extension/src/restore/nodeRestore';
import { parseSavedNodes } from '../../extension/src/restore/savedNodes';
import { waitUntil } from '../unit/extension-helpers';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, EXTENSION_ID, tempFolder, useCleanup } from './support/extension';

interface DrawnNode {
  name: string;
  description: string;
}

/** [name, port] of each node the Network view drew, in order. */
const addresses = (rows: DrawnNode[]): Array<[string, number]> =>
  rows.map((row) => [row.name, Number(/^127\.0\.0\.1:(\d+)/.exec(row.description)?.[1])]);

/** The network as the metaserver on `port` knows it, from the CLI's one-shot `topo`. */
async function topology(port: number): Promise<Array<{ id: string; port: number }>> {
  const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'p2p-node.js');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [cli, 'topo', '--metaserver', `127.0.0.1:${port}`, '--json'],
    { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', P2P_NETWORK_KEY: '' }, timeout: 20_000 },
  );
  return (JSON.parse(stdout) as { peers: Array<{ id: string; port: number }> }).peers;
}

/** True while something accepts connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const answer = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => answer(true)).once('error', () => answer(false));
    socket.setTimeout(2000, () => answer(false));
  });
}

describe('extension: restore on startup', function () {
  this.timeout(60_000);
  const cleanup = useCleanup();

  it('saves the running nodes and brings them back with the same ids, folders and ports', async () => {
    const api = await activateP2P();
    const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.stopMetadataServer'));
    const dir = tempFolder(cleanup, 'p2p-ext-restore-');
    const peer = (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
      id: 'r1',
      metaserver: `127.0.0.1:${server.port}`,
      dir,
      mode: 'chord',
    }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'r1' }));

    const saved = api.nodeRestore.saved;
    // on disk at once, in a file of the extension's own (a browser workbench's storage can lose
    // the last seconds before a reload: the restored window then missed its last node)
    const file = (api.workspaceState as { file?: string }).file;
    assert.ok(file, 'the workspace state is kept in a file when a folder is open');
    assert.deepEqual(
      parseSavedNodes((JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[RESTORE_STATE_KEY]),
      saved,
    );
    assert.deepEqual(saved.metaserver && [saved.metaserver.host, saved.metaserver.port], ['127.0.0.1', server.port]);
    assert.deepEqual(saved.peers, [
      { id: 'r1', dir, mode: 'chord', port: peer.port, metaserver: `127.0.0.1:${server.port}`, join: undefined },
    ]);
    assert.equal(vscode.workspace.getConfiguration('p2p').get('restoreOnStartup'), true, 'on by default');

    await vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'r1' });
    await vscode.commands.executeCommand('p2p.stopMetadataServer');
    assert.deepEqual(api.nodeRestore.saved, { peers: [] }, "a user's own stop is not undone at the next start");

    const back = await api.nodeRestore.restore(saved);
    assert.deepEqual(
      back.map((n) => [n.role, n.id, n.port]),
      [
        ['metaserver', undefined, server.port],
        ['peer', 'r1', peer.port],
      ],
    );
    assert.equal(api.nodes.peer('r1')?.info?.dir, dir);
    assert.equal(api.nodes.peer('r1')?.info?.nodeId, peer.nodeId, 'same port, same chord id');
    await waitUntil('the restored peer to register', () => api.metaserverTopology.peerCount === 1, 20_000);
  });

  it("a reload brings a window's nodes back on their ports, as drawn; not with the setting off", async function () {
    if (!driverRunning('restore-reload')) this.skip(); // desktop VS Code: no Playwright beside it
    this.timeout(180_000);
    const peers = 3;
    const folder = tempFolder(cleanup, 'p2p-ext-restore-window-');
    mkdirSync(path.join(folder, '.vscode'));
    writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'p2p.demo.peers': peers }));
    console.log(`[restore-reload] open ${peers} ${folder}`);
    const shown = await driverReply<{ before: DrawnNode[]; after: DrawnNode[]; note: string }>(
      'restore-reload',
      150_000,
    );
    const before = addresses(shown.before);
    assert.deepEqual(
      before.map(([name]) => name),
      ['Metadata server', 'demo-1', 'demo-2', 'demo-3'],
      JSON.stringify(shown.before),
    );
    assert.deepEqual(addresses(shown.after), before, 'the same nodes on the same ports after the reload');
    // A port is reused only once the old process let it go: the nodes were started again.
    assert.match(shown.note, /P2P: restored the metadata server and 3 peers/);

    const metaserverPort = before[0][1];
    const registered = await topology(metaserverPort);
    assert.deepEqual(
      registered.map((p): [string, number] => [p.id, p.port]).sort(),
      before.slice(1),
      'the restored peers registered with the restored metaserver',
    );

    const settings = { 'p2p.demo.peers': peers, 'p2p.restoreOnStartup': false };
    writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings));
    console.log('[restore-reload] reload, restore off');
    const off = await driverReply<{ welcome: string[] }>('restore-reload', 120_000);
    assert.deepEqual(off.welcome, ['Start Metadata Server', 'Join Network', 'Start Demo Network'], 'nothing back');
    // the reload stopped the nodes, and nothing started on their ports again
    for (let attempt = 0; await listening(metaserverPort); attempt++) {
      assert.ok(attempt < 100, 'the metadata server stays stopped with p2p.restoreOnStartup off');
      await sleep(200);
    }
    console.log('[restore-reload] close');
    await driverReply('restore-reload', 30_000);
  });
});

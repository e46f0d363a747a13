// Restore on startup inside VS Code with the real CLI: the nodes a window runs are saved as they
// change, a user's own stop clears them, and restore() (what activation runs when
// p2p.restoreOnStartup is on) starts them again with the same ids, folders and ports. The reload
// itself is not simulated: restore() is called with the state the window saved.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { NodeInfo } from '../../extension/src/nodes/managedNode';
import { waitUntil } from '../unit/extension-helpers';
import { activateP2P, tempFolder, useCleanup } from './support/extension';

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
});

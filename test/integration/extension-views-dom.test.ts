// The P2P views as the workbench draws them (read by the Playwright driver
// test/integration/driver/network-view.mjs): the welcome content while nothing runs; then the
// metaserver, the peers with their neighbours, and a search result with its inline Download.

import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitUntil } from '../unit/extension-helpers';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, joinPeer, startMetaserver, tempFolder, useCleanup } from './support/extension';

/**
 * Opens the P2P container. VS Code may first try to re-focus the tree row an earlier test focused
 * (a neighbour of a peer since stopped) and throw "Data tree node not found"; opening again works.
 */
async function showP2PContainer(): Promise<void> {
  try {
    await vscode.commands.executeCommand('workbench.view.extension.p2p');
  } catch (error) {
    if (!/Data tree node not found/.test(String(error))) throw error;
    await vscode.commands.executeCommand('workbench.view.extension.p2p');
  }
}

describe('extension: the P2P views in the workbench', function () {
  this.timeout(90_000);
  const cleanup = useCleanup();

  it('shows the welcome content, then the network, neighbours and a downloadable search result', async function () {
    if (!driverRunning('network-view')) this.skip(); // desktop VS Code: no Playwright beside it
    const api = await activateP2P();
    assert.equal(api.nodes.nodes.length, 0, 'another test left a node running');
    await showP2PContainer();
    console.log('[network-view] empty');
    const empty = await driverReply<{ welcome: string[] }>('network-view', 30_000);
    assert.deepEqual(empty.welcome, ['Start Metadata Server', 'Join Network', 'Start Demo Network']);

    const server = await startMetaserver(cleanup);
    const fileName = 'view-check.txt';
    for (const id of ['v1', 'v2']) {
      const dir = tempFolder(cleanup, `p2p-ext-${id}-`);
      if (id === 'v1') writeFileSync(path.join(dir, fileName), 'seen in the view\n');
      await joinPeer(cleanup, id, server.port, dir);
    }
    await waitUntil('v2 to have a neighbour', () => (api.nodes.peer('v2')?.peerState?.neighbors.length ?? 0) > 0);
    await waitUntil('the metaserver to count both peers', () => api.metaserverTopology.peerCount === 2);
    await vscode.commands.executeCommand('p2p.searchFile', { name: fileName, peer: 'v2' });
    await showP2PContainer();
    console.log(`[network-view] running ${fileName}`);
    const running = await driverReply<{ networkRows: string[]; fileRows: string[]; downloadActions: number }>(
      'network-view',
      30_000,
    );
    const network = running.networkRows.join(' | ');
    // Label and description are separate elements: innerText joins them without a space.
    assert.match(network, new RegExp(`Metadata server\\s*127\\.0\\.0\\.1:${server.port} · 2 peers`));
    assert.match(network, /v1\s*127\.0\.0\.1:\d+ · flood · 1 neighbour/);
    assert.match(network, /Neighbours\s*1/);
    assert.match(network, /Shared files\s*1/);
    assert.ok(
      running.fileRows.some((row) => row.startsWith(fileName) && /1 holder/.test(row)),
      JSON.stringify(running.fileRows),
    );
    assert.equal(running.downloadActions, 1, 'the search result has its inline Download action');
  });
});

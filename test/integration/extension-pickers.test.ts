// Prompts as drawn (read by the Playwright driver test/integration/driver/pickers.mjs): Search
// Network with no peer running says so, with Join Network, before asking for any name; the peer
// picker shows each peer's id, address and mode, and its folder only as the detail line.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, startMetaserver, tempFolder, useCleanup } from './support/extension';

describe('extension: prompts as drawn', function () {
  this.timeout(60_000);
  const cleanup = useCleanup();

  it('Search Network with no peer running says so and offers Join Network, before asking a name', async function () {
    if (!driverRunning('pickers')) this.skip(); // desktop VS Code: no Playwright beside it
    const api = await activateP2P();
    assert.equal(api.nodes.runningPeers.length, 0, 'another test left a peer running');
    const searched = vscode.commands.executeCommand('p2p.searchFile');
    console.log('[pickers] search with no peer');
    const shown = await driverReply<{ text: string; buttons: string[]; nameAsked: boolean }>('pickers', 30_000);
    assert.match(shown.text, /P2P: no peer runs in this window to search from\./);
    assert.deepEqual(shown.buttons, ['Join Network']);
    assert.equal(shown.nameAsked, false, 'no name prompt before it says that no peer runs');
    assert.deepEqual(await searched, [], 'closed: nothing searched');
  });

  it('the peer picker shows id, address and mode; the folder only as the detail', async function () {
    if (!driverRunning('pickers')) this.skip();
    const server = await startMetaserver(cleanup);
    const peers: NodeInfo[] = [];
    for (const id of ['pick-1', 'pick-2']) {
      const dir = tempFolder(cleanup, `p2p-ext-${id}-`);
      peers.push(
        (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
          id,
          metaserver: `127.0.0.1:${server.port}`,
          dir,
        }))!,
      );
      cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id }));
    }
    const left = vscode.commands.executeCommand('p2p.leaveNetwork'); // from the UI: it asks which peer
    console.log('[pickers] pick a peer');
    const { rows } = await driverReply<{ rows: Array<{ label: string; description: string; detail: string }> }>(
      'pickers',
      30_000,
    );
    assert.deepEqual(
      rows,
      peers.map((p) => ({ label: p.id, description: `127.0.0.1:${p.port} · flood`, detail: p.dir })),
    );
    assert.equal(await left, undefined, 'dismissed: nobody left');
    const api = await activateP2P();
    assert.deepEqual(api.nodes.runningPeers.map((node) => node.info?.id).sort(), ['pick-1', 'pick-2']);
  });
});

// The P2P activity-bar container and its two views render in the workbench. The extension
// host cannot see the DOM, so driver/p2p-view.mjs (Playwright, beside the workbench page)
// looks and replies.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { driverReply, driverRunning } from './support/driver';

describe('views', () => {
  it('shows the P2P Network container with its Network, Network Files and Transfers views', async function () {
    if (!driverRunning('p2p-view')) this.skip(); // desktop VS Code: no Playwright beside it
    await vscode.commands.executeCommand('workbench.view.extension.p2p');
    console.log('[p2p-view] shown');
    const reply = await driverReply<{ container: string; views: string[] }>('p2p-view');
    assert.equal(reply.container.toLowerCase(), 'p2p network');
    assert.deepEqual(
      reply.views.map((v) => v.toLowerCase()),
      ['network', 'network files', 'transfers'],
    );
  });
});

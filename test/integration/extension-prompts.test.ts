// The interactive path: commands run with no argument prompt for their inputs, with defaults
// from the settings, the running metaserver and the workspace folder. Accepting every default
// (as a user pressing Enter) must give a working peer.

import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import { isAlive } from '../unit/extension-helpers';
import { EXTENSION_ID } from './support/extension';

/** Presses Enter in whatever quick input (input box or quick pick) is open, `times` times. */
async function acceptPrompts(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await sleep(500);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
}

describe('extension: prompts with defaults', function () {
  this.timeout(60_000);
  let api: P2PExtensionApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<P2PExtensionApi>(EXTENSION_ID)!;
    await ext.activate();
    api = ext.exports;
  });

  after(async () => {
    for (const node of api.nodes.peers)
      await vscode.commands
        .executeCommand('p2p.leaveNetwork', { id: node.key.slice('peer:'.length) })
        .then(undefined, () => undefined);
    await vscode.commands.executeCommand('p2p.stopMetadataServer');
  });

  it('starts a metaserver and joins a peer by accepting every default', async () => {
    await vscode.workspace.getConfiguration('p2p').update('metaserver.port', 0, vscode.ConfigurationTarget.Global);
    try {
      const starting = vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer');
      await acceptPrompts(1); // port: the setting (0)
      const server = await starting;
      assert.ok(server && server.port > 0, 'the metaserver started from the prompt');

      const joining = vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork');
      await acceptPrompts(4); // id, metaserver (the running one), folder (the workspace's), mode (the setting's)
      const peer = await joining;
      assert.ok(peer, 'the join returned nothing');
      assert.match(peer.id ?? '', /^peer-\d+$/);
      assert.ok(isAlive(peer.pid));
      assert.equal(peer.mode, 'flood');
      const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (workspace) assert.equal(peer.dir, workspace, 'the first folder offered is the workspace folder');
      assert.equal(
        api.nodes.peer(peer.id!)?.launch.metaserver,
        `127.0.0.1:${server.port}`,
        'the default metaserver is the one this window runs',
      );
    } finally {
      await vscode.workspace
        .getConfiguration('p2p')
        .update('metaserver.port', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a dismissed prompt ends the command quietly (no error, nothing started)', async () => {
    const before = api.nodes.nodes.length;
    const joining = vscode.commands.executeCommand('p2p.joinNetwork');
    await sleep(500);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await joining, undefined);
    assert.equal(api.nodes.nodes.length, before);
  });
});

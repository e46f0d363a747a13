// Explorer → right-click a file → "P2P: Share File" is there only while a peer runs (the
// manifest's `when` uses the p2p.peerRunning context key the extension keeps). The workbench
// DOM is read by the Playwright driver test/integration/driver/explorer-menu.mjs.

import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, joinPeer, startMetaserver, tempFolder, useCleanup } from './support/extension';

describe('extension: explorer context menu', function () {
  this.timeout(90_000);
  const cleanup = useCleanup();

  async function menuFor(phase: 'idle' | 'peer', file: vscode.Uri): Promise<string[]> {
    await vscode.commands.executeCommand('revealInExplorer', file);
    await sleep(500); // let the context key reach the workbench
    console.log(`[explorer-menu] ${phase} ${path.basename(file.fsPath)}`);
    const reply = await driverReply<{ phase: string; labels: string[] }>('explorer-menu', 30_000);
    assert.equal(reply.phase, phase);
    assert.ok(reply.labels.length > 3, `the context menu looks empty: ${JSON.stringify(reply.labels)}`);
    return reply.labels;
  }

  it('offers P2P: Share File on a file only while a peer runs', async function () {
    if (!driverRunning('explorer-menu')) this.skip(); // desktop VS Code: no Playwright beside it
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the harness opens a workspace folder');
    const api = await activateP2P();
    assert.equal(api.nodes.runningPeers.length, 0, 'another test left a peer running');
    const file = path.join(folder, 'explorer-menu-check.txt');
    writeFileSync(file, 'right-click me\n');
    cleanup.push(() => rmSync(file, { force: true }));

    const idle = await menuFor('idle', vscode.Uri.file(file));
    assert.ok(!idle.includes('P2P: Share File'), `shown with no peer running: ${JSON.stringify(idle)}`);

    const server = await startMetaserver(cleanup);
    await joinPeer(cleanup, 'menu', server.port, tempFolder(cleanup, 'p2p-ext-menu-'));

    const running = await menuFor('peer', vscode.Uri.file(file));
    assert.ok(running.includes('P2P: Share File'), `missing while a peer runs: ${JSON.stringify(running)}`);
  });
});

// Explorer → right-click a file → "P2P: Share File" is there only while a peer runs (the
// manifest's `when` uses the p2p.peerRunning context key the extension keeps); right-click a
// folder → "P2P: Share Folder" shares every file in it; in Network Files, two results selected
// with Ctrl+click download together from the context menu. The workbench DOM is read and clicked
// by the Playwright driver test/integration/driver/explorer-menu.mjs.

import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import { waitUntil } from '../unit/extension-helpers';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, joinPeer, startMetaserver, tempFolder, useCleanup } from './support/extension';

describe('extension: explorer context menu', function () {
  this.timeout(90_000);
  const cleanup = useCleanup();
  let api: P2PExtensionApi;
  let metaserverPort: number | undefined;

  /** The metaserver and the peer "menu" the menus act through; started once for the suite. */
  async function runMenuPeer(): Promise<number> {
    metaserverPort ??= (await startMetaserver(cleanup)).port;
    if (!api.nodes.peer('menu')) await joinPeer(cleanup, 'menu', metaserverPort, tempFolder(cleanup, 'p2p-ext-menu-'));
    return metaserverPort;
  }

  function workspaceFolder(): string {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the harness opens a workspace folder');
    return folder;
  }

  async function menuFor(phase: 'idle' | 'peer', file: vscode.Uri): Promise<string[]> {
    await vscode.commands.executeCommand('revealInExplorer', file);
    await sleep(500); // let the context key reach the workbench
    console.log(`[explorer-menu] ${phase} ${path.basename(file.fsPath)}`);
    const reply = await driverReply<{ phase: string; labels: string[] }>('explorer-menu', 30_000);
    assert.equal(reply.phase, phase);
    assert.ok(reply.labels.length > 3, `the context menu looks empty: ${JSON.stringify(reply.labels)}`);
    return reply.labels;
  }

  before(async () => {
    api = await activateP2P();
  });

  it('offers P2P: Share File on a file only while a peer runs', async function () {
    if (!driverRunning('explorer-menu')) this.skip(); // desktop VS Code: no Playwright beside it
    assert.equal(api.nodes.runningPeers.length, 0, 'another test left a peer running');
    const file = path.join(workspaceFolder(), 'explorer-menu-check.txt');
    writeFileSync(file, 'right-click me\n');
    cleanup.push(() => rmSync(file, { force: true }));

    const idle = await menuFor('idle', vscode.Uri.file(file));
    assert.ok(!idle.includes('P2P: Share File'), `shown with no peer running: ${JSON.stringify(idle)}`);

    await runMenuPeer();
    const running = await menuFor('peer', vscode.Uri.file(file));
    assert.ok(running.includes('P2P: Share File'), `missing while a peer runs: ${JSON.stringify(running)}`);
  });

  it('shares a folder from its context menu; downloads two selected Network Files at once', async function () {
    if (!driverRunning('explorer-menu')) this.skip();
    const port = await runMenuPeer();
    const folder = path.join(workspaceFolder(), 'explorer-menu-folder');
    mkdirSync(path.join(folder, 'sub'), { recursive: true });
    writeFileSync(path.join(folder, 'menu-a.txt'), 'a, at the top\n');
    writeFileSync(path.join(folder, 'sub', 'menu-b.txt'), 'b, in a subfolder\n');
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));

    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(folder));
    console.log(`[explorer-menu] folder ${path.basename(folder)}`);
    const menu = await driverReply<{ labels: string[] }>('explorer-menu', 30_000);
    assert.ok(menu.labels.includes('P2P: Share Folder'), JSON.stringify(menu.labels));
    assert.ok(!menu.labels.includes('P2P: Share File'), `a file's entry on a folder: ${JSON.stringify(menu.labels)}`);
    const shared = (): string[] => api.nodes.peer('menu')?.peerState?.sharedFiles.map((f) => f.name) ?? [];
    await waitUntil('the menu peer to share both files of the folder', () =>
      ['menu-a.txt', 'menu-b.txt'].every((name) => shared().includes(name)),
    );

    const fetchDir = tempFolder(cleanup, 'p2p-ext-menu-fetch-');
    await joinPeer(cleanup, 'fetch', port, fetchDir);
    await waitUntil('the fetch peer to link to the menu peer', () =>
      api.nodes.peer('fetch')?.peerState?.neighbors.some((n) => n.id === 'menu'),
    );
    for (const name of ['menu-a.txt', 'menu-b.txt'])
      await vscode.commands.executeCommand('p2p.searchFile', { name, peer: 'fetch' });
    await vscode.commands.executeCommand('p2p.files.focus');
    console.log('[explorer-menu] files menu-a.txt menu-b.txt');
    const download = await driverReply<{ selected: number; labels: string[] }>('explorer-menu', 30_000);
    assert.equal(download.selected, 2, 'both rows selected');
    assert.ok(download.labels.includes('P2P: Download File'), JSON.stringify(download.labels));
    for (const name of ['menu-a.txt', 'menu-b.txt'])
      await waitUntil(`${name} downloaded`, () => api.transfers.get(`fetch/${name}`)?.state === 'completed');
    assert.equal(readFileSync(path.join(fetchDir, 'Downloads', 'menu-a.txt'), 'utf8'), 'a, at the top\n');
    assert.equal(readFileSync(path.join(fetchDir, 'Downloads', 'menu-b.txt'), 'utf8'), 'b, in a subfolder\n');
    await vscode.commands.executeCommand('p2p.clearSearchResults');
    assert.deepEqual(api.filesTree.getChildren(), [], 'P2P: Clear Network Files empties the view');
  });
});

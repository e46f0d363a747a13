// Explorer → right-click a file → "P2P: Share File" is there only while a peer runs (the
// manifest's `when` uses the p2p.peerRunning context key the extension keeps). The workbench
// DOM is read by the Playwright driver test/integration/driver/explorer-menu.mjs.

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { NodeInfo } from '../../extension/src/nodes/managedNode';
import { driverReply, driverRunning } from './support/driver';

const EXTENSION_ID = 'p2p-network.p2p-network-vscode';

describe('extension: explorer context menu', function () {
  this.timeout(90_000);
  const cleanup: Array<() => unknown> = [];

  after(async () => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  });

  async function menuFor(phase: 'idle' | 'peer', file: vscode.Uri): Promise<string[]> {
    await vscode.commands.executeCommand('revealInExplorer', file);
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the context key reach the workbench
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
    const api = (await vscode.extensions.getExtension<P2PExtensionApi>(EXTENSION_ID)!.activate());
    assert.equal(api.nodes.runningPeers.length, 0, 'another test left a peer running');
    const file = path.join(folder, 'explorer-menu-check.txt');
    writeFileSync(file, 'right-click me\n');
    cleanup.push(() => rmSync(file, { force: true }));

    const idle = await menuFor('idle', vscode.Uri.file(file));
    assert.ok(!idle.includes('P2P: Share File'), `shown with no peer running: ${JSON.stringify(idle)}`);

    const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
    cleanup.push(() => vscode.commands.executeCommand('p2p.stopMetadataServer'));
    const dir = mkdtempSync(path.join(tmpdir(), 'p2p-ext-menu-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    await vscode.commands.executeCommand('p2p.joinNetwork', { id: 'menu', metaserver: `127.0.0.1:${server.port}`, dir });
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'menu' }));

    const running = await menuFor('peer', vscode.Uri.file(file));
    assert.ok(running.includes('P2P: Share File'), `missing while a peer runs: ${JSON.stringify(running)}`);
  });
});

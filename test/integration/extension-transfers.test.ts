// The Transfers view inside VS Code with the real CLI: a download from a holder capped by
// p2p.maxUploadMiBPerSecond (slow enough to pause on purpose) is paused (the .part stays), resumed
// from where it stopped and verified; one is cancelled (the .part goes); one interrupted by its
// peer stopping comes back paused from the persisted snapshot and resumes once the peer rejoins.
// Also: Retry, Open and Reveal; Share Folder, several files downloaded at once from a
// multi-selection, and the view's rows as drawn (driver/transfers-view.mjs).

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { DownloadResult, ShareResult } from '../../extension/src/commands/fileCommands';
import type { NetworkFile } from '../../extension/src/search/searchResults';
import { TransferList, type Transfer } from '../../extension/src/transfers/transferList';
import { waitUntil } from '../unit/extension-helpers';
import { rootOf } from '../unit/support/file-root';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, joinPeer, startMetaserver, tempFolder, useCleanup } from './support/extension';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;

describe('extension: the Transfers view (pause, resume, cancel, restore, folders)', function () {
  this.timeout(120_000);
  const cleanup = useCleanup();
  let api: P2PExtensionApi;
  let metaserverPort: number;
  let fetcherDir: string;
  let holderDir: string;
  const files = new Map<string, Buffer>();

  const transfer = (name: string): Transfer | undefined => api.transfers.get(`fetcher/${name}`);
  const partOf = (name: string): string => path.join(fetcherDir, 'Downloads', `${name}.part`);
  const search = (name: string): Promise<NetworkFile[] | undefined> =>
    Promise.resolve(vscode.commands.executeCommand<NetworkFile[]>('p2p.searchFile', { name, peer: 'fetcher' }));
  const download = (name: string): Thenable<DownloadResult | undefined> =>
    vscode.commands.executeCommand<DownloadResult | undefined>('p2p.downloadFile', { name, peer: 'fetcher' });
  const joinFetcher = (): Thenable<unknown> =>
    vscode.commands.executeCommand('p2p.joinNetwork', {
      id: 'fetcher',
      metaserver: `127.0.0.1:${metaserverPort}`,
      dir: fetcherDir,
    });

  before(async () => {
    api = await activateP2P();
    metaserverPort = (await startMetaserver(cleanup)).port;
    holderDir = tempFolder(cleanup, 'p2p-ext-holder-');
    for (const name of ['paused.bin', 'cancelled.bin', 'interrupted.bin']) {
      files.set(name, randomBytes(SIZE));
      writeFileSync(path.join(holderDir, name), files.get(name)!);
    }
    const config = vscode.workspace.getConfiguration('p2p');
    await config.update('maxUploadMiBPerSecond', 4, vscode.ConfigurationTarget.Global);
    try {
      await joinPeer(cleanup, 'holder', metaserverPort, holderDir);
    } finally {
      await config.update('maxUploadMiBPerSecond', undefined, vscode.ConfigurationTarget.Global);
    }
    fetcherDir = tempFolder(cleanup, 'p2p-ext-fetcher-');
    await joinFetcher();
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'fetcher' }));
    await waitUntil('the fetcher to link to the holder', () =>
      api.nodes.peer('fetcher')?.peerState?.neighbors.some((n) => n.id === 'holder'),
    );
  });

  it('pauses a download (the .part stays), resumes it from there, and the file verifies', async () => {
    const name = 'paused.bin';
    assert.equal((await search(name))?.length, 1);
    const started = download(name);
    await waitUntil('some progress', () => (transfer(name)?.bytes ?? 0) >= 2 * MiB, 20_000);
    assert.equal(transfer(name)?.state, 'active');
    await waitUntil('a speed in the status bar', () =>
      /^\$\(cloud-download\) [\d.]+ (KiB|MiB)\/s$/.test(api.transferStatusBarText()),
    );
    const item = api.transfersTree.getTreeItem({ kind: 'transfer', transfer: transfer(name)! });
    assert.match(String(item.description), /^\d+ % · [\d.]+ (KiB|MiB)\/s/);
    assert.equal(item.contextValue, 'p2p.transfer.active');
    assert.ok((transfer(name)?.received?.holder ?? 0) > 0, 'the bytes are counted per holder');
    assert.match(String(item.tooltip), /holders' shares: holder 100 %/);

    await vscode.commands.executeCommand('p2p.pauseTransfer', { peer: 'fetcher', name });
    assert.equal(await started, undefined, 'a paused download returns nothing yet');
    const paused = transfer(name)!;
    assert.equal(paused.state, 'paused');
    assert.ok(paused.bytes > 0 && paused.bytes < SIZE, `paused at ${paused.bytes}`);
    assert.ok(statSync(partOf(name)).isFile(), 'the .part is kept');
    assert.ok(!existsSync(path.join(fetcherDir, 'Downloads', name)));
    assert.equal(api.transferStatusBarText(), '', 'nothing moves: the speed is hidden');
    assert.match(
      String(api.transfersTree.getTreeItem({ kind: 'transfer', transfer: paused }).description),
      /^paused at \d+ % of 24 MiB$/,
    );

    // Resume: the peer re-verifies the .part and starts from there, not from 0.
    const node = api.nodes.peer('fetcher')!;
    const firstProgress = new Promise<number>((resolve) => {
      const subscription = node.onEvent((event) => {
        if (event.event === 'download-progress' && event.name === name) {
          subscription.dispose();
          resolve(event.bytes);
        }
      });
    });
    const resumed = vscode.commands.executeCommand<DownloadResult>('p2p.resumeTransfer', { peer: 'fetcher', name });
    assert.ok((await firstProgress) > 0, 'the resumed download started from the kept chunks');
    const done = (await resumed)!;
    assert.equal(done.root, rootOf(files.get(name)!));
    assert.ok(readFileSync(done.path).equals(files.get(name)!));
    assert.equal(transfer(name)?.state, 'completed');
    assert.ok(!existsSync(partOf(name)));
  });

  it('cancels a download: the .part goes and nothing gets the name', async () => {
    const name = 'cancelled.bin';
    assert.equal((await search(name))?.length, 1);
    const started = download(name);
    await waitUntil('some progress', () => (transfer(name)?.bytes ?? 0) > 0, 20_000);
    await vscode.commands.executeCommand('p2p.cancelTransfer', { peer: 'fetcher', name });
    assert.equal(await started, undefined);
    assert.equal(transfer(name)?.state, 'cancelled');
    assert.ok(!existsSync(partOf(name)), 'a cancelled download keeps no .part');
    assert.ok(!existsSync(path.join(fetcherDir, 'Downloads', name)));
  });

  it('a download its peer stopped under comes back paused after a restart, and resumes', async () => {
    const name = 'interrupted.bin';
    assert.equal((await search(name))?.length, 1);
    const started = download(name);
    await waitUntil('some progress', () => (transfer(name)?.bytes ?? 0) >= MiB, 20_000);
    // What closing the window does to the peer: STOP. The peer keeps the .part.
    await vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'fetcher' });
    assert.equal(await started, undefined);
    assert.equal(transfer(name)?.state, 'paused');
    assert.ok(statSync(partOf(name)).size > 0, 'a stopped peer keeps the .part');
    // The restart itself is simulated: the persisted snapshot loaded into a fresh list, as activate() does.
    const restored = new TransferList();
    restored.restore(JSON.parse(JSON.stringify(api.transfers.snapshot())));
    assert.equal(restored.get(`fetcher/${name}`)?.state, 'paused');
    assert.equal(restored.get('fetcher/paused.bin')?.state, 'completed', 'the history survives too');

    await joinFetcher();
    await waitUntil('the fetcher to link to the holder again', () =>
      api.nodes.peer('fetcher')?.peerState?.neighbors.some((n) => n.id === 'holder'),
    );
    assert.equal((await search(name))?.length, 1);
    const done = (await vscode.commands.executeCommand<DownloadResult>('p2p.resumeTransfer', {
      peer: 'fetcher',
      name,
    }))!;
    assert.ok(readFileSync(done.path).equals(files.get(name)!));
    assert.equal(transfer(name)?.state, 'completed');
  });

  it('shares a folder (subfolders too, hidden files not, watched); downloads a multi-selection at once', async () => {
    const folder = tempFolder(cleanup, 'p2p-ext-folder-');
    mkdirSync(path.join(folder, 'sub'));
    mkdirSync(path.join(folder, '.git'));
    writeFileSync(path.join(folder, 'multi-a.txt'), 'a\n');
    writeFileSync(path.join(folder, 'sub', 'multi-b.txt'), 'b\n');
    writeFileSync(path.join(folder, '.hidden'), 'no\n');
    writeFileSync(path.join(folder, '.git', 'config'), 'no\n');
    const shared = (await vscode.commands.executeCommand<ShareResult[]>('p2p.shareFolder', {
      uri: folder,
      peer: 'holder',
    }))!;
    assert.deepEqual(shared.map((s) => s.name).sort(), ['multi-a.txt', 'multi-b.txt']);
    assert.equal(shared.find((s) => s.name === 'multi-b.txt')?.path, path.join(folder, 'sub', 'multi-b.txt'));
    // The folder is watched: a file added to a subfolder later is offered, a deleted one withdrawn.
    const holderFiles = (): string[] => api.nodes.peer('holder')?.peerState?.sharedFiles.map((f) => f.name) ?? [];
    writeFileSync(path.join(folder, 'sub', 'later.txt'), 'later\n');
    await waitUntil('later.txt offered by the holder', () => holderFiles().includes('later.txt'), 15_000);
    rmSync(path.join(folder, 'sub', 'later.txt'));
    await waitUntil('later.txt withdrawn', () => !holderFiles().includes('later.txt'), 15_000);

    // The view passes (clicked element, selected elements), as VS Code does with canSelectMany.
    const selection = [];
    for (const name of ['multi-a.txt', 'multi-b.txt']) {
      const [file] = (await search(name))!;
      selection.push({ kind: 'networkFile', file });
    }
    const results = (await vscode.commands.executeCommand<DownloadResult[]>(
      'p2p.downloadFile',
      selection[0],
      selection,
    ))!;
    assert.deepEqual(results.map((r) => readFileSync(r.path, 'utf8')).sort(), ['a\n', 'b\n']);
    assert.equal(transfer('multi-a.txt')?.state, 'completed');
    assert.equal(transfer('multi-b.txt')?.state, 'completed');
  });

  it('retries a cancelled download from 0; opens and reveals a finished one', async () => {
    const name = 'retried.bin';
    files.set(name, randomBytes(8 * MiB));
    writeFileSync(path.join(holderDir, name), files.get(name)!);
    await waitUntil('the holder to offer the new file', () =>
      api.nodes.peer('holder')?.peerState?.sharedFiles.some((f) => f.name === name),
    );
    assert.equal((await search(name))?.length, 1);
    const started = download(name);
    await waitUntil('some progress', () => (transfer(name)?.bytes ?? 0) > 0, 20_000);
    await vscode.commands.executeCommand('p2p.cancelTransfer', { peer: 'fetcher', name });
    assert.equal(await started, undefined);
    const cancelled = api.transfersTree.getTreeItem({ kind: 'transfer', transfer: transfer(name)! });
    assert.equal(cancelled.contextValue, 'p2p.transfer.cancelled', 'the row offers Retry');
    assert.ok(!existsSync(partOf(name)), 'nothing kept: Retry starts from 0');
    const done = (await vscode.commands.executeCommand<DownloadResult>('p2p.retryTransfer', {
      peer: 'fetcher',
      name,
    }))!;
    assert.ok(readFileSync(done.path).equals(files.get(name)!));
    assert.equal(transfer(name)?.state, 'completed');

    const finished = transfer('multi-a.txt')!;
    await vscode.commands.executeCommand('p2p.openTransfer', { peer: 'fetcher', name: 'multi-a.txt' });
    await waitUntil('the finished file open in an editor', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputText && input.uri.fsPath === finished.path;
    });
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('p2p.revealTransfer', { peer: 'fetcher', name: 'multi-a.txt' });
    // A browser's VS Code (code-server here) has no system file manager: the path is copied instead.
    if (!(await vscode.commands.getCommands(true)).includes('revealFileInOS'))
      assert.equal(await vscode.env.clipboard.readText(), finished.path);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.openTransfer', { peer: 'fetcher', name: 'cancelled.bin' })),
      /"cancelled\.bin" is cancelled; it has no file yet/,
    );
  });

  it('the Transfers view draws the finished transfers, and Clear History empties it', async function () {
    if (driverRunning('transfers-view')) {
      await vscode.commands.executeCommand('p2p.transfers.focus');
      console.log('[transfers-view] shown paused.bin');
      const { rows } = await driverReply<{ rows: string[] }>('transfers-view', 30_000);
      assert.ok(
        rows.some((row) => /^paused\.bin\s*24 MiB from holder$/.test(row)),
        JSON.stringify(rows),
      );
      assert.ok(
        rows.some((row) => /^cancelled\.bin\s*cancelled$/.test(row)),
        JSON.stringify(rows),
      );
    }
    const counts = api.nodes.peer('fetcher')!.peerState!;
    const downloads = api.networkTree
      .getChildren()
      .flatMap((e) => api.networkTree.getChildren(e))
      .find((e) => e.kind === 'group' && e.group === 'downloads' && e.node.key === 'peer:fetcher');
    assert.ok(downloads);
    assert.equal(
      api.networkTree.getTreeItem(downloads).description,
      `0 in progress · ${counts.finishedDownloads} finished`,
    );
    assert.ok(counts.finishedDownloads >= 3);
    await vscode.commands.executeCommand('p2p.clearTransferHistory');
    assert.deepEqual(api.transfers.all, [], 'every transfer had finished');
  });
});

// The extension when things go wrong, inside a real VS Code with the real CLI: the network key
// travels in the environment only and a peer with another key is refused with a clear message;
// an unreachable metaserver is explained; a cancelled download leaves nothing under the file's
// name; a peer that dies is noticed, shown as crashed, and restarts.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { NodeInfo } from '../../extension/src/nodes/nodeInfo';
import type { NodeCrash } from '../../extension/src/nodes/nodeManager';
import { DownloadCancelled, downloadFile } from '../../extension/src/nodes/peerOperations';
import { isAlive } from '../unit/extension-helpers';
import { EXTENSION_ID } from './support/extension';

describe('extension: keys, crashes and errors', function () {
  this.timeout(60_000);
  let api: P2PExtensionApi;
  const dirs: string[] = [];
  const tempDir = (label: string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), `p2p-ext-${label}-`));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<P2PExtensionApi>(EXTENSION_ID)!;
    await ext.activate();
    api = ext.exports;
  });

  afterEach(async () => {
    for (const node of api.nodes.peers)
      await vscode.commands
        .executeCommand('p2p.leaveNetwork', { id: node.info?.id ?? node.key.slice(5) })
        .then(undefined, () => undefined);
    await vscode.commands.executeCommand('p2p.stopMetadataServer');
    await vscode.commands.executeCommand('p2p.clearNetworkKey');
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('passes the network key in the environment, not the command line; another key is refused', async function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc
    const key = 'test-key-7f3a9c';
    assert.equal(await vscode.commands.executeCommand('p2p.setNetworkKey', { key }), true);
    const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(key), 'the key is visible in ps');
    assert.ok(readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0').includes(`P2P_NETWORK_KEY=${key}`));
    const keyed = (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
      id: 'k1',
      metaserver: `127.0.0.1:${server.port}`,
      dir: tempDir('k1'),
    }))!;
    assert.ok(isAlive(keyed.pid), 'a peer with the key joins');
    await vscode.commands.executeCommand('p2p.setNetworkKey', { key: 'another-key-000' });
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('p2p.joinNetwork', {
          id: 'k2',
          metaserver: `127.0.0.1:${server.port}`,
          dir: tempDir('k2'),
        }),
      ),
      /could not authenticate: the network key does not match/,
    );
    assert.equal(api.nodes.peer('k2'), undefined, 'a refused peer leaves nothing behind');
  });

  it('explains an unreachable metadata server with a next step', async () => {
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('p2p.joinNetwork', {
          id: 'lost',
          metaserver: '127.0.0.1:1',
          dir: tempDir('lost'),
        }),
      ),
      (error: Error) => {
        assert.match(error.message, /cannot reach the metadata server at 127\.0\.0\.1:1\. Start it/);
        assert.doesNotMatch(error.message, /ECONNREFUSED|\n\s+at /);
        return true;
      },
    );
  });

  it("cancelling a download: the node confirms, and nothing is left under the file's name", async () => {
    const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
    const holderDir = tempDir('holder');
    const name = 'big.bin';
    writeFileSync(path.join(holderDir, name), randomBytes(48 * 1024 * 1024));
    await vscode.commands.executeCommand('p2p.joinNetwork', {
      id: 'holder',
      metaserver: `127.0.0.1:${server.port}`,
      dir: holderDir,
    });
    const fetcher = (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
      id: 'fetcher',
      metaserver: `127.0.0.1:${server.port}`,
      dir: tempDir('fetcher'),
    }))!;
    const found = await vscode.commands.executeCommand<unknown[]>('p2p.searchFile', { name, peer: 'fetcher' });
    assert.equal(found?.length, 1, 'the holder shares the file from its folder');
    // What the progress notification's Cancel button does: abort the download's signal.
    const controller = new AbortController();
    const download = downloadFile(api.nodes.peer('fetcher')!, name, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(download, (error: Error) => {
      assert.ok(error instanceof DownloadCancelled, String(error));
      assert.equal(error.outcome, 'cancelled', error.message);
      return true;
    });
    const downloads = path.join(fetcher.dir!, 'Downloads');
    assert.ok(!existsSync(path.join(downloads, name)), 'a cancelled download left a file under its final name');
    assert.deepEqual(api.nodes.peer('fetcher')?.peerState?.downloads, [], 'the view shows no download in progress');
  });

  it('notices a peer that dies, shows it as crashed, and restarts it', async () => {
    const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
    const peer = (await vscode.commands.executeCommand<NodeInfo>('p2p.joinNetwork', {
      id: 'fragile',
      metaserver: `127.0.0.1:${server.port}`,
      dir: tempDir('fragile'),
    }))!;
    const crashed = new Promise<NodeCrash>((resolve) => {
      const subscription = api.nodes.onNodeCrash((crash) => {
        subscription.dispose();
        resolve(crash);
      });
    });
    process.kill(peer.pid, 'SIGKILL');
    const { node, exit } = await crashed;
    assert.equal(node.key, 'peer:fragile');
    assert.equal(exit.signal, 'SIGKILL');
    const element = api.networkTree.getChildren().find((e) => e.kind === 'peer' && e.node.key === 'peer:fragile');
    assert.ok(element, 'a crashed peer stays in the view (to restart or leave)');
    assert.match(String(api.networkTree.getTreeItem(element).description), /crashed/);
    const again = await api.nodes.restart('peer:fragile');
    assert.ok(isAlive(again.pid) && again.pid !== peer.pid);
    assert.equal(api.nodes.peer('fragile')?.status, 'running');
  });
});

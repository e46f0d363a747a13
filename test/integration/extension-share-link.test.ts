// Share links inside VS Code: with no peer running a scripted open refuses and says to join;
// opening a link (the UriHandler VS Code calls) shows a confirmation, read and answered by the
// Playwright driver test/integration/driver/share-link.mjs, joins the link's network and
// downloads the file verified; Copy Share Link on the new peer's shared file puts a link on the
// clipboard that names it; Open Share Link downloads another file through the running peer.
// The holder runs outside this window (a p2p-node process), as a link's holder would.

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PeerRef } from '@node-core/events';
import { computeManifest, type FileManifest } from '@node-core/files/manifest';
import { formatShareLink, parseShareLink, type ShareLink } from '@node-core/share-link';
import type { NetworkElement } from '../../extension/src/views/networkTreeProvider';
import type { DownloadResult } from '../../extension/src/commands/downloadCommand';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, EXTENSION_ID, startMetaserver, tempFolder, useCleanup } from './support/extension';

/** A p2p-node peer process outside the extension; resolves once it is ready. */
async function outsideHolder(cleanup: Array<() => unknown>, metaserverPort: number, dir: string): Promise<PeerRef> {
  const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'p2p-node.js');
  const args = ['peer', '--id', 'outside', '--metaserver', `127.0.0.1:${metaserverPort}`, '--dir', dir, '--json'];
  const child: ChildProcess = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', P2P_NETWORK_KEY: '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanup.push(() => child.kill('SIGKILL'));
  return new Promise<PeerRef>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the outside holder did not start')), 20_000);
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const ready = buffered.split('\n').find((l) => l.includes('"event":"ready"'));
      if (!ready) return;
      clearTimeout(timer);
      const event = JSON.parse(ready) as PeerRef;
      resolve({ id: event.id, host: event.host, port: event.port });
    });
    child.once('exit', (code) => reject(new Error(`the outside holder exited with ${code}`)));
  });
}

describe('extension: share links', function () {
  this.timeout(120_000);
  const cleanup = useCleanup();
  const first = 'linked-first.txt';
  const second = 'linked-second.txt';
  const content: Record<string, string> = {
    [first]: 'opened from a share link\n'.repeat(1000),
    [second]: 'the second file\n'.repeat(50),
  };
  let link: (name: string) => ShareLink;
  const manifests: Record<string, FileManifest> = {};
  let metaserverFingerprint = '';

  before(async () => {
    const api = await activateP2P();
    assert.equal(api.nodes.runningPeers.length, 0, 'another test left a peer running');
    const server = await startMetaserver(cleanup);
    const dir = tempFolder(cleanup, 'p2p-ext-link-holder-');
    for (const [name, text] of Object.entries(content)) {
      writeFileSync(path.join(dir, name), text);
      manifests[name] = await computeManifest(path.join(dir, name), name);
    }
    const holder = await outsideHolder(cleanup, server.port, dir);
    const metaserver = { host: '127.0.0.1', port: server.port };
    metaserverFingerprint = server.fingerprint!;
    link = (name) => {
      const { size, root } = manifests[name]!;
      return { name, size, root, holder, metaserver, metaserverFingerprint };
    };
  });

  it('with no peer running, a scripted open says to join first', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.openShareLink', { link: formatShareLink(link(first)) })),
      /No peer is running in this window: join a network first/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.openShareLink', { link: 'vscode://x.y/download?name=a' })),
      /not a valid share link/,
    );
  });

  it('opening a link asks first, joins its network when no peer runs, and downloads the file', async function () {
    if (!driverRunning('share-link')) this.skip(); // desktop VS Code: no Playwright to answer the dialog
    const api = await activateP2P();
    const uri = vscode.Uri.parse(
      formatShareLink(link(first), { scheme: vscode.env.uriScheme, authority: EXTENSION_ID }),
    );
    // earlier suites' notifications could keep ours from showing as a toast: start from none, and
    // open the notification center, where it shows whatever the toasts do
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.showList');
    const handled = Promise.resolve(api.uriHandler.handleUri(uri));
    console.log('[share-link] confirm: Join Network and Download');
    const dialog = await driverReply<{ text: string; labels: string[] }>('share-link', 30_000);
    assert.match(
      dialog.text,
      new RegExp(`P2P: download ${first.replace('.', '\\.')} \\(.+\\) from outside at 127\\.0\\.0\\.1:\\d+\\?`),
    );
    assert.match(dialog.text, /No peer runs in this window: a new peer joins through the metadata server/);
    assert.match(dialog.text, new RegExp(`Merkle root ${manifests[first]!.root.slice(0, 16)}`));
    assert.ok(dialog.labels.includes('Join Network and Download'), JSON.stringify(dialog.labels));
    await handled;
    await vscode.commands.executeCommand('notifications.hideList');
    const [peer] = api.nodes.runningPeers;
    assert.ok(peer?.info?.id, 'a peer joined');
    cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id: peer.info!.id }));
    const { args } = peer.launch;
    assert.equal(
      args[args.indexOf('--metaserver-fp') + 1],
      metaserverFingerprint,
      "the link's metaserver key is pinned",
    );
    const downloaded = path.join(peer.launch.dir!, 'Downloads', first);
    assert.equal(readFileSync(downloaded, 'utf8'), content[first]);
  });

  it('Copy Share Link on a shared file puts a link naming this peer on the clipboard', async function () {
    const api = await activateP2P();
    const [peer] = api.nodes.runningPeers;
    if (!peer) this.skip(); // the join above needs the driver
    const files = (): NetworkElement[] =>
      api.networkTree
        .getChildren({ kind: 'group', node: peer!, group: 'files' })
        .filter((e) => e.kind === 'sharedFile' && e.file.name === first);
    for (let i = 0; i < 100 && files().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const [element] = files();
    assert.ok(element, 'the downloaded file is listed under Shared files');
    const text = await vscode.commands.executeCommand<string>('p2p.copyShareLink', element);
    assert.equal(await vscode.env.clipboard.readText(), text);
    const parsed = parseShareLink(text!, EXTENSION_ID);
    assert.equal(parsed.name, first);
    assert.equal(parsed.root, manifests[first]!.root);
    assert.equal(parsed.size, manifests[first]!.size);
    assert.deepEqual(parsed.holder, { id: peer!.info!.id, host: peer!.info!.host, port: peer!.info!.port });
    assert.equal(parsed.fingerprint, peer!.info!.fingerprint, "the link names this peer's key");
    assert.match(parsed.fingerprint ?? '', /^[0-9a-f]{64}$/);
    assert.equal(parsed.metaserver?.port, link(first).metaserver!.port);
    assert.equal(parsed.metaserverFingerprint, metaserverFingerprint, "the link names the metaserver's key");
    const scripted = await vscode.commands.executeCommand<string>('p2p.copyShareLink', {
      name: first,
      peer: peer!.info!.id,
    });
    assert.equal(scripted, text);
  });

  it('Open Share Link downloads through the running peer', async function () {
    const api = await activateP2P();
    const [peer] = api.nodes.runningPeers;
    if (!peer) this.skip();
    const done = await vscode.commands.executeCommand<DownloadResult>('p2p.openShareLink', {
      link: formatShareLink(link(second)),
    });
    assert.equal(done?.peer, peer!.info!.id);
    assert.deepEqual(done?.sources, ['outside']);
    assert.equal(done?.root, manifests[second]!.root);
    assert.equal(readFileSync(done!.path, 'utf8'), content[second]);
  });
});

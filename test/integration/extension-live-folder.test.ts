// The extension's trees following the network live, inside a real VS Code with the real CLI: a
// file copied into a peer's folder appears under that peer in the Network view and a deleted one
// disappears, with no command run; a search fills the Network Files view from the holders'
// `search-hit` events, before the node's final `search-result`.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { NetworkFile } from '../../extension/src/search/searchResults';
import type { NetworkElement } from '../../extension/src/views/networkTreeProvider';
import { waitUntil } from '../unit/extension-helpers';
import { activateP2P, joinPeer, startMetaserver, tempFolder, useCleanup } from './support/extension';

describe('extension: trees follow the folders and the searches live', function () {
  this.timeout(60_000);
  const cleanup = useCleanup();
  let api: P2PExtensionApi;
  const folders = new Map<string, string>();

  const sharedFiles = (id: string): string[] => {
    const peer = api.networkTree.getChildren().find((e) => e.kind === 'peer' && e.node.info?.id === id);
    assert.ok(peer, `peer ${id} is not in the Network view`);
    const group = api.networkTree.getChildren(peer).find((e) => e.kind === 'group' && e.group === 'files');
    assert.ok(group, `peer ${id} has no files group`);
    return api.networkTree
      .getChildren(group)
      .flatMap((e: NetworkElement) => (e.kind === 'sharedFile' ? [e.file.name] : []));
  };

  before(async () => {
    api = await activateP2P();
    const metaserver = await startMetaserver(cleanup);
    for (const id of ['live1', 'live2']) {
      const dir = tempFolder(cleanup, `p2p-live-${id}-`);
      folders.set(id, dir);
      await joinPeer(cleanup, id, metaserver.port, dir);
    }
    await waitUntil('the two peers linked', () => (api.nodes.peer('live2')?.peerState?.neighbors.length ?? 0) > 0);
  });

  it("shows a file copied into a peer's folder, and drops it once deleted", async () => {
    const name = `dropped-${randomBytes(3).toString('hex')}.bin`;
    const file = path.join(folders.get('live1')!, name);
    writeFileSync(file, randomBytes(64 * 1024));
    await waitUntil(`${name} under live1`, () => sharedFiles('live1').includes(name), 10_000);
    unlinkSync(file);
    await waitUntil(`${name} gone from live1`, () => !sharedFiles('live1').includes(name), 10_000);
  });

  it('fills the Network Files view from search hits, before the final result', async () => {
    const name = `wanted-${randomBytes(3).toString('hex')}.txt`;
    writeFileSync(path.join(folders.get('live1')!, name), 'found live');
    await waitUntil(`${name} under live1`, () => sharedFiles('live1').includes(name), 10_000);
    const times: { hit?: number; result?: number; filled?: number } = {};
    const events = api.nodes.onNodeEvent(({ event }) => {
      if (event.event === 'search-hit' && event.name === name) times.hit ??= Date.now();
      if (event.event === 'search-result' && event.name === name) times.result ??= Date.now();
    });
    const changes = api.searchResults.onDidChange(() => {
      if (api.searchResults.files.some((f) => f.name === name)) times.filled ??= Date.now();
    });
    try {
      const found = (await vscode.commands.executeCommand<NetworkFile[]>('p2p.searchFile', {
        name,
        peer: 'live2',
      }))!;
      const done = Date.now();
      assert.deepEqual(
        found.map((f) => [f.name, f.holders.map((h) => h.id)]),
        [[name, ['live1']]],
      );
      assert.ok(times.hit && times.result && times.filled, JSON.stringify(times));
      assert.ok(times.hit < times.result, 'the hit came before the final result');
      assert.ok(times.filled <= times.result, 'the view filled from the hit, before the final result');
      assert.ok(times.filled < done, 'the view filled while the search was still running');
      console.log(
        `[live] search hit → view filled in ${times.filled - times.hit} ms; ` +
          `final result ${times.result - times.hit} ms after the hit; command returned ${done - times.hit} ms after`,
      );
      const [root] = api.filesTree.getChildren();
      assert.equal(api.filesTree.getTreeItem(root!).label, name);
    } finally {
      events.dispose();
      changes.dispose();
    }
  });
});

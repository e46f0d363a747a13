// Files in the network: P2P: Share File (explorer context menu), P2P: Search Network (results in
// the `p2p.files` view) and P2P: Download File (cancellable progress notification).

import * as vscode from 'vscode';
import { searchNetwork, shareFile } from '../nodes/peerOperations';
import type { NetworkFile } from '../search/searchResults';
import { formatBytes, plural } from '../util/format';
import { isInside } from '@node-core/files/path-inside';
import { ArgumentError, argumentObject, parseSearchArgs } from './commandArgs';
import { registerP2PCommand, required } from './commandRunner';
import { downloadCommand } from './downloadCommand';
import { shareFolderCommand } from './shareFolderCommand';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export interface ShareResult {
  peer: string;
  name: string;
  size: number;
  /** The version's Merkle root: its identity on the network. */
  root: string;
  path: string;
}

export type { DownloadResult } from './downloadCommand';

const SEARCH_TIMEOUT_MS = 3000;
// Holders' answers arrive as hits, then the CLI prints the final results together; a short settle catches them all.
const SEARCH_SETTLE_MS = 300;

export function registerFileCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.shareFile', (first, second) => shareCommand(services, first, second));
  registerP2PCommand(services, 'p2p.searchFile', (arg) => searchCommand(services, arg));
  registerP2PCommand(services, 'p2p.clearSearchResults', async () => services.searchResults.clear());
  registerP2PCommand(services, 'p2p.shareFolder', (first, second) => shareFolderCommand(services, first, second));
  registerP2PCommand(services, 'p2p.downloadFile', (arg, selection) => downloadCommand(services, arg, selection));
}

/**
 * The explorer passes (clicked uri, all selected uris); scripts pass `{uri, peer}` (uri: a Uri
 * or an absolute path). Returns one result per shared file.
 */
async function shareCommand(services: P2PServices, first: unknown, second: unknown): Promise<ShareResult[]> {
  const fields = argumentObject(first);
  let uris: vscode.Uri[];
  let peer: string | undefined;
  if (first instanceof vscode.Uri) {
    uris =
      Array.isArray(second) && second.length > 0 && second.every((u) => u instanceof vscode.Uri)
        ? (second as vscode.Uri[])
        : [first];
  } else if (fields) {
    const uri = fields.uri;
    if (uri instanceof vscode.Uri) uris = [uri];
    else if (typeof uri === 'string') uris = [vscode.Uri.file(uri)];
    else throw new ArgumentError('"uri" must be a Uri or an absolute path.');
    if (fields.peer !== undefined && typeof fields.peer !== 'string')
      throw new ArgumentError('"peer" must be a peer id.');
    peer = fields.peer as string | undefined;
  } else {
    const active = vscode.window.activeTextEditor?.document.uri;
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: true,
      openLabel: 'Share',
      title: 'P2P: Share File',
      defaultUri: active?.scheme === 'file' ? active : vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    uris = required(chosen);
  }
  // A file inside a peer's own folder belongs to that peer; otherwise ask (or take the only one).
  const owner =
    peer ??
    services.manager.runningPeers.find((n) => n.launch.dir && uris.every((u) => isInside(u.fsPath, n.launch.dir!)))
      ?.info?.id;
  const node = await pickPeer(services.manager, owner, {
    placeHolder: 'Share from which peer?',
    scripted: fields !== undefined,
  });
  const results: ShareResult[] = [];
  for (const uri of uris) {
    if (uri.scheme !== 'file') throw new Error(`Only files on disk can be shared (${uri.toString()} is not).`);
    const shared = await shareFile(node, uri.fsPath);
    results.push({
      peer: peerId(node),
      name: shared.name,
      size: shared.size,
      root: shared.root,
      path: shared.path,
    });
  }
  services.refreshViews();
  if (!fields) {
    void vscode.window.showInformationMessage(
      results.length === 1
        ? `P2P: peer ${peerId(node)} shares ${results[0]!.name} (${formatBytes(results[0]!.size)}).`
        : `P2P: peer ${peerId(node)} shares ${plural(results.length, 'file')}.`,
    );
  }
  return results;
}

async function searchCommand(services: P2PServices, arg: unknown): Promise<NetworkFile[]> {
  const fields = argumentObject(arg);
  const args = fields ? parseSearchArgs(fields) : {};
  let name = args.name;
  if (!fields && services.manager.runningPeers.length === 0) return offerToJoin();
  if (name === undefined) {
    if (fields) throw new ArgumentError('"name" is required: the file name to search for.');
    name = required(
      await vscode.window.showInputBox({
        title: 'P2P: Search Network',
        prompt: 'File name to search for',
        value: services.searchResults.query ?? '',
        validateInput: (v) => (v.trim() ? undefined : 'Enter a file name.'),
      }),
    ).trim();
  }
  const node = await pickPeer(services.manager, args.peer, {
    placeHolder: 'Search from which peer?',
    scripted: fields !== undefined,
  });
  const query = name;
  const files = await vscode.window.withProgress(
    { location: { viewId: 'p2p.files' }, title: `Searching for ${query}` },
    () =>
      searchNetwork(node, query, {
        timeoutMs: args.timeoutMs ?? SEARCH_TIMEOUT_MS,
        settleMs: SEARCH_SETTLE_MS,
        // the view fills as holders answer
        onUpdate: (found) => services.searchResults.replace(query, found),
      }),
  );
  services.searchResults.replace(query, files);
  if (!fields) {
    if (files.length === 0)
      void vscode.window.showInformationMessage(`P2P: no peer shares "${query}" (searched from ${peerId(node)}).`);
    else void vscode.commands.executeCommand('p2p.files.focus');
  }
  return files;
}

/** Searching needs a peer: say so before asking for a name, and offer to join. */
async function offerToJoin(): Promise<NetworkFile[]> {
  const join = 'Join Network';
  const choice = await vscode.window.showInformationMessage('P2P: no peer runs in this window to search from.', join);
  if (choice === join) await vscode.commands.executeCommand('p2p.joinNetwork');
  return [];
}

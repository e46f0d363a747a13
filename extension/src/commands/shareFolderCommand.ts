// P2P: Share Folder (explorer context menu on a folder): the peer shares every file in it, its
// subfolders included, and watches it (files added later are offered, removed ones withdrawn),
// also after a restart. Names in the network are plain file names, so of two files with one name
// only the first is shared; hidden entries (dot files, .git) are left out.

import * as vscode from 'vscode';
import { shareFolder } from '../nodes/peerOperations';
import { plural } from '../util/format';
import { ArgumentError, argumentObject } from './commandArgs';
import { required } from './commandRunner';
import { isInside } from '@node-core/files/path-inside';
import type { ShareResult } from './fileCommands';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export async function shareFolderCommand(
  services: P2PServices,
  first: unknown,
  second: unknown,
): Promise<ShareResult[]> {
  const fields = argumentObject(first);
  const folders = await foldersOf(first, second, fields);
  const owner =
    (fields?.peer as string | undefined) ??
    services.manager.runningPeers.find((n) => n.launch.dir && folders.every((f) => isInside(f, n.launch.dir!)))?.info
      ?.id;
  const node = await pickPeer(services.manager, owner, {
    placeHolder: 'Share from which peer?',
    scripted: fields !== undefined,
  });
  const results: ShareResult[] = [];
  const failures: string[] = [];
  for (const folder of folders) {
    try {
      const shared = await shareFolder(node, folder);
      for (const file of shared.files) results.push({ peer: peerId(node), ...file });
    } catch (error) {
      failures.push(`${folder}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  services.refreshViews();
  if (failures.length === folders.length) throw new Error(`Nothing shared. ${failures[0]}`);
  if (failures.length > 0)
    void vscode.window.showWarningMessage(
      `P2P: ${plural(failures.length, 'folder')} not shared (${failures[0]}${failures.length > 1 ? ', …' : ''}).`,
    );
  else if (!fields)
    void vscode.window.showInformationMessage(`P2P: peer ${peerId(node)} shares ${plural(results.length, 'file')}.`);
  return results;
}

/** Explorer: (clicked, selected); scripted: `{uri, peer}`; otherwise a folder dialog. */
async function foldersOf(first: unknown, second: unknown, fields: Record<string, unknown> | undefined) {
  if (first instanceof vscode.Uri) {
    const uris =
      Array.isArray(second) && second.length > 0 && second.every((u) => u instanceof vscode.Uri)
        ? (second as vscode.Uri[])
        : [first];
    return uris.map((u) => u.fsPath);
  }
  if (fields) {
    const { uri, peer } = fields;
    if (peer !== undefined && typeof peer !== 'string') throw new ArgumentError('"peer" must be a peer id.');
    if (uri instanceof vscode.Uri) return [uri.fsPath];
    if (typeof uri === 'string') return [uri];
    throw new ArgumentError('"uri" must be a folder Uri or an absolute path.');
  }
  const chosen = required(
    await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: true,
      openLabel: 'Share',
      title: 'P2P: Share Folder',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    }),
  );
  return chosen.map((u) => u.fsPath);
}

// P2P: Share Folder (explorer context menu on a folder): the peer shares every file in it, its
// subfolders included. Names in the network are plain file names, so of two files with one name
// only the first is shared; hidden entries (dot files, .git) are left out.

import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import { shareFile } from '../nodes/peerOperations';
import { plural } from '../util/format';
import { ArgumentError, argumentObject } from './commandArgs';
import { required } from './commandRunner';
import { isInside } from '../util/paths';
import type { ShareResult } from './fileCommands';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

/** More files than this in one folder is more likely a mistake (a home folder) than a share. */
const MAX_FOLDER_FILES = 2000;

export async function shareFolderCommand(
  services: P2PServices,
  first: unknown,
  second: unknown,
): Promise<ShareResult[]> {
  const fields = argumentObject(first);
  const folders = await foldersOf(first, second, fields);
  const files = await filesToShare(folders);
  if (files.length === 0) throw new Error(`${folders.join(', ')} has no files to share.`);
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
  for (const path of files) {
    try {
      const shared = await shareFile(node, path);
      results.push({ peer: peerId(node), name: shared.name, size: shared.size, sha256: shared.sha256, path });
    } catch (error) {
      failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  services.refreshViews();
  if (failures.length > 0 && results.length === 0) throw new Error(`Nothing shared. ${failures[0]}`);
  if (failures.length > 0)
    void vscode.window.showWarningMessage(
      `P2P: ${plural(failures.length, 'file')} not shared (${failures[0]}${failures.length > 1 ? ', …' : ''}).`,
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

/** Every file under the folders, without hidden entries, first of each name only. */
async function filesToShare(folders: string[]): Promise<string[]> {
  const byName = new Map<string, string>();
  for (const folder of folders) {
    const entries = await readdir(folder, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath ?? entry.path, entry.name);
      if (
        relative(folder, path)
          .split(/[\\/]/)
          .some((part) => part.startsWith('.'))
      )
        continue;
      if (!byName.has(entry.name)) byName.set(entry.name, path);
      if (byName.size > MAX_FOLDER_FILES)
        throw new Error(`${folder} holds more than ${MAX_FOLDER_FILES} files; share a smaller folder.`);
    }
  }
  return [...byName.values()].sort();
}

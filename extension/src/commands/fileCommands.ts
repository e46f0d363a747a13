// Files in the network: P2P: Share File (explorer context menu), P2P: Search Network (results in
// the `p2p.files` view) and P2P: Download File (cancellable progress notification).

import { constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join, relative, isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import type { PeerRef } from '../../../node-core/src/events';
import { DownloadCancelled, downloadFile, searchNetwork, shareFile } from '../nodes/peerOperations';
import type { NetworkFile } from '../search/searchResults';
import { readSettings } from '../settings';
import { formatBytes, percentOf, plural } from '../util/format';
import {
  ArgumentError,
  argumentObject,
  fileNameProblem,
  isRecord,
  parseDownloadArgs,
  parseSearchArgs,
} from './commandArgs';
import { PromptCancelled, registerP2PCommand, required } from './commandRunner';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export interface ShareResult {
  peer: string;
  name: string;
  size: number;
  sha256: string;
  path: string;
}

export interface DownloadResult {
  peer: string;
  name: string;
  /** Where the file is now: the peer's Downloads/ folder, or a copy in `p2p.downloadsFolder`. */
  path: string;
  /** Where the peer keeps (and shares) it. */
  sharedPath: string;
  bytes: number;
  sha256: string;
  sources: string[];
}

const SEARCH_TIMEOUT_MS = 3000;
// The CLI prints all results of one search together; a short settle catches them all.
const SEARCH_SETTLE_MS = 300;

export function registerFileCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.shareFile', (first, second) => shareCommand(services, first, second));
  registerP2PCommand(services, 'p2p.searchFile', (arg) => searchCommand(services, arg));
  registerP2PCommand(services, 'p2p.downloadFile', (arg) => downloadCommand(services, arg));
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
      sha256: shared.sha256,
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
    () => searchNetwork(node, query, { timeoutMs: args.timeoutMs ?? SEARCH_TIMEOUT_MS, settleMs: SEARCH_SETTLE_MS }),
  );
  services.searchResults.replace(query, files);
  if (!fields) {
    if (files.length === 0)
      void vscode.window.showInformationMessage(`P2P: no peer shares "${query}" (searched from ${peerId(node)}).`);
    else void vscode.commands.executeCommand('p2p.files.focus');
  }
  return files;
}

/** From the view the argument is the tree element; scripted, `{name, peer}`; `link`: GET that share link. */
export async function downloadCommand(
  services: P2PServices,
  arg: unknown,
  link?: string,
): Promise<DownloadResult | undefined> {
  let name: string | undefined;
  let peer: string | undefined;
  let holders: PeerRef[] = [];
  const fields = argumentObject(arg);
  if (isRecord(arg) && arg.kind === 'networkFile' && isRecord(arg.file)) {
    const file = arg.file as unknown as NetworkFile;
    ({ name, foundBy: peer, holders } = file);
  } else if (fields) {
    ({ name, peer } = parseDownloadArgs(fields));
    if (name === undefined) throw new ArgumentError('"name" is required: the file to download.');
  } else {
    ({ name, peer } = await promptDownload(services));
  }
  const node = await pickPeer(services.manager, peer, {
    placeHolder: 'Download with which peer?',
    scripted: fields !== undefined,
  });
  const fileName = name;
  const controller = new AbortController();
  const done = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `P2P: downloading ${fileName}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      progress.report({
        message: holders.length ? `from ${holders.map((h) => h.id).join(', ')}` : 'asking the holders…',
      });
      try {
        return await downloadFile(node, fileName, {
          link,
          signal: controller.signal,
          onProgress: ({ bytes, total }) => {
            const percent = percentOf(bytes, total);
            progress.report({
              increment: percent - reported,
              message: `${formatBytes(bytes)} of ${formatBytes(total)} (${percent} %)`,
            });
            reported = percent;
          },
        });
      } catch (error) {
        if (error instanceof DownloadCancelled) {
          void (error.outcome === 'unsupported'
            ? vscode.window.showWarningMessage(`P2P: ${error.message}`)
            : vscode.window.showInformationMessage(`P2P: ${error.message}`));
          return undefined;
        }
        throw error;
      } finally {
        services.refreshViews();
      }
    },
  );
  if (!done) return undefined;
  const path = await copyToDownloadsFolder(done.path);
  const result: DownloadResult = {
    peer: peerId(node),
    name: done.name,
    path,
    sharedPath: done.path,
    bytes: done.bytes,
    sha256: done.sha256,
    sources: done.sources,
  };
  if (!fields) {
    void vscode.window
      .showInformationMessage(
        `P2P: downloaded ${done.name} (${formatBytes(done.bytes)}) from ${done.sources.join(', ') || 'the network'}.`,
        'Open',
      )
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path));
      });
  }
  return result;
}

async function promptDownload(services: P2PServices): Promise<{ name: string; peer?: string }> {
  const found = services.searchResults.files;
  if (found.length > 0) {
    const other = { label: '$(edit) Another file name…', file: undefined };
    const picked = required(
      await vscode.window.showQuickPick(
        [
          ...found.map((file) => ({
            label: file.name,
            description: `${formatBytes(file.size)} · ${plural(file.holders.length, 'holder')} · found by ${file.foundBy}`,
            file,
          })),
          other,
        ],
        {
          title: 'P2P: Download File',
          placeHolder: 'Which file?',
        },
      ),
    );
    if (picked.file) return { name: picked.file.name, peer: picked.file.foundBy };
  }
  const name = await vscode.window.showInputBox({
    title: 'P2P: Download File',
    prompt: 'File name (search first to see what the network holds)',
    validateInput: fileNameProblem,
  });
  if (name === undefined) throw new PromptCancelled();
  return { name: name.trim() };
}

/** `p2p.downloadsFolder` set: copy the verified file there too, never overwriting. */
async function copyToDownloadsFolder(sharedPath: string): Promise<string> {
  const folder = readSettings().downloadsFolder.trim();
  if (!folder) return sharedPath;
  await mkdir(folder, { recursive: true });
  const target = join(folder, basename(sharedPath));
  try {
    await copyFile(sharedPath, target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${target} already exists and was not overwritten; the download is in ${sharedPath}.`);
    throw error;
  }
  return target;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

// P2P: Download File: from the Network Files view (one file, or several selected), scripted as
// `{name, peer}`, or prompted. Every download runs through the TransferController, so it shows in
// the Transfers view (progress, speed, pause, cancel) rather than in a notification.

import { constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { ManagedNode } from '../nodes/managedNode';
import type { NetworkFile } from '../search/searchResults';
import { readSettings } from '../settings';
import { formatBytes, plural } from '../util/format';
import { ArgumentError, argumentObject, fileNameProblem, isRecord, parseDownloadArgs } from './commandArgs';
import { PromptCancelled, required } from './commandRunner';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export interface DownloadResult {
  peer: string;
  name: string;
  /** Where the file is now: the peer's Downloads/ folder, or a copy in `p2p.downloadsFolder`. */
  path: string;
  /** Where the peer keeps (and shares) it. */
  sharedPath: string;
  bytes: number;
  /** The version's Merkle root, every chunk verified against it. */
  root: string;
  sources: string[];
}

export interface DownloadRequest {
  name: string;
  peer?: string;
  /** A share link naming `name`: that version, from the link's holder first. */
  link?: string;
  /** The version picked in Network Files (its root): several may share a name. */
  version?: string;
}

/**
 * The view passes (clicked element, selected elements): several selected files download together
 * and the result is an array. Otherwise one result, or undefined when paused or cancelled.
 */
export async function downloadCommand(
  services: P2PServices,
  arg: unknown,
  selection?: unknown,
): Promise<DownloadResult | undefined | Array<DownloadResult | undefined>> {
  const selected = Array.isArray(selection) ? selection.map(networkFileOf).filter((f) => f !== undefined) : [];
  if (selected.length > 1) {
    const requests = selected.map((file) => ({ name: file.name, peer: file.foundBy, version: file.root }));
    void vscode.commands.executeCommand('p2p.transfers.focus');
    return Promise.all(requests.map((request) => downloadOne(services, request, false)));
  }
  const fields = argumentObject(arg);
  const file = networkFileOf(arg);
  let request: DownloadRequest;
  if (file) request = { name: file.name, peer: file.foundBy, version: file.root };
  else if (fields) {
    const { name, peer } = parseDownloadArgs(fields);
    if (name === undefined) throw new ArgumentError('"name" is required: the file to download.');
    request = { name, peer };
  } else request = await promptDownload(services);
  if (!fields) void vscode.commands.executeCommand('p2p.transfers.focus');
  return downloadOne(services, request, fields !== undefined);
}

/** One download with a peer of this window (picked, unless `request.peer` names it), in the Transfers view. */
export async function downloadOne(
  services: P2PServices,
  request: DownloadRequest,
  scripted: boolean,
): Promise<DownloadResult | undefined> {
  const node = await pickPeer(services.manager, request.peer, { placeHolder: 'Download with which peer?', scripted });
  const done = await vscode.window.withProgress(
    { location: { viewId: 'p2p.transfers' }, title: `Downloading ${request.name}` },
    () => downloadTracked(services, node, request),
  );
  if (!done) return undefined;
  const path = await copyToDownloadsFolder(done.path);
  return { peer: peerId(node), ...done, path, sharedPath: done.path };
}

async function downloadTracked(services: P2PServices, node: ManagedNode, request: DownloadRequest) {
  try {
    return await services.transfers.download(node, request.name, { link: request.link, version: request.version });
  } finally {
    services.refreshViews();
  }
}

function networkFileOf(value: unknown): NetworkFile | undefined {
  return isRecord(value) && value.kind === 'networkFile' && isRecord(value.file)
    ? (value.file as unknown as NetworkFile)
    : undefined;
}

async function promptDownload(services: P2PServices): Promise<DownloadRequest> {
  const found = services.searchResults.files;
  if (found.length > 0) {
    const other = { label: '$(edit) Another file name…', file: undefined };
    const picked = required(
      await vscode.window.showQuickPick(
        [
          ...found.map((file) => ({
            label: file.name,
            description:
              `${formatBytes(file.size)} · ${plural(file.holders.length, 'holder')} · ` +
              `root ${file.root.slice(0, 8)} · found by ${file.foundBy}`,
            file,
          })),
          other,
        ],
        { title: 'P2P: Download File', placeHolder: 'Which file?' },
      ),
    );
    if (picked.file) return { name: picked.file.name, peer: picked.file.foundBy, version: picked.file.root };
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

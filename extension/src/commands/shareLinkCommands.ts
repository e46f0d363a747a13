// Share links: P2P: Copy Share Link (a shared file or a found one → a vscode:// link on the
// clipboard), P2P: Open Share Link (download what a link names through a peer of this window,
// joining first when none runs), and the UriHandler that VS Code calls when such a link is
// opened. A link is a stranger's input: it is parsed by node-core's checks, and from a click the
// user confirms what will be downloaded from where before anything is dialed.

import * as vscode from 'vscode';
import type { Address, PeerRef, SharedFileInfo } from '@node-core/events';
import {
  formatShareLink,
  parseShareLink,
  parseShareLinkQuery,
  SHARE_LINK_PATH,
  ShareLinkError,
  type ShareLink,
} from '@node-core/share-link';
import type { ManagedNode } from '../nodes/managedNode';
import type { NetworkFile } from '../search/searchResults';
import { formatBytes } from '../util/format';
import { ArgumentError, argumentObject, isRecord } from './commandArgs';
import { reportError, registerP2PCommand, required } from './commandRunner';
import { downloadOne, type DownloadResult } from './downloadCommand';
import { joinNetwork } from './nodeCommands';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export function registerShareLinkCommands(services: P2PServices): vscode.UriHandler {
  registerP2PCommand(services, 'p2p.copyShareLink', (arg) => copyShareLink(services, arg));
  registerP2PCommand(services, 'p2p.openShareLink', (arg) => openShareLink(services, arg));
  const handler: vscode.UriHandler = { handleUri: (uri) => handleShareUri(services, uri) };
  services.context.subscriptions.push(vscode.window.registerUriHandler(handler));
  return handler;
}

/**
 * From the views the argument is a shared file under a peer or a found network file; scripted,
 * `{name, peer?}` (a file that peer shares). Returns the link, which is also on the clipboard.
 */
async function copyShareLink(services: P2PServices, arg: unknown): Promise<string> {
  const link =
    isRecord(arg) && arg.kind === 'networkFile' ? foundFileLink(services, arg) : await sharedFileLink(services, arg);
  const text = formatShareLink(link, { scheme: vscode.env.uriScheme, authority: services.context.extension.id });
  // what others announced (ids, hosts) must survive the same checks the receiver applies
  parseShareLink(text, services.context.extension.id);
  await vscode.env.clipboard.writeText(text);
  if (argumentObject(arg) === undefined) {
    const local = isLoopback(link.holder?.host) ? ' It works on this machine only: the peer listens on loopback.' : '';
    void vscode.window.showInformationMessage(`P2P: share link for ${link.name} copied.${local}`);
  }
  return text;
}

async function sharedFileLink(services: P2PServices, arg: unknown): Promise<ShareLink> {
  let node: ManagedNode;
  let file: SharedFileInfo | undefined;
  const fields = argumentObject(arg);
  if (isRecord(arg) && arg.kind === 'sharedFile' && isRecord(arg.file)) {
    node = arg.node as ManagedNode;
    file = arg.file as unknown as SharedFileInfo;
  } else {
    const peer = fields?.peer;
    if (peer !== undefined && typeof peer !== 'string') throw new ArgumentError('"peer" must be a peer id.');
    node = await pickPeer(services.manager, peer, { placeHolder: 'Which peer shares it?', scripted: !!fields });
    const files = node.peerState?.sharedFiles ?? [];
    if (fields) {
      if (typeof fields.name !== 'string') throw new ArgumentError('"name" is required: a file the peer shares.');
      file = files.find((f) => f.name === fields.name);
      if (!file) throw new ArgumentError(`Peer ${peerId(node)} does not share "${fields.name}".`);
    } else {
      const picked = await vscode.window.showQuickPick(
        files.map((f) => ({ label: f.name, description: formatBytes(f.size), file: f })),
        { title: 'P2P: Copy Share Link', placeHolder: `Which file of ${peerId(node)}?` },
      );
      file = required(picked).file;
    }
  }
  if (!node.info?.id) throw new Error(`${node.launch.label} is not running.`);
  const holder: PeerRef = { id: node.info.id, host: node.info.host, port: node.info.port };
  // our own peer's key: whoever opens the link uses no other holder at that address
  const fingerprint = node.info.fingerprint;
  return { ...fileFields(file), holder, fingerprint, ...metaserverOf(node), mode: node.info.mode };
}

function foundFileLink(services: P2PServices, arg: Record<string, unknown>): ShareLink {
  const file = arg.file as unknown as NetworkFile;
  const holder = file.holders[0];
  if (!holder) throw new Error(`No holder of ${file.name} is known any more: search again.`);
  const finder = services.manager.peer(file.foundBy);
  return { ...fileFields(file), holder, ...(finder && metaserverOf(finder)), mode: finder?.info?.mode };
}

function fileFields(file: SharedFileInfo): Pick<ShareLink, 'name' | 'size' | 'root'> {
  // a p2p-node older than the extension may not report roots: no link without one
  if (!file.root) throw new Error(`The peer did not report the Merkle root of ${file.name}; restart it.`);
  return { name: file.name, size: file.size, root: file.root };
}

/** The peer's metaserver, with the key it registered with: whoever opens the link uses no other key there. */
function metaserverOf(node: ManagedNode): Pick<ShareLink, 'metaserver' | 'metaserverFingerprint'> {
  const match = /^\[?(.+?)\]?:(\d+)$/.exec(node.launch.metaserver ?? '');
  if (!match) return {};
  const metaserverFingerprint = node.info?.metaserverFingerprint;
  return {
    metaserver: { host: match[1]!, port: Number(match[2]) },
    ...(metaserverFingerprint && { metaserverFingerprint }),
  };
}

/** Scripted: the link as a string, or `{link, peer?, join?}` (`join: true` joins its network when no peer runs). */
async function openShareLink(services: P2PServices, arg: unknown): Promise<DownloadResult | undefined> {
  const fields = argumentObject(arg);
  const scripted = fields !== undefined || typeof arg === 'string';
  const text = typeof arg === 'string' ? arg : scripted ? fields?.link : await promptLink(services);
  if (typeof text !== 'string') throw new ArgumentError('"link" is required: a share link.');
  let link: ShareLink;
  try {
    link = parseShareLink(text, services.context.extension.id);
  } catch (error) {
    if (error instanceof ShareLinkError) throw new ArgumentError(error.message);
    throw error;
  }
  const peer = fields?.peer;
  if (peer !== undefined && typeof peer !== 'string') throw new ArgumentError('"peer" must be a peer id.');
  // typed in by the user, the link is their choice: join its network if need be
  return downloadLink(services, link, { peer, join: scripted ? fields?.join === true : true, scripted });
}

async function promptLink(services: P2PServices): Promise<string> {
  const problem = (value: string): string | undefined => {
    try {
      parseShareLink(value, services.context.extension.id);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const text = await vscode.window.showInputBox({
    title: 'P2P: Open Share Link',
    prompt: 'A share link (P2P: Copy Share Link makes one)',
    placeHolder: `${vscode.env.uriScheme}://${services.context.extension.id}${SHARE_LINK_PATH}?name=...`,
    validateInput: (value) => (value.trim() ? problem(value.trim()) : undefined),
  });
  return required(text).trim();
}

async function downloadLink(
  services: P2PServices,
  link: ShareLink,
  options: { peer?: string; join: boolean; scripted: boolean },
): Promise<DownloadResult | undefined> {
  let node: ManagedNode | undefined;
  if (services.manager.runningPeers.length > 0 || options.peer !== undefined) {
    node = await pickPeer(services.manager, options.peer, {
      placeHolder: `Download ${link.name} with which peer?`,
      scripted: options.scripted,
    });
  } else if (options.join) {
    const info = await joinNetwork(services, joinArgsFor(services, link));
    node = services.manager.peer(info.id!);
  }
  if (!node) throw new Error('No peer is running in this window: join a network first (P2P: Join Network).');
  void vscode.commands.executeCommand('p2p.transfers.focus');
  return downloadOne(services, { name: link.name, peer: peerId(node), link: formatShareLink(link) }, true);
}

/** A fresh peer that joins the link's network (its metaserver, else its holder directly). */
function joinArgsFor(services: P2PServices, link: ShareLink): Record<string, unknown> {
  let n = services.manager.peers.length + 1;
  while (services.manager.peer(`peer-${n}`)) n++;
  const address = (a: Address): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
  const via = link.metaserver
    ? {
        metaserver: address(link.metaserver),
        ...(link.metaserverFingerprint && { metaserverFingerprint: link.metaserverFingerprint }),
      }
    : { join: address(link.holder!) };
  return { id: `peer-${n}`, ...via, ...(link.mode ? { mode: link.mode } : {}) };
}

/** `vscode://<publisher>.<name>/download?...`: ask, then download (joining first if no peer runs). */
async function handleShareUri(services: P2PServices, uri: vscode.Uri): Promise<void> {
  try {
    if (uri.path !== SHARE_LINK_PATH) throw new Error(`this extension opens ${SHARE_LINK_PATH} links only.`);
    const link = parseShareLinkQuery(uri.query);
    const join = services.manager.runningPeers.length === 0;
    const action = join ? 'Join Network and Download' : 'Download';
    const key = link.fingerprint ? ` (key ${link.fingerprint.slice(0, 16)}…)` : '';
    const from = link.holder ? `${link.holder.id} at ${link.holder.host}:${link.holder.port}${key}` : 'the network';
    const network = link.metaserver
      ? ` through the metadata server ${link.metaserver.host}:${link.metaserver.port}`
      : '';
    const size = link.size !== undefined ? ` (${formatBytes(link.size)})` : '';
    // a notification, not a modal: VS Code refuses modal dialogs under test, and this one must be tested
    const choice = await vscode.window.showInformationMessage(
      `P2P: download ${link.name}${size} from ${from}? ` +
        (join ? `No peer runs in this window: a new peer joins${network || ` ${from}`} first. ` : '') +
        `Every chunk is checked against its Merkle root ${link.root.slice(0, 16)}… before it is written.`,
      action,
    );
    if (choice !== action) return;
    const done = await downloadLink(services, link, { join, scripted: false });
    if (!done) return;
    void vscode.window
      .showInformationMessage(
        `P2P: downloaded ${done.name} (${formatBytes(done.bytes)}) from ${done.sources.join(', ')}.`,
        'Open',
      )
      .then((open) => open && vscode.commands.executeCommand('vscode.open', vscode.Uri.file(done.path)));
  } catch (error) {
    await reportError(services, error instanceof ShareLinkError ? new Error(`P2P: ${error.message}`) : error);
  }
}

function isLoopback(host: string | undefined): boolean {
  return host !== undefined && (host === 'localhost' || host === '::1' || host.startsWith('127.'));
}

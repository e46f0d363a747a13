// Which managed peer a command acts on: the one named in its arguments, the only one running,
// or the user's pick among several.

import * as vscode from 'vscode';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeManager } from '../nodes/nodeManager';
import { ArgumentError } from './commandArgs';
import { required } from './commandRunner';

export interface PickOptions {
  /** Include peers that are not running (to leave a crashed one). */
  includeStopped?: boolean;
  placeHolder: string;
  /** Scripted calls never prompt: with several peers and no id they fail instead. */
  scripted?: boolean;
}

export async function pickPeer(
  manager: NodeManager,
  id: string | undefined,
  options: PickOptions,
): Promise<ManagedNode> {
  const candidates = options.includeStopped ? manager.peers : manager.runningPeers;
  if (id !== undefined) {
    const node = manager.peer(id);
    if (!node) {
      const running = candidates.length ? ` (running: ${candidates.map(peerId).join(', ')})` : '';
      throw new ArgumentError(`This window runs no peer "${id}"${running}.`);
    }
    if (!options.includeStopped && node.status !== 'running') throw new Error(`Peer "${id}" is ${node.status}.`);
    return node;
  }
  if (candidates.length === 0)
    throw new Error('No peer is running in this window. Join the network first (P2P: Join Network).');
  if (candidates.length === 1) return candidates[0]!;
  if (options.scripted)
    throw new ArgumentError(`Several peers run (${candidates.map(peerId).join(', ')}): say which with "peer".`);
  const picked = await vscode.window.showQuickPick(
    candidates.map((node) => ({
      label: peerId(node),
      description: node.info ? `${node.info.host}:${node.info.port} · ${node.info.mode}` : node.status,
      detail: node.launch.dir,
      node,
    })),
    { placeHolder: options.placeHolder },
  );
  return required(picked).node;
}

export function peerId(node: ManagedNode): string {
  return node.info?.id ?? node.key.replace(/^peer:/, '');
}

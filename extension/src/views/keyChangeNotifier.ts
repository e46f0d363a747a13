// Warns when one of this window's nodes refused a known peer id (or a peer, its known metaserver)
// presenting another key: it reinstalled, or someone is using its id (or address). One warning
// per (node, id, new key), with what the user can do: block that key, or trust it as the new one.
// A peer refused at its start by its metaserver's new key gets the same warning, offering to join
// again trusting that key.

import * as vscode from 'vscode';
import type { KeyChangedEvent } from '@node-core/events';
import { peerId } from '../commands/pickPeer';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeManager } from '../nodes/nodeManager';

/** Warnings remembered per window; past this, further key changes go to the log only. */
const MAX_WARNINGS = 1000;

export const BLOCK_ACTION = 'Block Peer';
export const TRUST_ACTION = 'Trust New Key';
/** For a metaserver's key: it has no id to block, only that key. */
export const BLOCK_KEY_ACTION = 'Block Key';
/** For a peer its metaserver's new key kept from starting. */
export const TRUST_AND_JOIN_ACTION = 'Trust New Key and Join';

/** What `by` refused and why; a metaserver's key is pinned under its address (`change.metaserver`). */
export function keyChangeWarning(by: string, change: KeyChangedEvent): string {
  const keys =
    `it came with key ${change.newFingerprint.slice(0, 16)}…, ` +
    `but it is known with key ${change.oldFingerprint.slice(0, 16)}….`;
  if (change.metaserver !== undefined)
    return (
      `P2P: ${by} refused the metadata server at ${change.metaserver}: ${keys} It may have been reinstalled ` +
      'or restarted without its key, or someone else may be answering at its address.'
    );
  return (
    `P2P: ${by} refused peer "${change.id}": ${keys} It may have been reinstalled, ` +
    'or someone else may be using its id.'
  );
}

export function watchKeyChanges(manager: NodeManager, showLog: (key: string) => void): vscode.Disposable {
  const warned = new Set<string>();
  return manager.onNodeEvent(({ node, event }) => {
    if (event.event !== 'key-changed') return;
    const key = `${node.key} ${event.id} ${event.newFingerprint}`;
    if (warned.has(key) || warned.size >= MAX_WARNINGS) return;
    warned.add(key);
    void warn(node, event, node === manager.metaserver, showLog);
  });
}

async function warn(
  node: ManagedNode,
  change: KeyChangedEvent,
  isMetaserver: boolean,
  showLog: (key: string) => void,
): Promise<void> {
  const by = isMetaserver ? 'the metadata server' : peerId(node);
  // which node acts on the choice, as the commands take it
  const actor = isMetaserver ? { metaserver: true } : { peer: by };
  const choice = await vscode.window.showWarningMessage(
    keyChangeWarning(by, change),
    change.metaserver ? BLOCK_KEY_ACTION : BLOCK_ACTION,
    TRUST_ACTION,
    'Show Log',
  );
  if (choice === BLOCK_ACTION || choice === BLOCK_KEY_ACTION)
    await vscode.commands.executeCommand('p2p.blockPeer', { ...actor, block: change.newFingerprint });
  if (choice === TRUST_ACTION)
    await vscode.commands.executeCommand('p2p.trustNewKey', {
      ...actor,
      id: change.id,
      fingerprint: change.newFingerprint,
    });
  if (choice === 'Show Log') showLog(node.key);
}

/** Peer `id` did not start: its metaserver showed a new key. `rejoin` starts it again trusting that key. */
export async function offerTrustAndJoin(
  id: string,
  change: KeyChangedEvent,
  rejoin: () => Promise<void>,
): Promise<void> {
  const choice = await vscode.window.showWarningMessage(keyChangeWarning(id, change), TRUST_AND_JOIN_ACTION, 'Cancel');
  if (choice === TRUST_AND_JOIN_ACTION) await rejoin();
}

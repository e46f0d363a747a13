// Warns when one of this window's nodes refused a known peer id presenting another key: the
// peer reinstalled, or someone is using its id. One warning per (peer, id, new key), with what
// the user can do about it: block that key, or trust it as the id's new key.

import * as vscode from 'vscode';
import type { KeyChangedEvent } from '@node-core/events';
import { peerId } from '../commands/pickPeer';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeManager } from '../nodes/nodeManager';

/** Warnings remembered per window; past this, further key changes go to the log only. */
const MAX_WARNINGS = 1000;

export const BLOCK_ACTION = 'Block Peer';
export const TRUST_ACTION = 'Trust New Key';

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
    `P2P: ${by} refused peer "${change.id}": it came with key ${change.newFingerprint.slice(0, 16)}…, ` +
      `but it is known with key ${change.oldFingerprint.slice(0, 16)}…. It may have been reinstalled, ` +
      'or someone else may be using its id.',
    BLOCK_ACTION,
    TRUST_ACTION,
    'Show Log',
  );
  if (choice === BLOCK_ACTION)
    await vscode.commands.executeCommand('p2p.blockPeer', { ...actor, block: change.newFingerprint });
  if (choice === TRUST_ACTION)
    await vscode.commands.executeCommand('p2p.trustNewKey', {
      ...actor,
      id: change.id,
      fingerprint: change.newFingerprint,
    });
  if (choice === 'Show Log') showLog(node.key);
}

// P2P: Copy Fingerprint. A node's fingerprint (SHA-256 of its public key) is its identity:
// what another user puts in a `--trust` file or compares by voice before trusting a peer.

import * as vscode from 'vscode';
import type { ManagedNode } from '../nodes/managedNode';
import { isRecord } from './commandArgs';
import { isScripted, registerP2PCommand } from './commandRunner';
import { pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export function registerIdentityCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.copyFingerprint', async (arg) => {
    const node = await nodeOf(services, arg);
    const fingerprint = node.info?.fingerprint;
    if (!fingerprint) throw new Error(`${node.launch.label} has no fingerprint yet: it is ${node.status}.`);
    await vscode.env.clipboard.writeText(fingerprint);
    void vscode.window.showInformationMessage(`P2P: fingerprint of ${node.launch.label} copied (${fingerprint}).`);
    return fingerprint;
  });
}

/** From the view: the metaserver or peer element; scripted: `{id}`, the id, or `{metaserver: true}`. */
async function nodeOf(services: P2PServices, arg: unknown): Promise<ManagedNode> {
  if (isRecord(arg) && (arg.kind === 'metaserver' || arg.kind === 'peer') && isRecord(arg.node)) {
    const node = services.manager.nodes.find((n) => n.key === (arg.node as { key?: unknown }).key);
    if (node) return node;
  }
  if (isRecord(arg) && arg.metaserver === true) {
    if (!services.manager.metaserver) throw new Error('No metadata server runs in this window.');
    return services.manager.metaserver;
  }
  const id = typeof arg === 'string' ? arg : isRecord(arg) && typeof arg.id === 'string' ? arg.id : undefined;
  return pickPeer(services.manager, id, { placeHolder: 'Whose fingerprint?', scripted: isScripted(arg) });
}

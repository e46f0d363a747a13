// Identity and trust: P2P: Copy Fingerprint, Block Peer, Trust New Key. A node's fingerprint
// (SHA-256 of its public key) is its identity: what another user puts in a `--trust` file or
// compares by voice before trusting a peer; what a block or a new pin names.

import * as vscode from 'vscode';
import type { BlockedEvent, TrustedEvent } from '@node-core/events';
import { metaserverOfPin } from '@node-core/wire/metaserver-pin';
import type { ManagedNode } from '../nodes/managedNode';
import { blockPeer, trustKey } from '../nodes/trustOperations';
import { ArgumentError, isRecord } from './commandArgs';
import { isScripted, registerP2PCommand, required } from './commandRunner';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

/** One managed peer's answer to a block. */
export interface PeerBlocked {
  /** The managed peer that now refuses it. */
  by: string;
  blocked: BlockedEvent;
}

export function registerIdentityCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.copyFingerprint', async (arg) => {
    const node = await nodeOf(services, arg);
    const fingerprint = node.info?.fingerprint;
    if (!fingerprint) throw new Error(`${node.launch.label} has no fingerprint yet: it is ${node.status}.`);
    await vscode.env.clipboard.writeText(fingerprint);
    void vscode.window.showInformationMessage(`P2P: fingerprint of ${node.launch.label} copied (${fingerprint}).`);
    return fingerprint;
  });
  registerP2PCommand(services, 'p2p.blockPeer', (arg) => blockCommand(services, arg));
  registerP2PCommand(services, 'p2p.trustNewKey', (arg) => trustNewKey(services, arg));
}

/**
 * From the view: a neighbour (its peer blocks it) or a managed peer (every other peer of this
 * window, and its metaserver, block its key); scripted: `{peer, block}` or `{metaserver: true,
 * block}`, block being an id or a fingerprint.
 */
async function blockCommand(services: P2PServices, arg: unknown): Promise<PeerBlocked[]> {
  const { manager } = services;
  let blocks: Array<{ node: ManagedNode; target: string }>;
  if (isRecord(arg) && arg.kind === 'neighbor' && isRecord(arg.neighbor) && isRecord(arg.node)) {
    blocks = [{ node: nodeByKey(services, arg.node.key), target: String(arg.neighbor.id) }];
  } else if (isRecord(arg) && arg.kind === 'peer' && isRecord(arg.node)) {
    const blocked = nodeByKey(services, arg.node.key);
    const fingerprint = blocked.info?.fingerprint;
    if (!fingerprint) throw new Error(`${blocked.launch.label} has no fingerprint yet: it is ${blocked.status}.`);
    // the metaserver blocking it too keeps it out of the whole network this window serves
    const metaserver = manager.metaserver?.status === 'running' ? [manager.metaserver] : [];
    const others = [...manager.runningPeers.filter((n) => n !== blocked), ...metaserver];
    if (others.length === 0) throw new Error(`No other node runs in this window to block ${blocked.launch.label}.`);
    blocks = others.map((node) => ({ node, target: fingerprint }));
  } else {
    const scripted = isScripted(arg);
    const fields = isRecord(arg) ? arg : {};
    if (fields.peer !== undefined && typeof fields.peer !== 'string')
      throw new ArgumentError('"peer" must be a string');
    const node =
      fields.metaserver === true
        ? runningMetaserver(services)
        : await pickPeer(manager, fields.peer as string | undefined, {
            placeHolder: 'Which of your peers blocks?',
            scripted,
          });
    if (scripted && typeof fields.block !== 'string')
      throw new ArgumentError('"block" must be the id or fingerprint of the peer to block');
    const target =
      typeof fields.block === 'string'
        ? fields.block
        : required(
            await vscode.window.showInputBox({
              title: 'P2P: Block Peer',
              prompt: `Peer id or key fingerprint that ${peerId(node)} refuses from now on`,
              validateInput: (v) => (v.trim() === '' || /\s/.test(v.trim()) ? 'One id or fingerprint' : undefined),
            }),
          ).trim();
    blocks = [{ node, target }];
  }
  const results = await Promise.all(
    blocks.map(async ({ node, target }) => ({ by: peerId(node), blocked: await blockPeer(node, target) })),
  );
  const what = describeBlocked(results[0]!.blocked);
  const by = results.map((r) => r.by).join(', ');
  void vscode.window.showInformationMessage(`P2P: ${what} blocked by ${by}: its links are closed, it stays out.`);
  return results;
}

/**
 * Scripted `{peer, id, fingerprint}` (or `{metaserver: true, id, fingerprint}`): that node pins
 * `fingerprint` as `id`'s key (after a key change).
 */
async function trustNewKey(services: P2PServices, arg: unknown): Promise<TrustedEvent> {
  if (!isRecord(arg) || typeof arg.id !== 'string' || typeof arg.fingerprint !== 'string')
    throw new ArgumentError('Trust New Key takes {peer, id, fingerprint}');
  const peer = typeof arg.peer === 'string' ? arg.peer : undefined;
  const node =
    arg.metaserver === true
      ? runningMetaserver(services)
      : await pickPeer(services.manager, peer, { placeHolder: 'Which of your peers trusts it?', scripted: true });
  const trusted = await trustKey(node, arg.id, arg.fingerprint);
  const metaserver = metaserverOfPin(trusted.id);
  const whom = metaserver === undefined ? `peer "${trusted.id}"` : `the metadata server at ${metaserver}`;
  void vscode.window.showInformationMessage(
    `P2P: ${peerId(node)} now trusts ${whom} with key ${trusted.fingerprint.slice(0, 16)}….`,
  );
  return trusted;
}

function describeBlocked(blocked: BlockedEvent): string {
  if (blocked.id !== undefined) return `peer "${blocked.id}"`;
  return `key ${(blocked.fingerprints[0] ?? '').slice(0, 16)}…`;
}

function runningMetaserver(services: P2PServices): ManagedNode {
  const node = services.manager.metaserver;
  if (node?.status !== 'running') throw new Error('No metadata server runs in this window.');
  return node;
}

function nodeByKey(services: P2PServices, key: unknown): ManagedNode {
  const node = services.manager.nodes.find((n) => n.key === key);
  if (!node) throw new Error('That peer is no longer managed by this window.');
  return node;
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

// What the VS Code suites share: the extension's id, its API once active, and the nodes and
// temp folders a suite starts, undone in reverse order after it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../../extension/src/api';
import type { NodeInfo } from '../../../extension/src/nodes/nodeInfo';

export const EXTENSION_ID = 'p2p-network.p2p-network-vscode';

export async function activateP2P(): Promise<P2PExtensionApi> {
  return vscode.extensions.getExtension<P2PExtensionApi>(EXTENSION_ID)!.activate();
}

/** Undo steps run after the suite, last first; a failing step does not stop the others. */
export function useCleanup(): Array<() => unknown> {
  const steps: Array<() => unknown> = [];
  after(async () => {
    for (const step of steps.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
  });
  return steps;
}

/** Starts the metadata server on a free port through its command; stopped after the suite. */
export async function startMetaserver(cleanup: Array<() => unknown>): Promise<NodeInfo> {
  const server = (await vscode.commands.executeCommand<NodeInfo>('p2p.startMetadataServer', { port: 0 }))!;
  cleanup.push(() => vscode.commands.executeCommand('p2p.stopMetadataServer'));
  return server;
}

/** A temp folder, removed after the suite. */
export function tempFolder(cleanup: Array<() => unknown>, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Joins peer `id` sharing `dir` through the metaserver on `port`; it leaves after the suite. */
export async function joinPeer(cleanup: Array<() => unknown>, id: string, port: number, dir: string): Promise<void> {
  await vscode.commands.executeCommand('p2p.joinNetwork', { id, metaserver: `127.0.0.1:${port}`, dir });
  cleanup.push(() => vscode.commands.executeCommand('p2p.leaveNetwork', { id }));
}

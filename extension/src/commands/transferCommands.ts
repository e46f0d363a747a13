// The Transfers view's commands: Pause, Resume, Retry, Cancel, Reveal, Open on a transfer (the
// tree element, or `{peer, name}` scripted), and Clear History on the view's title.

import * as vscode from 'vscode';
import type { TransferController } from '../transfers/transferController';
import { transferId, type Transfer } from '../transfers/transferList';
import { ArgumentError, argumentObject, isRecord } from './commandArgs';
import { registerP2PCommand } from './commandRunner';
import type { P2PServices } from './services';

export function registerTransferCommands(services: P2PServices, transfers: TransferController): void {
  const on = (id: string, run: (t: Transfer) => Promise<unknown> | unknown): void =>
    registerP2PCommand(services, id, async (arg) => run(transferOf(transfers, arg)));
  on('p2p.pauseTransfer', (t) => transfers.pause(t));
  on('p2p.resumeTransfer', (t) => transfers.resume(t));
  on('p2p.retryTransfer', (t) => transfers.resume(t));
  on('p2p.cancelTransfer', (t) => transfers.cancel(t));
  on('p2p.revealTransfer', (t) => revealFinished(finishedPath(t)));
  on('p2p.openTransfer', (t) => vscode.commands.executeCommand('vscode.open', vscode.Uri.file(finishedPath(t))));
  registerP2PCommand(services, 'p2p.clearTransferHistory', async () => transfers.list.clearHistory());
}

/** The tree passes its element; scripts pass `{peer, name}`. */
function transferOf(transfers: TransferController, arg: unknown): Transfer {
  if (isRecord(arg) && arg.kind === 'transfer' && isRecord(arg.transfer) && typeof arg.transfer.id === 'string') {
    const transfer = transfers.list.get(arg.transfer.id);
    if (transfer) return transfer;
  }
  const fields = argumentObject(arg);
  if (!fields) throw new ArgumentError('Pick a transfer in the Transfers view.');
  const { peer, name } = fields;
  if (typeof peer !== 'string' || typeof name !== 'string')
    throw new ArgumentError('"peer" and "name" name the transfer.');
  const transfer = transfers.list.get(transferId(peer, name));
  if (!transfer) throw new ArgumentError(`No transfer of "${name}" by peer ${peer}.`);
  return transfer;
}

/**
 * The system's file manager where VS Code has one (desktop). In a browser (VS Code for the Web,
 * code-server) there is none: the Explorer shows the file if it is in the workspace, otherwise
 * its path is copied and said. Resolves with the path.
 */
async function revealFinished(path: string): Promise<string> {
  const uri = vscode.Uri.file(path);
  if ((await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
  } else if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
  } else {
    await vscode.env.clipboard.writeText(path);
    void vscode.window.showInformationMessage(`P2P: the file is at ${path} (path copied; no file manager here).`);
  }
  return path;
}

function finishedPath(t: Transfer): string {
  if (t.state !== 'completed' || !t.path) throw new Error(`"${t.name}" is ${t.state}; it has no file yet.`);
  return t.path;
}

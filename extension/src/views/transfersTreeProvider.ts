// The `p2p.transfers` view: each download with its state, percent, speed and ETA; the context
// menu acts on it by state (contextValue `p2p.transfer.<state>`, see package.json menus).

import * as vscode from 'vscode';
import type { Transfer, TransferList, TransferState } from '../transfers/transferList';
import { describeTransfer, holderShares } from '../transfers/describeTransfer';

const ICONS: Record<TransferState, string> = {
  active: 'cloud-download',
  paused: 'debug-pause',
  completed: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
};

/** Every contextValue the view's rows carry (package.json menus key on them). */
export const TRANSFER_CONTEXT_VALUES = Object.keys(ICONS).map((state) => `p2p.transfer.${state}`);

/** A row of the view: the commands receive it from the context menu. */
export interface TransferElement {
  kind: 'transfer';
  transfer: Transfer;
}

export class TransfersTreeProvider implements vscode.TreeDataProvider<TransferElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TransferElement | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly list: TransferList) {
    this.subscription = list.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  getChildren(element?: TransferElement): TransferElement[] {
    return element ? [] : this.list.all.map((transfer) => ({ kind: 'transfer', transfer }));
  }

  getTreeItem({ transfer }: TransferElement): vscode.TreeItem {
    const item = new vscode.TreeItem(transfer.name, vscode.TreeItemCollapsibleState.None);
    item.id = transfer.id;
    item.description = describeTransfer(transfer, this.list.speedOf(transfer.id), this.list.etaOf(transfer.id));
    item.iconPath = new vscode.ThemeIcon(ICONS[transfer.state]);
    item.contextValue = `p2p.transfer.${transfer.state}`;
    item.tooltip = [
      `${transfer.name}: ${transfer.state}, by peer ${transfer.peer}`,
      holderShares(transfer) ? `holders' shares: ${holderShares(transfer)}` : '',
      transfer.sources?.length ? `from ${transfer.sources.join(', ')}` : '',
      transfer.path ?? '',
      transfer.error ?? '',
    ]
      .filter(Boolean)
      .join('\n');
    if (transfer.state === 'completed' && transfer.path)
      item.command = { command: 'p2p.openTransfer', title: 'Open', arguments: [{ kind: 'transfer', transfer }] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

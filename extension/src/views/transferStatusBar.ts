// A status bar item with the total download speed while a transfer moves; a click shows the
// Transfers view. Hidden otherwise.

import * as vscode from 'vscode';
import type { TransferList } from '../transfers/transferList';
import { formatBytes, plural } from '../util/format';

export class TransferStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('p2p.transfers', vscode.StatusBarAlignment.Left, 49);
  private readonly subscription: { dispose(): void };

  constructor(private readonly list: TransferList) {
    this.item.name = 'P2P Transfers';
    this.item.command = 'p2p.transfers.focus';
    this.subscription = list.onDidChange(() => this.update());
    this.update();
  }

  /** The text shown, e.g. "$(cloud-download) 3.2 MiB/s" (empty while hidden; exposed for tests). */
  get text(): string {
    return this.item.text;
  }

  update(): void {
    const active = this.list.active;
    if (active.length === 0) {
      this.item.text = '';
      this.item.hide();
      return;
    }
    this.item.text = `$(cloud-download) ${formatBytes(this.list.totalSpeed())}/s`;
    this.item.tooltip = `P2P: ${plural(active.length, 'download')} in progress. Click to show the transfers.`;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

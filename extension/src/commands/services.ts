// What every command needs, built once in activate() and passed down (no module globals).

import type * as vscode from 'vscode';
import type { NetworkKeyStore } from '../networkKey';
import type { NodeManager } from '../nodes/nodeManager';
import type { SearchResults } from '../search/searchResults';
import type { TransferController } from '../transfers/transferController';

export interface P2PServices {
  context: vscode.ExtensionContext;
  manager: NodeManager;
  searchResults: SearchResults;
  keys: NetworkKeyStore;
  /** Every download goes through it, so the Transfers view shows it. */
  transfers: TransferController;
  /** Opens the log channel of a node (by its manager key). */
  showLog(nodeKey: string): void;
  /** Repaints both views and the status bar. */
  refreshViews(): void;
}

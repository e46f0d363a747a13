// Keeps the transfer list in the workspace's state, so paused transfers (and the history) are
// there again after a reload or a restart of VS Code. Written when a transfer changes state, not
// on every progress tick.

import type * as vscode from 'vscode';
import type { TransferList } from './transferList';

export const TRANSFERS_STATE_KEY = 'p2p.transfers';

/** Restores the list from `state`, then saves it whenever a transfer changes state. */
export function persistTransfers(list: TransferList, state: vscode.Memento): vscode.Disposable {
  list.restore(state.get<unknown>(TRANSFERS_STATE_KEY));
  let saved = signature(list);
  return list.onDidChange(() => {
    const now = signature(list);
    if (now === saved) return;
    saved = now;
    void state.update(TRANSFERS_STATE_KEY, list.snapshot());
  });
}

function signature(list: TransferList): string {
  return list.all.map((t) => `${t.id}:${t.state}`).join('\n');
}

// Tells the user when a node dies on its own (with Show Log and Restart), and surfaces errors a
// running node reports outside any command (lost metaserver, failed authentication), at most
// once a minute per node and code so a retry loop cannot flood the notifications.

import * as vscode from 'vscode';
import type { NetworkKeyStore } from '../networkKey';
import { describeEarlyExit, describeNodeError } from '../nodes/errorMessages';
import { keyEnvironment } from '../nodes/nodeArgs';
import type { NodeManager } from '../nodes/nodeManager';

const REPEAT_AFTER_MS = 60_000;

export function watchNodeHealth(
  manager: NodeManager,
  keys: NetworkKeyStore,
  showLog: (key: string) => void,
): vscode.Disposable {
  const lastShown = new Map<string, number>();
  const crash = manager.onNodeCrash(async ({ node, exit }) => {
    const described = describeEarlyExit({ node: node.launch.label }, exit.code, exit.signal, exit.stderrTail);
    const message = described.message.replace(/ (exited|was killed)/, ' stopped unexpectedly: it $1');
    const choice = await vscode.window.showErrorMessage(message, 'Show Log', 'Restart');
    if (choice === 'Show Log') showLog(node.key);
    if (choice === 'Restart') {
      try {
        await manager.restart(node.key, keyEnvironment(await keys.get()));
      } catch (error) {
        void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
      }
    }
  });
  const errors = manager.onNodeEvent(({ node, event }) => {
    // Errors about a file belong to the share/search/download command that is waiting for them.
    if (event.event !== 'error' || event.name !== undefined || node.status !== 'running') return;
    // BAD_COMMAND answers a line the extension sent (e.g. CANCEL to an older CLI): the command handles it.
    if (event.code === 'BAD_COMMAND') return;
    const key = `${node.key}/${event.code}`;
    const now = Date.now();
    if ((lastShown.get(key) ?? 0) > now - REPEAT_AFTER_MS) return;
    lastShown.set(key, now);
    const described = describeNodeError(event.code, event.message, {
      node: node.launch.label,
      metaserver: node.launch.metaserver,
    });
    void vscode.window.showWarningMessage(described.message, 'Show Log').then((choice) => {
      if (choice) showLog(node.key);
    });
  });
  return {
    dispose: () => {
      crash.dispose();
      errors.dispose();
    },
  };
}

// Restore on startup (`p2p.restoreOnStartup`, default on): the nodes this window ran are saved in
// the workspace's state whenever they change (not while the window closes, which stops them all),
// and started again by the next activation through the same commands a user runs: same ids,
// folders and modes, the same ports when they are free.

import { createServer } from 'node:net';
import * as vscode from 'vscode';
import type { NodeInfo } from '../nodes/nodeInfo';
import type { NodeManager } from '../nodes/nodeManager';
import { parseSavedNodes, restoredMessage, savedNodesOf, type SavedNodes } from './savedNodes';

export const RESTORE_STATE_KEY = 'p2p.savedNodes';
/** Long enough to notice once the window has settled, short enough not to linger. */
const RESTORED_NOTE_MS = 15_000;

export class NodeRestore implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  private restoredNote: vscode.Disposable | undefined;

  constructor(
    manager: NodeManager,
    private readonly state: vscode.Memento,
  ) {
    this.subscription = manager.onDidChangeNodes(() => {
      if (!manager.shuttingDown) void state.update(RESTORE_STATE_KEY, savedNodesOf(manager.nodes));
    });
  }

  /** What the next activation would start. */
  get saved(): SavedNodes {
    return parseSavedNodes(this.state.get(RESTORE_STATE_KEY));
  }

  /** Starts the saved nodes (metaserver first); resolves with what came back. Failures are notified. */
  async restore(saved: SavedNodes = this.saved): Promise<NodeInfo[]> {
    const started: NodeInfo[] = [];
    const metaserverAddress = saved.metaserver && `${saved.metaserver.host}:${saved.metaserver.port}`;
    let newAddress = metaserverAddress;
    if (saved.metaserver) {
      const { host, port, httpPort, announce, networkName } = saved.metaserver;
      const info = await run('p2p.startMetadataServer', {
        announce,
        networkName,
        host,
        port: await freeOrAny(host, port),
        httpPort: httpPort === undefined ? undefined : await freeOrAny(host, httpPort),
      });
      if (info) started.push(info);
      newAddress = info ? `${info.host}:${info.port}` : metaserverAddress;
    }
    for (const peer of saved.peers) {
      // peers that used this window's metaserver follow it if it had to move to another port
      const metaserver = peer.metaserver === metaserverAddress ? newAddress : peer.metaserver;
      const info = await run('p2p.joinNetwork', {
        id: peer.id,
        dir: peer.dir,
        mode: peer.mode,
        port: await freeOrAny('127.0.0.1', peer.port),
        ...(peer.join ? { join: peer.join } : { metaserver }),
      });
      if (info) started.push(info);
    }
    return started;
  }

  /** Activation's restore: the saved nodes, then a status-bar note saying what came back. */
  async restoreOnStartup(): Promise<void> {
    const message = restoredMessage(await this.restore());
    if (message) this.restoredNote = vscode.window.setStatusBarMessage(`$(history) ${message}`, RESTORED_NOTE_MS);
  }

  dispose(): void {
    this.subscription.dispose();
    this.restoredNote?.dispose();
  }
}

/** A scripted command: its error policy notifies the user; here a failed node just stays down. */
async function run(command: string, args: Record<string, unknown>): Promise<NodeInfo | undefined> {
  try {
    return await vscode.commands.executeCommand<NodeInfo>(command, args);
  } catch {
    return undefined;
  }
}

/** `port` if nothing listens there now, else 0 (the system picks). */
function freeOrAny(host: string, port: number): Promise<number> {
  if (port === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, host, () => probe.close(() => resolve(port)));
  });
}

// Entry point. Activation only wires objects together: no process starts until a command asks,
// so activating is cheap. Every registration goes onto context.subscriptions; the NodeManager is
// the one owner of node processes and deactivate() stops them (STOP, then kill after a grace).

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from './api';
import { registerFileCommands } from './commands/fileCommands';
import { registerIdentityCommands } from './commands/identityCommands';
import { registerKeyCommands } from './commands/keyCommands';
import { registerNodeCommands } from './commands/nodeCommands';
import { registerShareLinkCommands } from './commands/shareLinkCommands';
import { registerP2PCommand } from './commands/commandRunner';
import type { P2PServices } from './commands/services';
import { registerTopologyCommand } from './commands/topologyCommand';
import { registerInternalCommands } from './internalCommands';
import { NetworkKeyStore } from './networkKey';
import { nodeCliPath } from './nodeProcess';
import { readSettings } from './settings';
import { watchNodeHealth } from './views/crashNotifier';
import { watchKeyChanges } from './views/keyChangeNotifier';
import { MetaserverTopology } from './nodes/metaserverTopology';
import { NodeManager } from './nodes/nodeManager';
import { SearchResults } from './search/searchResults';
import { FilesTreeProvider } from './views/filesTreeProvider';
import { NetworkTreeProvider } from './views/networkTreeProvider';
import { NetworkStatusBar } from './views/statusBar';
import { registerTransferCommands } from './commands/transferCommands';
import { NodeRestore } from './restore/nodeRestore';
import { FileMemento, WORKSPACE_STATE_FILE } from './util/fileMemento';
import { persistTransfers } from './transfers/transferPersistence';
import { TransferController } from './transfers/transferController';
import { TransferList } from './transfers/transferList';
import { TransfersTreeProvider } from './views/transfersTreeProvider';
import { TransferStatusBar } from './views/transferStatusBar';

export type { P2PExtensionApi } from './api';

/** deactivate() needs it; everything else receives it through P2PServices. */
let activeManager: NodeManager | undefined;

export function activate(context: vscode.ExtensionContext): P2PExtensionApi {
  const activateStartedAt = performance.now();
  const manager = new NodeManager({
    cliPath: nodeCliPath(context.extensionPath),
    createLog: (label) => vscode.window.createOutputChannel(label, { log: true }),
  });
  activeManager = manager;
  // on disk at each change (a browser workbench's own storage can lose the last seconds at a reload)
  const workspaceState = context.storageUri
    ? new FileMemento(join(context.storageUri.fsPath, WORKSPACE_STATE_FILE), context.workspaceState)
    : context.workspaceState;
  const searchResults = new SearchResults();
  const metaserverTopology = new MetaserverTopology(manager);
  const networkTree = new NetworkTreeProvider(manager, () => metaserverTopology.peerCount);
  const filesTree = new FilesTreeProvider(searchResults);
  const statusBar = new NetworkStatusBar(manager);
  const keys = new NetworkKeyStore(context.secrets);
  const transferList = new TransferList();
  const transfers = new TransferController(manager, transferList);
  const transfersTree = new TransfersTreeProvider(transferList);
  const transferStatusBar = new TransferStatusBar(transferList);
  context.subscriptions.push(
    { dispose: () => manager.dispose() },
    searchResults,
    metaserverTopology,
    networkTree,
    filesTree,
    statusBar,
    metaserverTopology.onDidChange(() => networkTree.refresh()),
    vscode.window.registerTreeDataProvider('p2p.network', networkTree),
    // several files selected together download together (p2p.downloadFile receives the selection)
    vscode.window.createTreeView('p2p.files', { treeDataProvider: filesTree, canSelectMany: true }),
    transferList,
    transfers,
    transfersTree,
    transferStatusBar,
    vscode.window.registerTreeDataProvider('p2p.transfers', transfersTree),
    persistTransfers(transferList, workspaceState),
  );

  const services: P2PServices = {
    context,
    manager,
    searchResults,
    keys,
    transfers,
    showLog: (key) => manager.logOf(key)?.show?.(true),
    refreshViews: () => {
      networkTree.refresh();
      filesTree.refresh();
      statusBar.update();
    },
  };
  context.subscriptions.push(
    watchNodeHealth(manager, keys, services.showLog),
    watchKeyChanges(manager, services.showLog),
    trackPeerRunningContext(manager),
  );
  registerNodeCommands(services);
  registerFileCommands(services);
  const uriHandler = registerShareLinkCommands(services);
  registerKeyCommands(services);
  registerIdentityCommands(services);
  registerTopologyCommand(services);
  registerTransferCommands(services, transfers);
  registerP2PCommand(services, 'p2p.refresh', async () => {
    // Ask each peer for the full picture again; the answers repaint the views.
    for (const node of manager.runningPeers) {
      node.send('TOPO');
      node.send('FILES');
    }
    services.refreshViews();
  });
  registerInternalCommands(context);
  const nodeRestore = new NodeRestore(manager, workspaceState);
  context.subscriptions.push(nodeRestore);
  // after the commands exist: it runs them; not awaited, activation stays cheap
  if (readSettings().restoreOnStartup) void nodeRestore.restoreOnStartup();

  return {
    nodes: manager,
    networkTree,
    filesTree,
    searchResults,
    metaserverTopology,
    uriHandler,
    statusBarText: () => statusBar.text,
    transfers: transferList,
    transfersTree,
    transferStatusBarText: () => transferStatusBar.text,
    nodeRestore,
    workspaceState,
    activationMs: performance.now() - activateStartedAt,
  };
}

export function deactivate(): Promise<void> | undefined {
  const manager = activeManager;
  activeManager = undefined;
  return manager?.shutdown();
}

/** `p2p.peerRunning` (explorer "Share File", palette entries) is true while at least one peer runs. */
function trackPeerRunningContext(manager: NodeManager): vscode.Disposable {
  let current: boolean | undefined;
  const update = (): void => {
    const running = manager.runningPeers.length > 0;
    if (running === current) return;
    current = running;
    void vscode.commands.executeCommand('setContext', 'p2p.peerRunning', running);
  };
  update();
  return manager.onDidChangeNodes(update);
}

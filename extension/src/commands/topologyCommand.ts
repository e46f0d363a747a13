// P2P: Show Topology: opens (or reveals) the topology panel (extension/src/topology/, owned by
// the topology issue) on the bridge of this window's metadata server.

import * as vscode from 'vscode';
import { TopologyPanel } from '../topology';
import { registerP2PCommand } from './commandRunner';
import type { P2PServices } from './services';

export function registerTopologyCommand(services: P2PServices): void {
  services.context.subscriptions.push({ dispose: () => TopologyPanel.active?.dispose() });
  registerP2PCommand(services, 'p2p.showTopology', async () => {
    const metaserver = services.manager.metaserver;
    const url = metaserver?.status === 'running' ? metaserver.info?.url : undefined;
    if (!url) {
      const message =
        metaserver?.status === 'running'
          ? 'P2P: this metadata server runs without its topology bridge (p2p.metaserver.httpPort), ' +
            'so there is no topology to show.'
          : 'P2P: the topology comes from a metadata server run by this window. ' +
            'Start one first (P2P: Start Metadata Server, or P2P: Start Demo Network).';
      void vscode.window.showInformationMessage(message);
      return undefined;
    }
    await TopologyPanel.show(services.context.extensionUri, url);
    return { url };
  });
}

// P2P: Show Topology. The panel itself is extension/src/topology/ (the topology issue); until it
// is wired in, this opens the metadata server's topology page in the browser, or says why not.

import * as vscode from 'vscode';
import { registerP2PCommand } from './commandRunner';
import type { P2PServices } from './services';

export function registerTopologyCommand(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.showTopology', async () => {
    const url = services.manager.metaserver?.status === 'running' ? services.manager.metaserver.info?.url : undefined;
    if (!url) {
      void vscode.window.showInformationMessage('P2P: the topology comes from the metadata server of this window; start one first (P2P: Start Metadata Server or P2P: Start Demo Network).');
      return undefined;
    }
    const choice = await vscode.window.showInformationMessage('P2P: the topology panel is not available in this build yet; the metadata server serves the same page.', 'Open in Browser');
    if (choice) await vscode.env.openExternal(await vscode.env.asExternalUri(vscode.Uri.parse(url)));
    return undefined;
  });
}

// A status bar item with the peers this window runs and their neighbour links; a click opens
// the topology (p2p.showTopology). Hidden while no node runs.

import * as vscode from 'vscode';
import type { NodeManager } from '../nodes/nodeManager';
import { plural } from '../util/format';

export class NetworkStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('p2p.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly manager: NodeManager) {
    this.item.name = 'P2P Network';
    this.item.command = 'p2p.showTopology';
    this.subscriptions = [
      manager.onDidChangeNodes(() => this.update()),
      manager.onNodeEvent(({ event }) => {
        if (event.event === 'neighbor-up' || event.event === 'neighbor-down' || event.event === 'topology')
          this.update();
      }),
    ];
    this.update();
  }

  /** The text shown, e.g. "3 peers · 4 neighbours" (exposed for tests). */
  get text(): string {
    return this.item.text;
  }

  update(): void {
    const peers = this.manager.runningPeers;
    const neighbors = peers.reduce((sum, node) => sum + (node.peerState?.neighbors.length ?? 0), 0);
    const metaserver = this.manager.metaserver?.status === 'running';
    if (peers.length === 0 && !metaserver) {
      this.item.hide();
      return;
    }
    this.item.text = `$(radio-tower) ${plural(peers.length, 'peer')} · ${plural(neighbors, 'neighbour')}`;
    this.item.tooltip =
      `P2P: ${plural(peers.length, 'peer')} running in this window with ${plural(neighbors, 'neighbour link')}` +
      `${metaserver ? ', metadata server running' : ''}. Click to show the topology.`;
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

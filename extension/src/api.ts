// What activate() returns: `vscode.extensions.getExtension('p2p-network.p2p-network-vscode').exports`.
// For the integration tests and for other extensions that want to drive or watch the network.

import type * as vscode from 'vscode';
import type { NodeManager } from './nodes/nodeManager';
import type { MetaserverTopology } from './nodes/metaserverTopology';
import type { SearchResults } from './search/searchResults';
import type { FilesTreeProvider } from './views/filesTreeProvider';
import type { NetworkTreeProvider } from './views/networkTreeProvider';

export interface P2PExtensionApi {
  /** Every node process of this window: `nodes`, `peers`, `metaserver`, `pids`, and their events. */
  readonly nodes: NodeManager;
  /** The `p2p.network` view's data: metaserver, peers, and under each peer neighbours, files, downloads. */
  readonly networkTree: NetworkTreeProvider;
  /** The `p2p.files` view's data: the last search's results. */
  readonly filesTree: FilesTreeProvider;
  readonly searchResults: SearchResults;
  /** The metadata server's own view of the network (via its bridge), when this window runs it. */
  readonly metaserverTopology: MetaserverTopology;
  /** Opens share links (`vscode://p2p-network.p2p-network-vscode/download?...`): asks, then downloads. */
  readonly uriHandler: vscode.UriHandler;
  /** The status bar text, e.g. "$(radio-tower) 3 peers · 4 neighbours" (empty while hidden). */
  statusBarText(): string;
  /** Milliseconds activate() itself took (the bundle's load time is measured by the tests). */
  readonly activationMs: number;
}

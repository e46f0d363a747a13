// What activate() returns: `vscode.extensions.getExtension('p2p-network.p2p-network-vscode').exports`.
// For the integration tests and for other extensions that want to drive or watch the network.

import type * as vscode from 'vscode';
import type { NodeManager } from './nodes/nodeManager';
import type { MetaserverTopology } from './nodes/metaserverTopology';
import type { SearchResults } from './search/searchResults';
import type { FilesTreeProvider } from './views/filesTreeProvider';
import type { NetworkTreeProvider } from './views/networkTreeProvider';
import type { TransferList } from './transfers/transferList';
import type { NodeRestore } from './restore/nodeRestore';
import type { TransfersTreeProvider } from './views/transfersTreeProvider';

export interface P2PExtensionApi {
  /** Every node process of this window: `nodes`, `peers`, `metaserver`, `pids`, and their events. */
  readonly nodes: NodeManager;
  /** The `p2p.network` view's data: metaserver, peers, and under each peer neighbours, files, downloads. */
  readonly networkTree: NetworkTreeProvider;
  /** The `p2p.files` view's data: what the searches found, the latest first. */
  readonly filesTree: FilesTreeProvider;
  readonly searchResults: SearchResults;
  /** The metadata server's own view of the network (via its bridge), when this window runs it. */
  readonly metaserverTopology: MetaserverTopology;
  /** Opens share links (`vscode://p2p-network.p2p-network-vscode/download?...`): asks, then downloads. */
  readonly uriHandler: vscode.UriHandler;
  /** The status bar text, e.g. "$(radio-tower) 3 peers · 4 neighbours" (empty while hidden). */
  statusBarText(): string;
  /** Every download of this window (active, paused, and the history), with speeds. */
  readonly transfers: TransferList;
  /** The `p2p.transfers` view's data. */
  readonly transfersTree: TransfersTreeProvider;
  /** The total-speed status bar text, e.g. "$(cloud-download) 3.2 MiB/s" (empty while nothing moves). */
  transferStatusBarText(): string;
  /** The workspace state this extension keeps (saved nodes, transfers): a file of its own when a folder is open. */
  readonly workspaceState: vscode.Memento;
  /** The nodes saved for the next start (`saved`), and `restore()`, which activation runs. */
  readonly nodeRestore: NodeRestore;
  /** Milliseconds activate() itself took (the bundle's load time is measured by the tests). */
  readonly activationMs: number;
}

// The `p2p.network` view: the metadata server (address, peer count) and each managed peer;
// under a peer its neighbours (live), its shared files and its downloads in progress.
// Everything is read from the NodeManager's live state; node events trigger a refresh.

import * as vscode from 'vscode';
import type { PeerRef, SharedFileInfo } from '@node-core/events';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeManager } from '../nodes/nodeManager';
import type { DownloadInProgress } from '../nodes/peerState';
import { formatBytes, percentOf, plural } from '../util/format';

export type PeerGroup = 'neighbors' | 'files' | 'downloads';

export type NetworkElement =
  | { kind: 'metaserver'; node: ManagedNode }
  | { kind: 'peer'; node: ManagedNode }
  | { kind: 'group'; node: ManagedNode; group: PeerGroup }
  | { kind: 'neighbor'; node: ManagedNode; neighbor: PeerRef }
  | { kind: 'sharedFile'; node: ManagedNode; file: SharedFileInfo }
  | { kind: 'download'; node: ManagedNode; download: DownloadInProgress };

/** Where the peer count of the metaserver comes from (the bridge's topology, when known). */
export type PeerCountSource = () => number | undefined;

/** Coalesces bursts (download progress) into one repaint; the data read is always live. */
const REFRESH_DELAY_MS = 50;

export class NetworkTreeProvider implements vscode.TreeDataProvider<NetworkElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<NetworkElement | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly manager: NodeManager,
    private readonly metaserverPeerCount: PeerCountSource = () => undefined,
  ) {
    this.subscriptions.push(
      manager.onDidChangeNodes(() => this.refresh()),
      manager.onNodeEvent(() => this.refresh()),
    );
  }

  refresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.changeEmitter.fire();
    }, REFRESH_DELAY_MS);
  }

  getChildren(element?: NetworkElement): NetworkElement[] {
    if (!element) {
      const roots: NetworkElement[] = [];
      if (this.manager.metaserver) roots.push({ kind: 'metaserver', node: this.manager.metaserver });
      for (const node of this.manager.peers) roots.push({ kind: 'peer', node });
      return roots;
    }
    const state = element.node.peerState;
    if (element.kind === 'peer') {
      return state
        ? (['neighbors', 'files', 'downloads'] as const).map((group) => ({ kind: 'group', node: element.node, group }))
        : [];
    }
    if (element.kind === 'group' && state) {
      switch (element.group) {
        case 'neighbors':
          return state.neighbors.map((neighbor) => ({ kind: 'neighbor', node: element.node, neighbor }));
        case 'files':
          return state.sharedFiles.map((file) => ({ kind: 'sharedFile', node: element.node, file }));
        case 'downloads':
          return state.downloads.map((download) => ({ kind: 'download', node: element.node, download }));
      }
    }
    return [];
  }

  getTreeItem(element: NetworkElement): vscode.TreeItem {
    switch (element.kind) {
      case 'metaserver':
        return this.metaserverItem(element.node);
      case 'peer':
        return peerItem(element.node);
      case 'group':
        return groupItem(element.node, element.group);
      case 'neighbor': {
        const item = new vscode.TreeItem(element.neighbor.id, vscode.TreeItemCollapsibleState.None);
        item.id = `${element.node.key}/neighbor/${element.neighbor.id}`;
        item.description = `${element.neighbor.host}:${element.neighbor.port}`;
        item.iconPath = new vscode.ThemeIcon('vm-connect');
        item.contextValue = 'p2p.neighbor';
        return item;
      }
      case 'sharedFile': {
        const item = new vscode.TreeItem(element.file.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${element.node.key}/file/${element.file.name}`;
        item.description = formatBytes(element.file.size);
        item.tooltip = `${element.file.name}\n${formatBytes(element.file.size)}\nRoot ${element.file.root}`;
        item.iconPath = vscode.ThemeIcon.File;
        item.resourceUri = vscode.Uri.file(`/${element.file.name}`); // for the file-type icon only
        item.contextValue = 'p2p.sharedFile';
        return item;
      }
      case 'download': {
        const { name, bytes, total } = element.download;
        const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
        item.id = `${element.node.key}/download/${name}`;
        item.description =
          total > 0 ? `${percentOf(bytes, total)} % · ${formatBytes(bytes)} of ${formatBytes(total)}` : 'starting…';
        item.iconPath = new vscode.ThemeIcon('sync~spin');
        item.contextValue = 'p2p.download';
        return item;
      }
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changeEmitter.dispose();
  }

  private metaserverItem(node: ManagedNode): vscode.TreeItem {
    const item = new vscode.TreeItem('Metadata server', vscode.TreeItemCollapsibleState.None);
    item.id = node.key;
    const address = node.info ? `${node.info.host}:${node.info.port}` : '';
    const count = this.metaserverPeerCount() ?? this.manager.runningPeers.length;
    item.description = node.status === 'running' ? `${address} · ${plural(count, 'peer')}` : statusText(node);
    item.tooltip = [
      `Metadata server ${address}`,
      node.info?.url ? `Topology page: ${node.info.url.replace(/token=[^&]+/, 'token=…')}` : '',
      node.info?.fingerprint ? `fingerprint ${node.info.fingerprint}` : '',
      `pid ${node.pid ?? '-'}`,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(node.status === 'crashed' ? 'error' : 'server');
    item.contextValue = 'p2p.metaserver';
    return item;
  }
}

function peerItem(node: ManagedNode): vscode.TreeItem {
  const id = node.info?.id ?? node.launch.label.replace(/^peer /, '');
  const item = new vscode.TreeItem(id, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.key;
  const neighbors = node.peerState?.neighbors.length ?? 0;
  item.description =
    node.status === 'running' && node.info
      ? `${node.info.host}:${node.info.port} · ${node.info.mode ?? ''} · ${plural(neighbors, 'neighbour')}` +
        reachabilityText(node.info)
      : statusText(node);
  item.tooltip = [
    `Peer ${id}`,
    node.info ? `${node.info.host}:${node.info.port} (${node.info.mode})` : '',
    node.info?.nodeId ? `node id ${node.info.nodeId}` : '',
    node.info?.relayed ? "behind NAT: other peers reach it through the metaserver's relay" : '',
    node.info?.reachable ? 'reachable: the metaserver dialed it back' : '',
    node.info?.fingerprint ? `fingerprint ${node.info.fingerprint}` : '',
    node.launch.dir ? `folder ${node.launch.dir}` : '',
    `pid ${node.pid ?? '-'}`,
  ]
    .filter(Boolean)
    .join('\n');
  item.iconPath = new vscode.ThemeIcon(
    node.status === 'crashed' ? 'error' : node.status === 'running' ? 'vm-running' : 'vm-outline',
  );
  item.contextValue = 'p2p.peer';
  return item;
}

function groupItem(node: ManagedNode, group: PeerGroup): vscode.TreeItem {
  const state = node.peerState;
  const count =
    group === 'neighbors'
      ? state?.neighbors.length
      : group === 'files'
        ? state?.sharedFiles.length
        : state?.downloads.length;
  const label = group === 'neighbors' ? 'Neighbours' : group === 'files' ? 'Shared files' : 'Downloads';
  const item = new vscode.TreeItem(
    label,
    count ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
  );
  item.id = `${node.key}/${group}`;
  // Downloads lists those in progress; the finished ones are counted too, so the group never reads 0 after one
  item.description =
    group === 'downloads'
      ? `${count ?? 0} in progress · ${state?.finishedDownloads ?? 0} finished`
      : String(count ?? 0);
  item.iconPath = new vscode.ThemeIcon(
    group === 'neighbors' ? 'type-hierarchy-sub' : group === 'files' ? 'files' : 'cloud-download',
  );
  item.contextValue = `p2p.group.${group}`;
  return item;
}

function statusText(node: ManagedNode): string {
  switch (node.status) {
    case 'starting':
      return 'starting…';
    case 'stopping':
      return 'stopping…';
    case 'crashed':
      return 'crashed: see its log';
    default:
      return node.status;
  }
}

/** " · reachable" or " · behind NAT, relayed"; nothing for a peer without a metaserver. */
function reachabilityText(info: { reachable?: boolean; relayed?: boolean }): string {
  if (info.relayed) return ' · behind NAT, relayed';
  return info.reachable ? ' · reachable' : '';
}

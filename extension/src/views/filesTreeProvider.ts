// The `p2p.files` view: files the searches found (name, size, holders), each with an inline
// Download action (contextValue `p2p.networkFile`, see package.json menus).

import * as vscode from 'vscode';
import type { PeerRef } from '@node-core/events';
import type { NetworkFile, SearchResults } from '../search/searchResults';
import { formatBytes, plural } from '../util/format';

export type FilesElement =
  { kind: 'networkFile'; file: NetworkFile } | { kind: 'holder'; file: NetworkFile; holder: PeerRef };

export class FilesTreeProvider implements vscode.TreeDataProvider<FilesElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<FilesElement | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly results: SearchResults) {
    this.subscription = results.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  getChildren(element?: FilesElement): FilesElement[] {
    if (!element) return this.results.files.map((file) => ({ kind: 'networkFile', file }));
    if (element.kind === 'networkFile')
      return element.file.holders.map((holder) => ({ kind: 'holder', file: element.file, holder }));
    return [];
  }

  getTreeItem(element: FilesElement): vscode.TreeItem {
    if (element.kind === 'holder') {
      const item = new vscode.TreeItem(element.holder.id, vscode.TreeItemCollapsibleState.None);
      item.id = `${fileId(element.file)}/holder/${element.holder.id}`;
      item.description = `${element.holder.host}:${element.holder.port}`;
      item.iconPath = new vscode.ThemeIcon('vm');
      item.contextValue = 'p2p.holder';
      return item;
    }
    const { file } = element;
    const item = new vscode.TreeItem(file.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = fileId(file);
    const holders = plural(file.holders.length, 'holder');
    item.description = `${formatBytes(file.size)} · ${holders} · root ${file.root.slice(0, 8)}`;
    item.tooltip = [
      file.name,
      `${formatBytes(file.size)} (${file.size} bytes)`,
      `Root ${file.root}`,
      `Held by ${file.holders.map((h) => h.id).join(', ') || 'nobody'}`,
      `Found by peer ${file.foundBy}`,
    ].join('\n');
    item.iconPath = vscode.ThemeIcon.File;
    item.resourceUri = vscode.Uri.file(`/${file.name}`); // picks the file-type icon
    item.contextValue = 'p2p.networkFile';
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

function fileId(file: NetworkFile): string {
  return `${file.foundBy}/${file.name}/${file.root}`;
}

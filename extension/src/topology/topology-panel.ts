// P2P: Show Topology. One webview panel per window showing the metaserver's topology page
// (dist/webview.js) connected to its bridge. The panel is the only owner of its resources and
// has one way out: dispose(), reached both when the user closes it and when the extension does.
import * as vscode from 'vscode';
import { bridgeEndpoint } from './bridge-endpoint';
import { renderPanelHtml } from './panel-html';

export class TopologyPanel implements vscode.Disposable {
  static readonly viewType = 'p2p.topology';
  private static current: TopologyPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private bridgeUrl = '';

  /** Opens the panel, or reveals the open one and points it at `bridgeUrl` (the ready event's `url`). */
  static async show(extensionUri: vscode.Uri, bridgeUrl: string): Promise<TopologyPanel> {
    const panel = TopologyPanel.current ?? new TopologyPanel(extensionUri);
    TopologyPanel.current = panel;
    panel.panel.reveal(undefined);
    await panel.connect(bridgeUrl);
    return panel;
  }

  /** The open panel, if any (tests, and the command deciding whether to reveal). */
  static get active(): TopologyPanel | undefined {
    return TopologyPanel.current;
  }

  readonly panel: vscode.WebviewPanel;
  private readonly distUri: vscode.Uri;

  private constructor(extensionUri: vscode.Uri) {
    this.distUri = vscode.Uri.joinPath(extensionUri, 'dist');
    this.panel = vscode.window.createWebviewPanel(TopologyPanel.viewType, 'P2P Topology', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [this.distUri],
      // The page redraws from the bridge's snapshot when shown again; keeping it alive buys nothing.
      retainContextWhenHidden: false,
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'p2p.svg');
    this.disposables.push(this.panel.onDidDispose(() => this.dispose()));
  }

  /** Rebuilds the HTML for a (possibly new) bridge address; a no-op when it is unchanged. */
  private async connect(bridgeUrl: string): Promise<void> {
    if (bridgeUrl === this.bridgeUrl) return;
    this.bridgeUrl = bridgeUrl;
    // asExternalUri makes a local port reachable from where the webview runs (remote, code-server).
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(bridgeUrl));
    if (this.disposed) return;
    const webview = this.panel.webview;
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.distUri, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.distUri, 'webview.css')).toString(),
      endpoint: bridgeEndpoint(bridgeUrl, external.toString(true)),
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TopologyPanel.current === this) TopologyPanel.current = undefined;
    this.panel.dispose(); // fires onDidDispose once more: the guard above makes it a no-op
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

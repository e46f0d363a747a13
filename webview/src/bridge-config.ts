// Where the page's WebSocket is. Standalone, the page was served by the bridge, so the address
// is `location` and the token is `?token=`. In the VS Code panel the extension writes the bridge
// address (already through asExternalUri) into <meta name="p2p-bridge-ws">, because the
// webview's own location is a vscode-webview:// URL.

export type PageHost = 'standalone' | 'vscode';

export interface BridgeConfig {
  host: PageHost;
  webSocketUrl: string;
}

export function readBridgeConfig(doc: Document, location: Location): BridgeConfig {
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="p2p-bridge-ws"]');
  if (meta?.content) return { host: 'vscode', webSocketUrl: meta.content };
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { host: 'standalone', webSocketUrl: `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}` };
}

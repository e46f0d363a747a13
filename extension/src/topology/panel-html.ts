// The topology panel's HTML: the same page bundle as the standalone page, under a strict CSP
// (nothing but our nonce'd script from dist/, our stylesheet, and the bridge's WebSocket).
import { randomBytes } from 'node:crypto';
import type { BridgeEndpoint } from './bridge-endpoint';

export interface PanelHtmlInput {
  /** webview.cspSource */
  cspSource: string;
  /** asWebviewUri(dist/webview.js / .css) as strings */
  scriptUri: string;
  styleUri: string;
  endpoint: BridgeEndpoint;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPanelHtml(input: PanelHtmlInput, nonce = createNonce()): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${input.cspSource}`,
    `img-src ${input.cspSource} data:`,
    `font-src ${input.cspSource}`,
    `connect-src ${input.endpoint.connectSources.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="p2p-bridge-ws" content="${escapeAttribute(input.endpoint.webSocketUrl)}">
<link rel="stylesheet" href="${escapeAttribute(input.styleUri)}">
<title>P2P Topology</title>
</head>
<body data-host="vscode">
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>
`;
}

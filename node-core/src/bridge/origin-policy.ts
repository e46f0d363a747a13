// Who may open the WebSocket. The token is the real lock; this stops cross-site WebSocket
// hijacking (a page on another site driving the user's browser) as a second line, since
// browsers do not apply CORS to WebSocket upgrades.
import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname.toLowerCase());
}

/**
 * Allowed: no Origin (non-browser clients such as the CLI or tests); the VS Code webview
 * (`vscode-webview://`); the bridge's own origin (same host as the request's Host header, which
 * also covers reverse proxies such as code-server's port forwarding); and, when the bridge
 * listens on loopback, other loopback origins (VS Code for the web hosts webviews on its own
 * local origin; a remote site cannot present a loopback Origin, DNS rebinding included,
 * because the browser sends the attacker's host name).
 */
export function isOriginAllowed(request: IncomingMessage, bridgeHost: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origin.startsWith('vscode-webview://')) return true;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  if (originUrl.protocol !== 'http:' && originUrl.protocol !== 'https:') return false;
  const host = request.headers.host;
  if (host !== undefined && originUrl.host.toLowerCase() === host.toLowerCase()) return true;
  return isLoopback(bridgeHost) && isLoopback(originUrl.hostname);
}

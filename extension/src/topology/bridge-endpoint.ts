// Turns the metaserver's page URL (`http://HOST:PORT/?token=...`, from its ready event) into
// what the panel needs: the WebSocket URL the page connects to and the origins the CSP allows.
// Pure string work, so it is unit-testable outside VS Code.

export interface BridgeEndpoint {
  /** `ws://HOST:PORT/ws?token=...` (wss: behind https). */
  webSocketUrl: string;
  /** CSP `connect-src` sources: the WebSocket origin and its http(s) twin. */
  connectSources: string[];
}

/**
 * @param pageUrl the URL from the ready event (holds the token)
 * @param externalUrl the same URL after vscode.env.asExternalUri: in remote setups (code-server)
 *   it may be another host, scheme or a path prefix such as `/proxy/PORT/`.
 */
export function bridgeEndpoint(pageUrl: string, externalUrl: string): BridgeEndpoint {
  const token = new URL(pageUrl).searchParams.get('token') ?? '';
  const external = new URL(externalUrl);
  const secure = external.protocol === 'https:' || external.protocol === 'wss:';
  // Resolve relative to the external page path, so a proxy prefix is kept.
  const ws = new URL('ws', new URL('./', external));
  ws.protocol = secure ? 'wss:' : 'ws:';
  ws.search = `?token=${encodeURIComponent(token)}`;
  ws.hash = '';
  const httpOrigin = `${secure ? 'https:' : 'http:'}//${ws.host}`;
  return { webSocketUrl: ws.toString(), connectSources: [`${ws.protocol}//${ws.host}`, httpOrigin] };
}

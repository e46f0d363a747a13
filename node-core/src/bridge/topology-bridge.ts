// The metaserver's HTTP + WebSocket face (`--http-port`): the topology page at `/`, the snapshot
// at `/api/topology`, the change stream at `/ws`. Depends only on TopologySource, so it can serve
// any picture of the network. One owner: whoever constructs it calls close().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TopologySource } from '../topology';
import { checkAccess, createAccessToken } from './access-token';
import { isOriginAllowed } from './origin-policy';
import { PAGE_ASSETS, defaultPageDir, readPageAsset } from './page-assets';
import { renderPageHtml } from './page-html';
import { setCommonSecurityHeaders, setPageSecurityHeaders } from './security-headers';
import { WebSocketHub } from './websocket-hub';

export interface TopologyBridgeOptions {
  host: string;
  /** 0: the OS picks; listen() says which. */
  port: number;
  /** Defaults to a fresh random token. */
  token?: string;
  /** Folder holding webview.js and webview.css; defaults to the folder of the running bundle. */
  pageDir?: string;
  /** Interval of WebSocket pings; clients that miss one are dropped. */
  keepaliveMs?: number;
}

export interface BridgeAddress {
  port: number;
  /** The page with its token: `http://HOST:PORT/?token=...`. */
  url: string;
}

export class TopologyBridge {
  readonly token: string;
  private readonly pageDir: string;
  private readonly server: Server;
  private readonly hub: WebSocketHub;
  private closed = false;

  constructor(
    private readonly source: TopologySource,
    private readonly options: TopologyBridgeOptions,
  ) {
    this.token = options.token ?? createAccessToken();
    this.pageDir = options.pageDir ?? defaultPageDir();
    this.hub = new WebSocketHub(source, options.keepaliveMs);
    this.server = createServer((request, response) => {
      this.handleRequest(request, response).catch(() => {
        if (!response.headersSent) respond(response, 500, 'internal error');
        else response.destroy();
      });
    });
    this.server.on('upgrade', (request, socket, head) => this.handleUpgrade(request, socket, head));
  }

  listen(): Promise<BridgeAddress> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const { port } = this.server.address() as AddressInfo;
        const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
        resolve({ port, url: `http://${host}:${port}/?token=${encodeURIComponent(this.token)}` });
      });
    });
  }

  /** Stops listening and drops every client; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setCommonSecurityHeaders(response);
    const url = new URL(request.url ?? '/', 'http://bridge.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return respond(response, 405, 'method not allowed');
    }
    const known = url.pathname === '/' || url.pathname === '/api/topology' || url.pathname in PAGE_ASSETS;
    if (!known) return respond(response, 404, 'not found');
    const access = checkAccess(this.token, request, url);
    if (!access.allowed) return respond(response, access.status, access.reason);

    if (url.pathname === '/') {
      setPageSecurityHeaders(response);
      return respond(response, 200, renderPageHtml(this.token), 'text/html; charset=utf-8');
    }
    if (url.pathname === '/api/topology') {
      return respond(response, 200, JSON.stringify(this.source.snapshot()), 'application/json');
    }
    const asset = await readPageAsset(this.pageDir, url.pathname);
    if (!asset) return respond(response, 404, 'page not built (run npm run build)');
    respond(response, 200, asset, PAGE_ASSETS[url.pathname]);
  }

  private handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy()); // a client resetting mid-handshake harms nothing else
    const url = new URL(request.url ?? '/', 'http://bridge.invalid');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    const access = checkAccess(this.token, request, url);
    if (!access.allowed)
      return refuseUpgrade(socket, access.status, access.status === 401 ? 'Unauthorized' : 'Forbidden');
    if (!isOriginAllowed(request, this.options.host)) return refuseUpgrade(socket, 403, 'Forbidden');
    this.hub.accept(request, socket, head);
  }
}

function respond(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType = 'text/plain; charset=utf-8',
): void {
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

// The `/ws` clients: each gets the snapshot, then every change. Owns the WebSocketServer, the
// keepalive timer and the subscription to the source; close() releases all three.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BridgeMessage, TopologySource } from '../topology';

const KEEPALIVE_MS = 15_000;
/** A client that cannot keep up (e.g. a stalled tab) is dropped instead of buffering forever. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class WebSocketHub {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly keepalive: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: TopologySource,
    keepaliveMs = KEEPALIVE_MS,
  ) {
    this.unsubscribe = source.onChange((message) => this.broadcast(message));
    this.keepalive = setInterval(() => this.pingAll(), keepaliveMs);
    this.keepalive.unref();
  }

  get clientCount(): number {
    return this.server.clients.size;
  }

  /** Takes over an upgrade the caller has already authorised. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(request, socket, head, (client) => this.welcome(client));
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.keepalive);
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private welcome(client: WebSocket): void {
    this.alive.set(client, true);
    client.on('pong', () => this.alive.set(client, true));
    // The page only listens; anything it sends is ignored rather than trusted.
    client.on('message', () => undefined);
    client.on('error', () => client.terminate());
    this.send(client, { type: 'snapshot', topology: this.source.snapshot() });
  }

  private broadcast(message: BridgeMessage): void {
    const data = JSON.stringify(message);
    for (const client of this.server.clients) this.sendRaw(client, data);
  }

  private send(client: WebSocket, message: BridgeMessage): void {
    this.sendRaw(client, JSON.stringify(message));
  }

  private sendRaw(client: WebSocket, data: string): void {
    if (client.readyState !== client.OPEN) return;
    if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
      client.terminate();
      return;
    }
    client.send(data);
  }

  private pingAll(): void {
    for (const client of this.server.clients) {
      if (this.alive.get(client) === false) {
        client.terminate();
        continue;
      }
      this.alive.set(client, false);
      client.ping();
    }
  }
}

// The page's WebSocket to the bridge: parses messages, reports its status, and reconnects with
// exponential backoff (the metaserver may restart; the panel may outlive it).
import type { BridgeMessage } from '@node-core/topology';

export type ConnectionStatus =
  { state: 'connecting' } | { state: 'open' } | { state: 'waiting'; retryInMs: number; reason: string };

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

const MESSAGE_TYPES = new Set<BridgeMessage['type']>([
  'snapshot',
  'peer-joined',
  'peer-updated',
  'peer-left',
  'link-up',
  'link-down',
  'file-shared',
  'search',
  'transfer',
  'traffic',
]);

/** The bridge is trusted but the wire is not typed: check the discriminant before use. */
export function parseBridgeMessage(data: unknown): BridgeMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null) return undefined;
    const type = (value as { type?: unknown }).type;
    return typeof type === 'string' && MESSAGE_TYPES.has(type as BridgeMessage['type'])
      ? (value as BridgeMessage)
      : undefined;
  } catch {
    return undefined;
  }
}

export class BridgeConnection {
  private socket: WebSocket | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = FIRST_RETRY_MS;
  private disposed = false;

  constructor(
    private readonly url: string,
    private readonly onMessage: (message: BridgeMessage) => void,
    private readonly onStatus: (status: ConnectionStatus) => void,
  ) {}

  start(): void {
    if (this.disposed) return;
    this.onStatus({ state: 'connecting' });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = FIRST_RETRY_MS;
      this.onStatus({ state: 'open' });
    });
    socket.addEventListener('message', (event) => {
      const message = parseBridgeMessage(event.data);
      if (message) this.onMessage(message);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.scheduleRetry(event.reason || `closed (${event.code})`);
    });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
    this.socket = undefined;
  }

  private scheduleRetry(reason: string): void {
    if (this.disposed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.onStatus({ state: 'waiting', retryInMs: delay, reason });
    this.retryTimer = setTimeout(() => this.start(), delay);
  }
}

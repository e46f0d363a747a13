// The network as the metadata server sees it (peers not managed by this window included), read
// from its bridge: GET /api/topology?token=... (the token is in the ready event's url). Polled
// only while a metaserver with a bridge runs in this window. No `vscode` import.

import type { TopologySnapshot } from '@node-core/topology';
import { Emitter, type Disposable, type Event } from '../util/emitter';
import type { NodeManager } from './nodeManager';

const POLL_MS = 3000;

/** `http://h:p/?token=t` → `http://h:p/api/topology?token=t`. */
export function topologyApiUrl(pageUrl: string): string {
  const url = new URL(pageUrl);
  url.pathname = '/api/topology';
  return url.toString();
}

export class MetaserverTopology implements Disposable {
  private latest: TopologySnapshot | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private readonly changeEmitter = new Emitter<void>();
  private readonly subscription: Disposable;
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  constructor(private readonly manager: NodeManager) {
    this.subscription = manager.onDidChangeNodes(() => this.update());
  }

  get snapshot(): TopologySnapshot | undefined {
    return this.latest;
  }

  get peerCount(): number | undefined {
    return this.latest?.peers.length;
  }

  dispose(): void {
    this.stopPolling();
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }

  private update(): void {
    const metaserver = this.manager.metaserver;
    const url = metaserver?.status === 'running' ? metaserver.info?.url : undefined;
    if (!url) {
      this.stopPolling();
      if (this.latest) {
        this.latest = undefined;
        this.changeEmitter.fire();
      }
      return;
    }
    const api = topologyApiUrl(url);
    if (!this.timer) this.timer = setInterval(() => void this.poll(api), POLL_MS);
    // A managed node came or went: the count changed now, not at the next tick.
    void this.poll(api);
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(api: string): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const response = await fetch(api, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return;
      const body = (await response.json()) as Partial<TopologySnapshot>;
      if (!Array.isArray(body.peers)) return;
      const changed = JSON.stringify(body.peers) !== JSON.stringify(this.latest?.peers);
      this.latest = { peers: body.peers };
      if (changed) this.changeEmitter.fire();
    } catch {
      // The bridge is optional and may be restarting: the view falls back to the managed peers.
    } finally {
      this.polling = false;
    }
  }
}

// What a chord peer tells others of its ring: neighbor-up/down events as its ring links come and
// go, and the link and file reports to the metaserver (its topology page). It owns the one timer
// that lets a burst of link changes settle into one report; close() clears it.
import type { NeighborDownEvent, NeighborUpEvent, PeerRef } from '../events';
import type { FileStore } from '../files/file-store';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import type { ChannelSecurity } from '../wire';
import type { ChordRing } from './chord-ring';

/** How long link changes settle before one report goes out. */
const SETTLE_MS = 100;

export class RingReports {
  private links = new Map<string, PeerRef>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ring: ChordRing,
    private readonly store: FileStore,
    private readonly security: ChannelSecurity,
    /** Known once the peer has registered (none without --metaserver). */
    private readonly metaserver: () => MetaserverClient | undefined,
    private readonly emit: (event: NeighborUpEvent | NeighborDownEvent) => void,
  ) {}

  /** The ring changed: an event per link that came or went, then a link report. */
  ringChanged(): void {
    if (this.closed) return;
    const now = new Map(this.ring.topologyEvent().neighbors.map((p) => [p.id, p]));
    for (const [id, p] of this.links) if (!now.has(id)) this.emit({ event: 'neighbor-down', ...p });
    for (const [id, p] of now) if (!this.links.has(id)) this.emit({ event: 'neighbor-up', ...p });
    this.links = now;
    this.linksSoon();
  }

  /** Ring changes and path changes come in bursts (stabilize, then notify): report once they settle. */
  linksSoon(): void {
    if (this.closed || !this.metaserver() || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      const { neighbors, relayed, chord } = this.ring.topologyView();
      // Every ring link is TLS with a pinned key (a link presenting another key is refused),
      // so the pin is the key the link presented; a plaintext bench link has none.
      const keys = neighbors.map((id) => this.security.trust.pinned(id) ?? '');
      this.metaserver()?.reportLinks({ neighbors, chord, keys: keys.every(Boolean) ? keys : undefined, relayed });
    }, SETTLE_MS);
  }

  files(): void {
    this.metaserver()?.reportFiles(this.store.names());
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

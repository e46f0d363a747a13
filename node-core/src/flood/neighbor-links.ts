// The flood overlay's links: one connection per neighbour, the rule that keeps one of two twin
// connections, and the one place a link is dropped. Apart from the overlay's joining and healing,
// which change links only through this table and hear of changes through its events.
import { EventEmitter } from 'node:events';
import type { Address, PeerRef } from '../events';
import type { LinksReport } from '../metaserver/peer-registry';
import type { Connection } from '../wire';

export interface Neighbor {
  ref: PeerRef;
  conn: Connection;
  /** Its own neighbours, as last asked (every other heartbeat): who to bridge to if it dies. */
  theirs: PeerRef[];
}

export interface NeighborLinksEvents {
  up: [Neighbor];
  /** `heal`: the link was lost (not given away), so the overlay repairs around it. */
  down: [Neighbor, reason: string, heal: boolean];
  /** The same neighbour on a new connection (see replace). */
  reconnected: [Neighbor];
  /** A link's path changed: it moved off its relay, or its new connection runs another way. */
  'link-path': [PeerRef];
}

export class NeighborLinks extends EventEmitter<NeighborLinksEvents> {
  private readonly links = new Map<string, Neighbor>();
  /** Joins under way, by the address dialed: a link whose twin is being dialed waits for it (see watch). */
  private readonly dialing = new Map<string, Promise<unknown>>();
  private isClosed = false;

  constructor(private readonly selfId: string) {
    super();
  }

  /** Set by close(): no link is added, healed or dialed after it. */
  get closed(): boolean {
    return this.isClosed;
  }

  get size(): number {
    return this.links.size;
  }

  has(id: string): boolean {
    return this.links.has(id);
  }

  get(id: string): Neighbor | undefined {
    return this.links.get(id);
  }

  ids(): string[] {
    return [...this.links.keys()];
  }

  values(): IterableIterator<Neighbor> {
    return this.links.values();
  }

  refs(): PeerRef[] {
    return [...this.links.values()].map((n) => ({ ...n.ref }));
  }

  /** The neighbour whose link is `conn`, if any: only neighbours' queries, hits and hand-overs count. */
  onConnection(conn: Connection): Neighbor | undefined {
    return [...this.links.values()].find((n) => n.conn === conn);
  }

  /**
   * What the metaserver hears of our links: the neighbours, each one's key as its TLS link
   * presented it, and which go through a relay now.
   */
  report(): LinksReport {
    const links = [...this.links.values()];
    const keys = links.map((n) => n.conn.remoteFingerprint ?? '');
    // a plaintext (bench-only) link has no key: then no keys at all rather than a malformed report
    const relayed = links.filter((n) => n.conn.relayed).map((n) => n.ref.id);
    return { neighbors: links.map((n) => n.ref.id), keys: keys.every(Boolean) ? keys : undefined, relayed };
  }

  /** Already linked with this candidate, by id or by address. */
  linkedTo(candidate: PeerRef | Address): boolean {
    return (
      ('id' in candidate && this.links.has(candidate.id)) ||
      [...this.links.values()].some((n) => n.ref.host === candidate.host && n.ref.port === candidate.port)
    );
  }

  add(ref: PeerRef, conn: Connection): void {
    const neighbor: Neighbor = { ref, conn, theirs: [] };
    this.links.set(ref.id, neighbor);
    this.watch(neighbor, conn);
    this.emit('up', neighbor);
  }

  /**
   * The same neighbour on a new connection (its twin won, see prefersNew, or it reconnected):
   * the link stays, only its connection changes, so nobody sees it go down and up again.
   */
  replace(neighbor: Neighbor, conn: Connection): void {
    const old = neighbor.conn;
    neighbor.conn = conn;
    this.watch(neighbor, conn);
    old.close();
    this.emit('reconnected', neighbor);
    if (old.relayed !== conn.relayed) this.emit('link-path', { ...neighbor.ref });
  }

  drop(neighbor: Neighbor, reason: string, heal = true): void {
    if (this.links.get(neighbor.ref.id) !== neighbor) return;
    this.links.delete(neighbor.ref.id);
    neighbor.conn.close();
    this.emit('down', neighbor, reason, heal && !this.isClosed);
  }

  /**
   * Two peers that dial each other at once end up with two links. Both sides keep the same
   * one, the link dialed by the smaller id, so neither replacement undoes the other's.
   */
  prefersNew(otherId: string, newRole: 'dialer' | 'listener'): boolean {
    const newDialer = newRole === 'dialer' ? this.selfId : otherId;
    const existing = this.links.get(otherId);
    if (!existing?.conn.isOpen) return true;
    const existingDialer = existing.conn.role === 'dialer' ? this.selfId : otherId;
    if (newDialer === existingDialer) return true; // a reconnect from the same side: the new one is fresher
    return newDialer < existingDialer;
  }

  /** A join to `address` is under way until `settled` settles (see watch). */
  trackDial(address: Address, settled: Promise<unknown>): void {
    const key = addressKey(address);
    this.dialing.set(key, settled);
    void settled.finally(() => {
      if (this.dialing.get(key) === settled) this.dialing.delete(key);
    });
  }

  /** Refreshes what a neighbour's own links are (the overlay bridges them when it dies). */
  async refreshTheirs(neighbor: Neighbor, timeoutMs: number): Promise<void> {
    const answer = await neighbor.conn.request({ t: 'neighbors-get' }, { timeoutMs }).catch(() => undefined);
    if (answer?.msg.t === 'neighbors') neighbor.theirs = answer.msg.peers;
  }

  /** Ends every link: a goodbye to each, or (`abrupt`) sockets just close. */
  async close(abrupt: boolean): Promise<void> {
    this.isClosed = true;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((n) => (abrupt ? n.conn.close() : n.conn.goodbye('leaving'))));
  }

  /**
   * The link is lost when its current connection closes (not a connection it replaced). When we
   * are dialing that peer meanwhile, both ends dialed at once and the other end may have closed
   * this twin for ours (see prefersNew): wait for our dial before calling the link lost.
   */
  private watch(neighbor: Neighbor, conn: Connection): void {
    const current = (): boolean => this.links.get(neighbor.ref.id) === neighbor && neighbor.conn === conn;
    conn.once('moved', () => {
      if (current()) this.emit('link-path', { ...neighbor.ref });
    });
    conn.once('close', (err) => {
      if (!current()) return;
      const reason = err?.message ?? 'connection closed';
      const twin = this.dialing.get(addressKey(neighbor.ref));
      if (!twin) return this.drop(neighbor, reason);
      void twin.finally(() => {
        if (current()) this.drop(neighbor, reason);
      });
    });
  }
}

function addressKey(address: Address): string {
  return `${address.host}:${address.port}`;
}

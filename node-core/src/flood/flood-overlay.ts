// The flood overlay's protocol: joining (following redirects, seed 004), accepting joins up to
// maxNeighbors (or splitting or swapping a link, see join-admission.ts), heartbeats, goodbyes,
// mending when the metaserver sees the overlay apart. The links themselves live in
// neighbor-links.ts, healing in overlay-healing.ts; queries flood over the links (query-flood.ts).
import { EventEmitter } from 'node:events';
import type { Address, PeerRef } from '../events';
import type { LinksReport } from '../metaserver/peer-registry';
import { P2PError, type Connection, type Incoming } from '../wire';
import { admitJoin, joinRequest, type JoinAttempt } from './join-admission';
import { NeighborLinks, type Neighbor } from './neighbor-links';
import { OverlayHealing } from './overlay-healing';
import { QueryFlood, type HitMessage, type QueryMessage } from './query-flood';

export interface FloodOverlayOptions {
  self: PeerRef;
  maxNeighbors: number;
  /** Links this peer tries to keep (capped by maxNeighbors); more than one survives a loss. */
  targetLinks: number;
  heartbeatMs: number;
  /** Dials a peer and installs the peer's message handler on the connection. */
  connect: (address: Address) => Promise<Connection>;
  /** Referrals from the metaserver; throws while it is unreachable. */
  referrals: (exclude: string[]) => Promise<PeerRef[]>;
}

export type { HitMessage, QueryMessage } from './query-flood';

export interface FloodOverlayEvents {
  'neighbor-up': [PeerRef];
  'neighbor-down': [PeerRef, string];
  /** A link's path changed: it moved off its relay, or its new connection runs another way. */
  'link-path': [PeerRef];
  /** A neighbour sent queries far beyond QUERY_RATE: its link was cut (query-guard.ts). */
  'query-flood': [PeerRef];
}

export class FloodOverlay extends EventEmitter<FloodOverlayEvents> {
  private readonly links: NeighborLinks;
  private readonly queries: QueryFlood;
  private readonly healing: OverlayHealing;
  private heartbeat: NodeJS.Timeout | undefined;
  private ticks = 0;
  private mending = false;

  constructor(private readonly options: FloodOverlayOptions) {
    super();
    this.links = new NeighborLinks(options.self.id);
    this.queries = new QueryFlood(options.self.id, () => this.links.values());
    const { self, maxNeighbors, targetLinks, referrals } = options;
    const join = (to: Address, attempt: JoinAttempt) => this.joinOne(to, attempt);
    this.healing = new OverlayHealing({ self, maxNeighbors, targetLinks, referrals, links: this.links, join });
    this.links.on('up', (neighbor) => this.onUp(neighbor));
    this.links.on('reconnected', (neighbor) => this.queries.resendOpen(neighbor.conn));
    this.links.on('link-path', (ref) => this.emit('link-path', ref));
    this.links.on('down', (neighbor, reason, heal) => this.onDown(neighbor, reason, heal));
  }

  /** Query messages this peer sent (originated or forwarded): the cost of a flood. */
  get queriesSent(): number {
    return this.queries.sent;
  }

  neighbors(): PeerRef[] {
    return this.links.refs();
  }

  /** What the metaserver hears of our links (see NeighborLinks.report). */
  linkReport(): LinksReport {
    return this.links.report();
  }

  isNeighbor(conn: Connection): boolean {
    return this.links.onConnection(conn) !== undefined;
  }

  /** Starts heartbeats and joins through `seeds` (referrals or a --join address). */
  async start(seeds: Array<PeerRef | Address>): Promise<void> {
    this.healing.seed(seeds);
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeatMs);
    await this.healing.maintain(seeds);
  }

  /** Another peer asks to become our neighbour: welcome it, redirect it, or split or swap a link for it. */
  handleJoin(conn: Connection, incoming: Incoming): void {
    const { msg } = incoming;
    if (msg.t !== 'join') return;
    const { self, maxNeighbors } = this.options;
    const refuse = (reason: string): void =>
      void conn.replyError(incoming, new P2PError('DUPLICATE_ID', reason)).catch(() => undefined);
    if (msg.id === self.id) return refuse(`"${msg.id}" is this peer's own id`);
    const joiner = { id: msg.id, host: msg.host, port: msg.port };
    const existing = this.links.get(msg.id);
    const refusal = this.joinRefusal(msg.id, existing, conn);
    if (refusal) return void conn.replyError(incoming, refusal).catch(() => undefined);
    const admission = admitJoin(
      {
        selfId: self.id,
        maxNeighbors,
        neighbors: this.neighbors(),
        existing: existing && { prefersNew: this.links.prefersNew(msg.id, 'listener') },
      },
      msg,
    );
    switch (admission.kind) {
      case 'duplicate':
        return refuse(`already linked with "${msg.id}"`);
      case 'redirect':
        void conn.reply(incoming, { t: 'redirect', peers: admission.peers }).catch(() => undefined);
        return;
      case 'split':
        return this.split(conn, incoming, joiner, admission.via);
      case 'swap':
        // the link to `give` goes to the joiner's partner, and the joiner takes its place here
        this.giveLink(admission.give, admission.partner);
        void conn.reply(incoming, { t: 'welcome', id: self.id, partner: admission.give }).catch(() => undefined);
        return this.links.add(joiner, conn);
      case 'welcome':
        void conn.reply(incoming, { t: 'welcome', id: self.id }).catch(() => undefined);
        if (existing) this.links.replace(existing, conn);
        else this.links.add(joiner, conn);
    }
  }

  /**
   * A live neighbour's id is taken: a second link under it would be an impostor (or a twin
   * dial, which the other end's own join settles). A neighbour cut for flooding waits.
   */
  private joinRefusal(id: string, existing: Neighbor | undefined, conn: Connection): P2PError | undefined {
    if (this.queries.isBanned(id)) return new P2PError('RATE_LIMITED', `"${id}" was cut for flooding queries`);
    if (existing?.conn.isOpen && existing.conn !== conn)
      return new P2PError('DUPLICATE_ID', `a live neighbour already uses the id "${id}"`);
    return undefined;
  }

  /**
   * Full, and the joiner already has links elsewhere: give it our link to `via` instead of a
   * plain redirect. `via` drops us and expects the joiner; we redirect the joiner to `via` and
   * dial the joiner ourselves. Degrees stay put, and the joiner's links land in random places,
   * which keeps the overlay's diameter near that of a random graph (a newcomer's first link still
   * gets the plain redirect).
   */
  private split(conn: Connection, incoming: Incoming, joiner: PeerRef, via: PeerRef): void {
    if (!this.giveLink(via, joiner)) return;
    void conn.reply(incoming, { t: 'redirect', peers: [via] }).catch(() => undefined);
    this.healing.remember(joiner);
    void this.joinOne(joiner, { offerSplit: false }).catch(() => undefined);
  }

  /** Tells neighbour `via` to drop our link because `to` takes it (`via` then expects `to`). */
  private giveLink(via: PeerRef, to: PeerRef): boolean {
    const link = this.links.get(via.id);
    if (!link) return false;
    link.conn.send({ t: 'split', peer: to }).catch(() => undefined);
    this.links.drop(link, `gave its link to ${to.id}`, false);
    return true;
  }

  /**
   * The metaserver sees `target` in another part of the overlay. Link to it; when we are full,
   * as an edge swap (we give up one link, `target` or a peer it redirects to gives up one, and
   * the two dropped ends link up), so two groups whose peers are all full still merge and no
   * degree grows.
   */
  mend(target: PeerRef): void {
    if (this.links.closed || this.mending || target.id === this.options.self.id || this.links.has(target.id)) return;
    this.mending = true;
    void this.healing.linkFirst([target], true).finally(() => {
      this.mending = false;
    });
  }

  /** A neighbour gives our link to `peer` (the other half of its edge swap): drop it, link to `peer`. */
  handleHandover(conn: Connection, peer: PeerRef): void {
    const neighbor = this.links.onConnection(conn);
    if (!neighbor || this.links.closed) return;
    this.links.drop(neighbor, `handed over to ${peer.id}`, false);
    if (peer.id !== this.options.self.id) void this.healing.linkFirst([peer]);
  }

  /** We were full and `target` welcomed us: give our link to `partner` to the peer `target` freed. */
  private handOver(partner: PeerRef, to: PeerRef): void {
    const link = this.links.get(partner.id);
    if (!link) return;
    link.conn.send({ t: 'handover', peer: to }).catch(() => undefined);
    this.links.drop(link, `handed over to ${to.id}`, false);
  }

  /** A neighbour gives our link to a newcomer (see split): drop it without healing. */
  handleSplit(conn: Connection): void {
    const neighbor = this.links.onConnection(conn);
    if (neighbor) this.links.drop(neighbor, 'gave our link to a newcomer', false);
  }

  /** A neighbour says goodbye: drop it now rather than wait for its socket to close. */
  handleGoodbye(conn: Connection): void {
    const neighbor = this.links.onConnection(conn);
    if (neighbor) this.links.drop(neighbor, 'left the network');
    conn.close();
  }

  /** A query from a neighbour (see QueryFlood.relay); anything else's queries are ignored. */
  handleQuery(conn: Connection, msg: QueryMessage): boolean {
    const neighbor = this.links.onConnection(conn);
    if (!neighbor) return false;
    const verdict = this.queries.relay(neighbor, msg);
    if (verdict === 'cut') this.cutForFlooding(neighbor);
    return verdict === 'answer';
  }

  /** A hit from a neighbour for a query we forwarded: back to the neighbour we got it from. */
  routeHit(conn: Connection, msg: HitMessage): void {
    if (!this.links.onConnection(conn)) return;
    const upstream = this.queries.upstreamOf(msg.qid);
    const link = upstream === undefined ? undefined : this.links.get(upstream);
    const { qid, name, size, root, holder } = msg;
    link?.conn.send({ t: 'hit', qid, name, size, root, holder }).catch(() => undefined);
  }

  private cutForFlooding(neighbor: Neighbor): void {
    neighbor.conn.close(new P2PError('RATE_LIMITED', `more than the query rate allows`), true);
    this.links.drop(neighbor, 'cut for flooding queries');
    this.emit('query-flood', { ...neighbor.ref });
  }

  /** Starts a flood from this peer; it stays open until endQuery() (see QueryFlood.originate). */
  originate(msg: QueryMessage): void {
    this.queries.originate(msg);
  }

  endQuery(qid: string): void {
    this.queries.end(qid);
  }

  /** Answers `neighbors-get` (used by peers healing while the metaserver is down). */
  handleNeighborsGet(conn: Connection, incoming: Incoming): void {
    void conn.reply(incoming, { t: 'neighbors', peers: this.neighbors() }).catch(() => undefined);
  }

  /** Leaves with a goodbye to each neighbour; `abrupt`: as a killed process would, sockets just close. */
  async close(abrupt = false): Promise<void> {
    const links = this.links.close(abrupt);
    clearInterval(this.heartbeat);
    await links;
  }

  private onUp(neighbor: Neighbor): void {
    this.healing.remember(neighbor.ref);
    void this.links.refreshTheirs(neighbor, this.options.heartbeatMs * 2);
    this.emit('neighbor-up', { ...neighbor.ref });
    this.queries.resendOpen(neighbor.conn);
  }

  private onDown(neighbor: Neighbor, reason: string, heal: boolean): void {
    this.queries.forget(neighbor.ref.id);
    this.emit('neighbor-down', { ...neighbor.ref }, reason);
    // a random pause, so both ends of a broken link do not redial each other in lockstep
    if (heal) {
      setTimeout(
        () => {
          void this.healing.bridge(neighbor);
          void this.healing.maintain();
        },
        Math.random() * Math.min(100, this.options.heartbeatMs),
      ).unref();
    }
  }

  private tick(): void {
    const askTheirs = this.ticks++ % 2 === 0;
    for (const neighbor of this.links.values()) {
      if (askTheirs)
        void this.links.refreshTheirs(neighbor, this.options.heartbeatMs * 2); // a request doubles as the ping
      else neighbor.conn.send({ t: 'ping' }).catch(() => undefined);
    }
    void this.healing.maintain();
  }

  /** One join attempt; returns the redirect list when the candidate is full. */
  private joinOne(address: Address, attempt: JoinAttempt = {}): Promise<PeerRef[] | undefined> {
    const joining = this.requestJoin(address, attempt);
    this.links.trackDial(
      address,
      joining.catch(() => undefined),
    );
    return joining;
  }

  private async requestJoin(address: Address, attempt: JoinAttempt) {
    const conn = await this.options.connect(address);
    try {
      const { self, maxNeighbors } = this.options;
      const request = joinRequest(self, this.links.ids(), maxNeighbors, attempt);
      const answer = await conn.request(request, { timeoutMs: 5000 });
      const { partner } = attempt;
      if (answer.msg.t === 'welcome' && !this.links.closed) {
        const { id } = answer.msg;
        if (partner && !this.links.has(id)) this.handOver(partner, answer.msg.partner ?? { ...address, id });
        if (this.links.has(id) || this.links.size < maxNeighbors) {
          const existing = this.links.get(id);
          if (existing && !this.links.prefersNew(id, 'dialer')) conn.close();
          else if (existing) this.links.replace(existing, conn);
          else this.links.add({ id, host: address.host, port: address.port }, conn);
          return undefined;
        }
      }
      conn.close();
      if (answer.msg.t === 'redirect') {
        for (const peer of answer.msg.peers) this.healing.remember(peer);
        return answer.msg.peers;
      }
      return undefined;
    } catch (err) {
      conn.close();
      throw err;
    }
  }
}

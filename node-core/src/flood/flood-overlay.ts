// The flood overlay's links: joining (following redirects, seed 004), accepting joins up to
// maxNeighbors (or splitting or swapping a link, see join-admission.ts), heartbeats, noticing a
// neighbour leave or die, healing back to a few links, mending when the metaserver sees the
// overlay apart; queries flood over these links (query-flood.ts).
import { EventEmitter } from 'node:events';
import type { Address, PeerRef } from '../events';
import { P2PError, type Connection, type Incoming } from '../wire';
import { admitJoin, joinRequest, shuffle, type JoinAttempt } from './join-admission';
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

interface Neighbor {
  ref: PeerRef;
  conn: Connection;
  /** Its own neighbours, as last asked (every other heartbeat): who to bridge to if it dies. */
  theirs: PeerRef[];
}

interface Candidate {
  to: PeerRef | Address;
  hops: number;
}

const MAX_JOIN_ATTEMPTS = 8;
const MAX_KNOWN_PEERS = 64;

export class FloodOverlay extends EventEmitter<FloodOverlayEvents> {
  private readonly links = new Map<string, Neighbor>();
  private readonly queries: QueryFlood;
  /** Peers heard of (referrals, redirects, former neighbours): a way back in without the metaserver. */
  private readonly known = new Map<string, PeerRef>();
  private extraSeeds: Address[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private ticks = 0;
  private closed = false;
  private mending = false;
  /** Joins under way, by the address dialed: a link whose twin is being dialed waits for it (see watch). */
  private readonly dialing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: FloodOverlayOptions) {
    super();
    this.queries = new QueryFlood(options.self.id, () => this.links.values());
  }

  /** Query messages this peer sent (originated or forwarded): the cost of a flood. */
  get queriesSent(): number {
    return this.queries.sent;
  }

  neighbors(): PeerRef[] {
    return [...this.links.values()].map((n) => ({ ...n.ref }));
  }

  /** Each neighbour's key fingerprint, as its TLS link presented it. */
  neighborKeys(): Map<string, string> {
    return new Map([...this.links.values()].map((n) => [n.ref.id, n.conn.remoteFingerprint]));
  }

  /** The neighbours whose link goes through a relay now. */
  relayedNeighbors(): string[] {
    return [...this.links.values()].filter((n) => n.conn.relayed).map((n) => n.ref.id);
  }

  isNeighbor(conn: Connection): boolean {
    return [...this.links.values()].some((n) => n.conn === conn);
  }

  /** Starts heartbeats and joins through `seeds` (referrals or a --join address). */
  async start(seeds: Array<PeerRef | Address>): Promise<void> {
    this.extraSeeds = seeds.filter((s): s is Address => !('id' in s));
    for (const seed of seeds) if ('id' in seed) this.remember(seed);
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeatMs);
    await this.maintain(seeds);
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
        existing: existing && { prefersNew: this.prefersNew(msg.id, 'listener') },
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
        return this.add(joiner, conn);
      case 'welcome':
        void conn.reply(incoming, { t: 'welcome', id: self.id }).catch(() => undefined);
        if (existing) this.replace(existing, conn);
        else this.add(joiner, conn);
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
    this.remember(joiner);
    void this.joinOne(joiner, { offerSplit: false }).catch(() => undefined);
  }

  /** Tells neighbour `via` to drop our link because `to` takes it (`via` then expects `to`). */
  private giveLink(via: PeerRef, to: PeerRef): boolean {
    const link = this.links.get(via.id);
    if (!link) return false;
    link.conn.send({ t: 'split', peer: to }).catch(() => undefined);
    this.drop(link, `gave its link to ${to.id}`, false);
    return true;
  }

  /**
   * The metaserver sees `target` in another part of the overlay. Link to it; when we are full,
   * as an edge swap (we give up one link, `target` or a peer it redirects to gives up one, and
   * the two dropped ends link up), so two groups whose peers are all full still merge and no
   * degree grows.
   */
  mend(target: PeerRef): void {
    if (this.closed || this.mending || target.id === this.options.self.id || this.links.has(target.id)) return;
    this.mending = true;
    void this.linkFirst([target], true).finally(() => {
      this.mending = false;
    });
  }

  /** A neighbour gives our link to `peer` (the other half of its edge swap): drop it, link to `peer`. */
  handleHandover(conn: Connection, peer: PeerRef): void {
    const neighbor = [...this.links.values()].find((n) => n.conn === conn);
    if (!neighbor || this.closed) return;
    this.drop(neighbor, `handed over to ${peer.id}`, false);
    if (peer.id !== this.options.self.id) void this.linkFirst([peer]);
  }

  /** We were full and `target` welcomed us: give our link to `partner` to the peer `target` freed. */
  private handOver(partner: PeerRef, to: PeerRef): void {
    const link = this.links.get(partner.id);
    if (!link) return;
    link.conn.send({ t: 'handover', peer: to }).catch(() => undefined);
    this.drop(link, `handed over to ${to.id}`, false);
  }

  /** A neighbour gives our link to a newcomer (see split): drop it without healing. */
  handleSplit(conn: Connection): void {
    const neighbor = [...this.links.values()].find((n) => n.conn === conn);
    if (neighbor) this.drop(neighbor, 'gave our link to a newcomer', false);
  }

  /** A neighbour says goodbye: drop it now rather than wait for its socket to close. */
  handleGoodbye(conn: Connection): void {
    const neighbor = [...this.links.values()].find((n) => n.conn === conn);
    if (neighbor) this.drop(neighbor, 'left the network');
    conn.close();
  }

  /** A query from a neighbour (see QueryFlood.relay); anything else's queries are ignored. */
  handleQuery(conn: Connection, msg: QueryMessage): boolean {
    const neighbor = this.linkOn(conn);
    if (!neighbor) return false;
    const verdict = this.queries.relay(neighbor, msg);
    if (verdict === 'cut') this.cutForFlooding(neighbor);
    return verdict === 'answer';
  }

  /** A hit from a neighbour for a query we forwarded: back to the neighbour we got it from. */
  routeHit(conn: Connection, msg: HitMessage): void {
    if (!this.linkOn(conn)) return;
    const upstream = this.queries.upstreamOf(msg.qid);
    const link = upstream === undefined ? undefined : this.links.get(upstream);
    const { qid, name, size, sha256, root, holder } = msg;
    link?.conn.send({ t: 'hit', qid, name, size, sha256, root, holder }).catch(() => undefined);
  }

  private linkOn(conn: Connection): Neighbor | undefined {
    return [...this.links.values()].find((n) => n.conn === conn);
  }

  private cutForFlooding(neighbor: Neighbor): void {
    neighbor.conn.close(new P2PError('RATE_LIMITED', `more than the query rate allows`), true);
    this.drop(neighbor, 'cut for flooding queries');
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
    this.closed = true;
    clearInterval(this.heartbeat);
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((n) => (abrupt ? n.conn.close() : n.conn.goodbye('leaving'))));
  }

  private add(ref: PeerRef, conn: Connection): void {
    const neighbor: Neighbor = { ref, conn, theirs: [] };
    this.links.set(ref.id, neighbor);
    this.remember(ref);
    void this.askTheirs(neighbor);
    this.watch(neighbor, conn);
    this.emit('neighbor-up', { ...ref });
    this.queries.resendOpen(conn);
  }

  /**
   * The same neighbour on a new connection (its twin won, see prefersNew, or it reconnected):
   * the link stays, only its connection changes, so nobody sees it go down and up again.
   */
  private replace(neighbor: Neighbor, conn: Connection): void {
    const old = neighbor.conn;
    neighbor.conn = conn;
    this.watch(neighbor, conn);
    old.close();
    this.queries.resendOpen(conn);
    if (old.relayed !== conn.relayed) this.emit('link-path', { ...neighbor.ref });
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

  private drop(neighbor: Neighbor, reason: string, heal = true): void {
    if (this.links.get(neighbor.ref.id) !== neighbor) return;
    this.links.delete(neighbor.ref.id);
    this.queries.forget(neighbor.ref.id);
    neighbor.conn.close();
    this.emit('neighbor-down', { ...neighbor.ref }, reason);
    // a random pause, so both ends of a broken link do not redial each other in lockstep
    if (!this.closed && heal) {
      setTimeout(
        () => {
          void this.bridge(neighbor);
          void this.maintain();
        },
        Math.random() * Math.min(100, this.options.heartbeatMs),
      ).unref();
    }
  }

  /**
   * Topping up to targetLinks alone can leave the overlay cut in two: a peer that still has
   * enough links does not look further, and one that lost a link may refill it from its own
   * side. So the lost neighbour's neighbourhood (as last heard) bridges itself: sorted by id,
   * each survivor links to the nearest live one after it and the nearest before it (both ways,
   * because a full peer cannot dial: it is dialed, and redirects to its own side). Extra links,
   * bounded by maxNeighbors; the one-link-per-pair rule absorbs the two ends dialing at once.
   */
  private async bridge(lost: Neighbor): Promise<void> {
    const { self } = this.options;
    const byId = new Map([...lost.theirs, self].map((r) => [r.id, r]));
    byId.delete(lost.ref.id);
    const chain = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const at = chain.findIndex((r) => r.id === self.id);
    await Promise.all([this.linkFirst(chain.slice(at + 1)), this.linkFirst(chain.slice(0, at).reverse())]);
  }

  /**
   * Links to the first candidate that answers (following redirects); stops at an existing link.
   * `swapIfFull`: when full, join as an edge swap, giving up a random link of ours (see mend).
   */
  private async linkFirst(candidates: Array<PeerRef | Address>, swapIfFull = false): Promise<void> {
    const queue: Candidate[] = candidates.map((to) => ({ to, hops: 0 }));
    for (let attempts = 0; queue.length > 0 && attempts < MAX_JOIN_ATTEMPTS; attempts++) {
      const room = this.options.maxNeighbors - this.links.size;
      if (this.closed || (room <= 0 && !swapIfFull)) return;
      const { to, hops } = queue.shift() as Candidate;
      if ('id' in to && this.links.has(to.id)) return; // already across
      try {
        // with room for one more link only, a split would leave the peer that split one short
        const partner = swapIfFull && room < 2 ? shuffle(this.neighbors())[0] : undefined;
        const redirect = await this.joinOne(to, { hops, partner });
        if (!redirect) return; // linked
        queue.unshift(...this.redirected(redirect, hops));
      } catch {
        // dead too, or refused: try the next one
      }
    }
  }

  private redirected(peers: PeerRef[], hops: number): Candidate[] {
    return peers.filter((r) => r.id !== this.options.self.id).map((to) => ({ to, hops: hops + 1 }));
  }

  /** Refreshes what a neighbour's own links are (see bridge()). */
  private async askTheirs(neighbor: Neighbor): Promise<void> {
    const answer = await neighbor.conn
      .request({ t: 'neighbors-get' }, { timeoutMs: this.options.heartbeatMs * 2 })
      .catch(() => undefined);
    if (answer?.msg.t === 'neighbors') neighbor.theirs = answer.msg.peers;
  }

  /**
   * Two peers that dial each other at once end up with two links. Both sides keep the same
   * one, the link dialed by the smaller id, so neither replacement undoes the other's.
   */
  private prefersNew(otherId: string, newRole: 'dialer' | 'listener'): boolean {
    const newDialer = newRole === 'dialer' ? this.options.self.id : otherId;
    const existing = this.links.get(otherId);
    if (!existing?.conn.isOpen) return true;
    const existingDialer = existing.conn.role === 'dialer' ? this.options.self.id : otherId;
    if (newDialer === existingDialer) return true; // a reconnect from the same side: the new one is fresher
    return newDialer < existingDialer;
  }

  private tick(): void {
    const askTheirs = this.ticks++ % 2 === 0;
    for (const neighbor of this.links.values()) {
      if (askTheirs)
        void this.askTheirs(neighbor); // a request is traffic too: it doubles as the ping
      else neighbor.conn.send({ t: 'ping' }).catch(() => undefined);
    }
    void this.maintain();
  }

  private remember(ref: PeerRef): void {
    if (ref.id === this.options.self.id) return;
    this.known.delete(ref.id);
    this.known.set(ref.id, { id: ref.id, host: ref.host, port: ref.port });
    if (this.known.size > MAX_KNOWN_PEERS) this.known.delete(this.known.keys().next().value as string);
  }

  /** Tops the links up to the target; one run at a time. */
  private maintain(seeds?: Array<PeerRef | Address>): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.maintaining ??= this.topUp(seeds).finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  private wanted(): number {
    return Math.min(this.options.targetLinks, this.options.maxNeighbors) - this.links.size;
  }

  private async topUp(seeds?: Array<PeerRef | Address>): Promise<void> {
    if (this.wanted() <= 0) return;
    const tried = new Set<string>();
    // Referrals come lowest degree first. Taking the first keeps degrees even; taking the
    // others in random order adds long-range links, so the overlay's diameter stays small
    // (joining only the lowest-degree peers builds a long ladder that a TTL of 7 cannot cross).
    const firstThenRandom = (list: Array<PeerRef | Address>) => [...list.slice(0, 1), ...shuffle(list.slice(1))];
    const sources: Array<() => Promise<Array<PeerRef | Address>>> = [
      async () => firstThenRandom(seeds ?? []),
      async () => firstThenRandom(await this.options.referrals([this.options.self.id, ...this.links.keys()])),
      () => this.neighborsOfNeighbors(),
      async () => [...this.known.values()].reverse(),
      async () => this.extraSeeds,
    ];
    for (const source of sources) {
      if (this.closed || this.wanted() <= 0) return;
      const candidates = await source().catch(() => []);
      await this.joinSome(candidates, tried);
    }
  }

  private async neighborsOfNeighbors(): Promise<PeerRef[]> {
    const found: PeerRef[] = [];
    for (const neighbor of [...this.links.values()]) {
      const answer = await neighbor.conn.request({ t: 'neighbors-get' }, { timeoutMs: 2000 }).catch(() => undefined);
      if (answer?.msg.t === 'neighbors') found.push(...answer.msg.peers);
    }
    return shuffle(found);
  }

  /** Tries candidates (following redirects) until the wanted number of links is reached. */
  private async joinSome(candidates: Array<PeerRef | Address>, tried: Set<string>): Promise<void> {
    const queue: Candidate[] = candidates.map((to) => ({ to, hops: 0 }));
    let attempts = 0;
    while (queue.length > 0 && this.wanted() > 0 && attempts < MAX_JOIN_ATTEMPTS && !this.closed) {
      const { to: candidate, hops } = queue.shift() as Candidate;
      const key = `${candidate.host}:${candidate.port}`;
      const isSelf =
        ('id' in candidate && candidate.id === this.options.self.id) ||
        (candidate.host === this.options.self.host && candidate.port === this.options.self.port);
      const linked =
        ('id' in candidate && this.links.has(candidate.id)) ||
        [...this.links.values()].some((n) => n.ref.host === candidate.host && n.ref.port === candidate.port);
      if (tried.has(key) || isSelf || linked) continue;
      tried.add(key);
      attempts++;
      const redirect = await this.joinOne(candidate, { hops }).catch(() => undefined);
      if (redirect) queue.unshift(...this.redirected(redirect, hops));
    }
  }

  /** One join attempt; returns the redirect list when the candidate is full. */
  private joinOne(address: Address, attempt: JoinAttempt = {}): Promise<PeerRef[] | undefined> {
    const key = addressKey(address);
    const joining = this.requestJoin(address, attempt);
    const settled = joining.catch(() => undefined);
    this.dialing.set(key, settled);
    void settled.finally(() => {
      if (this.dialing.get(key) === settled) this.dialing.delete(key);
    });
    return joining;
  }

  private async requestJoin(address: Address, attempt: JoinAttempt) {
    const conn = await this.options.connect(address);
    try {
      const { self, maxNeighbors } = this.options;
      const request = joinRequest(self, [...this.links.keys()], maxNeighbors, attempt);
      const answer = await conn.request(request, { timeoutMs: 5000 });
      const { partner } = attempt;
      if (answer.msg.t === 'welcome' && !this.closed) {
        const { id } = answer.msg;
        if (partner && !this.links.has(id)) this.handOver(partner, answer.msg.partner ?? { ...address, id });
        if (this.links.has(id) || this.links.size < maxNeighbors) {
          const existing = this.links.get(id);
          if (existing && !this.prefersNew(id, 'dialer')) conn.close();
          else if (existing) this.replace(existing, conn);
          else this.add({ id, host: address.host, port: address.port }, conn);
          return undefined;
        }
      }
      conn.close();
      if (answer.msg.t === 'redirect') {
        for (const peer of answer.msg.peers) this.remember(peer);
        return answer.msg.peers;
      }
      return undefined;
    } catch (err) {
      conn.close();
      throw err;
    }
  }
}

function addressKey(address: Address): string {
  return `${address.host}:${address.port}`;
}

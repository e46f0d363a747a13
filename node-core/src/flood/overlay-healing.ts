// How a flood peer gets back to its wanted number of links: bridging a lost neighbour's
// neighbourhood, then topping up from referrals, neighbours' neighbours, peers heard of and the
// --join address. Apart from the overlay, which decides what one join does (join-admission.ts).
import type { Address, PeerRef } from '../events';
import { shuffle, type JoinAttempt } from './join-admission';
import type { Neighbor, NeighborLinks } from './neighbor-links';

export interface OverlayHealingOptions {
  self: PeerRef;
  maxNeighbors: number;
  /** Links this peer tries to keep (capped by maxNeighbors). */
  targetLinks: number;
  links: NeighborLinks;
  /** One join attempt; resolves with the redirect list when the candidate is full. */
  join: (to: Address, attempt: JoinAttempt) => Promise<PeerRef[] | undefined>;
  /** Referrals from the metaserver; throws while it is unreachable. */
  referrals: (exclude: string[]) => Promise<PeerRef[]>;
}

interface Candidate {
  to: PeerRef | Address;
  hops: number;
}

const MAX_JOIN_ATTEMPTS = 8;
const MAX_KNOWN_PEERS = 64;

export class OverlayHealing {
  /** Peers heard of (referrals, redirects, former neighbours): a way back in without the metaserver. */
  private readonly known = new Map<string, PeerRef>();
  private extraSeeds: Address[] = [];
  private maintaining: Promise<void> | undefined;

  constructor(private readonly options: OverlayHealingOptions) {}

  /** The seeds a peer starts with; bare addresses (`--join`) stay a last resort. */
  seed(seeds: Array<PeerRef | Address>): void {
    this.extraSeeds = seeds.filter((s): s is Address => !('id' in s));
    for (const seed of seeds) if ('id' in seed) this.remember(seed);
  }

  remember(ref: PeerRef): void {
    if (ref.id === this.options.self.id) return;
    this.known.delete(ref.id);
    this.known.set(ref.id, { id: ref.id, host: ref.host, port: ref.port });
    if (this.known.size > MAX_KNOWN_PEERS) this.known.delete(this.known.keys().next().value as string);
  }

  /** Tops the links up to the target; one run at a time. */
  maintain(seeds?: Array<PeerRef | Address>): Promise<void> {
    if (this.options.links.closed) return Promise.resolve();
    this.maintaining ??= this.topUp(seeds).finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  /**
   * Topping up to targetLinks alone can leave the overlay cut in two: a peer that still has
   * enough links does not look further, and one that lost a link may refill it from its own
   * side. So the lost neighbour's neighbourhood (as last heard) bridges itself: sorted by id,
   * each survivor links to the nearest live one after it and the nearest before it (both ways,
   * because a full peer cannot dial: it is dialed, and redirects to its own side). Extra links,
   * bounded by maxNeighbors; the one-link-per-pair rule absorbs the two ends dialing at once.
   */
  async bridge(lost: Neighbor): Promise<void> {
    const { self } = this.options;
    const byId = new Map([...lost.theirs, self].map((r) => [r.id, r]));
    byId.delete(lost.ref.id);
    const chain = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const at = chain.findIndex((r) => r.id === self.id);
    await Promise.all([this.linkFirst(chain.slice(at + 1)), this.linkFirst(chain.slice(0, at).reverse())]);
  }

  /**
   * Links to the first candidate that answers (following redirects); stops at an existing link.
   * `swapIfFull`: when full, join as an edge swap, giving up a random link of ours (see FloodOverlay.mend).
   */
  async linkFirst(candidates: Array<PeerRef | Address>, swapIfFull = false): Promise<void> {
    const { links, maxNeighbors } = this.options;
    const queue: Candidate[] = candidates.map((to) => ({ to, hops: 0 }));
    for (let attempts = 0; queue.length > 0 && attempts < MAX_JOIN_ATTEMPTS; attempts++) {
      const room = maxNeighbors - links.size;
      if (links.closed || (room <= 0 && !swapIfFull)) return;
      const { to, hops } = queue.shift() as Candidate;
      if ('id' in to && links.has(to.id)) return; // already across
      try {
        // with room for one more link only, a split would leave the peer that split one short
        const partner = swapIfFull && room < 2 ? shuffle(links.refs())[0] : undefined;
        const redirect = await this.options.join(to, { hops, partner });
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

  private wanted(): number {
    return Math.min(this.options.targetLinks, this.options.maxNeighbors) - this.options.links.size;
  }

  private async topUp(seeds?: Array<PeerRef | Address>): Promise<void> {
    if (this.wanted() <= 0) return;
    const { links, self, referrals } = this.options;
    const tried = new Set<string>();
    // Referrals come lowest degree first. Taking the first keeps degrees even; taking the
    // others in random order adds long-range links, so the overlay's diameter stays small
    // (joining only the lowest-degree peers builds a long ladder that a TTL of 7 cannot cross).
    const firstThenRandom = (list: Array<PeerRef | Address>) => [...list.slice(0, 1), ...shuffle(list.slice(1))];
    const sources: Array<() => Promise<Array<PeerRef | Address>>> = [
      async () => firstThenRandom(seeds ?? []),
      async () => firstThenRandom(await referrals([self.id, ...links.ids()])),
      () => this.neighborsOfNeighbors(),
      async () => [...this.known.values()].reverse(),
      async () => this.extraSeeds,
    ];
    for (const source of sources) {
      if (links.closed || this.wanted() <= 0) return;
      const candidates = await source().catch(() => []);
      await this.joinSome(candidates, tried);
    }
  }

  private async neighborsOfNeighbors(): Promise<PeerRef[]> {
    const found: PeerRef[] = [];
    for (const neighbor of [...this.options.links.values()]) {
      const answer = await neighbor.conn.request({ t: 'neighbors-get' }, { timeoutMs: 2000 }).catch(() => undefined);
      if (answer?.msg.t === 'neighbors') found.push(...answer.msg.peers);
    }
    return shuffle(found);
  }

  /** Tries candidates (following redirects) until the wanted number of links is reached. */
  private async joinSome(candidates: Array<PeerRef | Address>, tried: Set<string>): Promise<void> {
    const { links, self } = this.options;
    const queue: Candidate[] = candidates.map((to) => ({ to, hops: 0 }));
    let attempts = 0;
    while (queue.length > 0 && this.wanted() > 0 && attempts < MAX_JOIN_ATTEMPTS && !links.closed) {
      const { to: candidate, hops } = queue.shift() as Candidate;
      const key = `${candidate.host}:${candidate.port}`;
      const isSelf =
        ('id' in candidate && candidate.id === self.id) ||
        (candidate.host === self.host && candidate.port === self.port);
      if (tried.has(key) || isSelf || links.linkedTo(candidate)) continue;
      tried.add(key);
      attempts++;
      const redirect = await this.options.join(candidate, { hops }).catch(() => undefined);
      if (redirect) queue.unshift(...this.redirected(redirect, hops));
    }
  }
}

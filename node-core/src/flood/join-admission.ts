// Both sides of a `join`, as pure decisions the overlay carries out: what a joiner asks for, and
// what a peer answers: welcome, refuse a duplicate, redirect (seed 004), split one of its links
// for the joiner (A–B becomes A–joiner–B), or swap a link with a full joiner.
import type { PeerRef } from '../events';
import type { AnyMessage } from '../wire';

export type JoinMessage = Extract<AnyMessage, { t: 'join' }>;

export type Admission =
  | { kind: 'welcome' }
  | { kind: 'duplicate' }
  | { kind: 'redirect'; peers: PeerRef[] }
  /** Give our link to `via` to the joiner: `via` drops us, the joiner links to both of us. */
  | { kind: 'split'; via: PeerRef }
  /** The joiner is full too: we drop `give` for the joiner, and `give` links to the joiner's partner. */
  | { kind: 'swap'; give: PeerRef; partner: PeerRef };

export interface JoinAttempt {
  /** Our links go along, so a full peer can split one of its own for us (see FloodOverlay.split). */
  offerSplit?: boolean;
  /** Redirects followed to get to this candidate. */
  hops?: number;
  /** We are full: on welcome we give up our link to `partner` (an edge swap, see FloodOverlay.mend). */
  partner?: PeerRef;
}

/**
 * The join a peer with `links` sends. A split gives the joiner two links, so it asks for one only
 * with room for both (else the peer that split is left one short, splits elsewhere in turn, and so
 * on), never to complete a split, and not in a swap.
 */
export function joinRequest(self: PeerRef, links: string[], maxNeighbors: number, attempt: JoinAttempt): JoinMessage {
  const { offerSplit = true, hops, partner } = attempt;
  const splittable = offerSplit && !partner && maxNeighbors - links.length >= 2;
  return {
    t: 'join',
    id: self.id,
    host: self.host,
    port: self.port,
    neighbors: partner || (splittable && links.length > 0) ? links : undefined,
    hops: splittable && hops ? hops : undefined,
    partner,
  };
}

export interface AdmissionState {
  selfId: string;
  maxNeighbors: number;
  neighbors: PeerRef[];
  /** Already linked with the joiner: whether the new connection should replace the old one. */
  existing?: { prefersNew: boolean };
}

/** Redirects a joiner with no links may follow before a full peer splits a link for it. */
export const REDIRECTS_BEFORE_SPLIT = 1;

const MAX_REDIRECT_PEERS = 8;

export function admitJoin(state: AdmissionState, msg: JoinMessage): Admission {
  if (state.existing) return state.existing.prefersNew ? { kind: 'welcome' } : { kind: 'duplicate' };
  if (state.neighbors.length < state.maxNeighbors) return { kind: 'welcome' };
  // Full. Never hand a link to someone the joiner (or its partner) is already linked with.
  const skip = new Set([msg.id, ...(msg.neighbors ?? []), ...(msg.partner ? [msg.partner.id] : [])]);
  const givable = shuffle(state.neighbors.filter((n) => !skip.has(n.id)));
  if (msg.partner && msg.partner.id !== state.selfId && givable.length > 0)
    return { kind: 'swap', give: givable[0], partner: msg.partner };
  // A first join sees the redirect of seed 004; after that, splitting beats redirecting forever.
  const mayInsert = (msg.neighbors?.length ?? 0) > 0 || (msg.hops ?? 0) >= REDIRECTS_BEFORE_SPLIT;
  if (mayInsert && givable.length > 0) return { kind: 'split', via: givable[0] };
  return { kind: 'redirect', peers: shuffle([...state.neighbors]).slice(0, MAX_REDIRECT_PEERS) };
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// THE message table: every message type the network speaks, its header fields (by kind, see
// fields.ts), and whether it carries a raw payload. decodeMessage() is the one door every
// incoming frame passes; anything it refuses closes that connection.
//
// To add a message type, add one entry. Common header fields on every message:
//   v   protocol version (PROTOCOL_VERSION)
//   t   the type (a key of MESSAGES)
//   rid request id, on requests that expect an answer
//   re  the rid being answered, on responses
import { P2PError } from './errors';
import { KIND_CHECKS, type Kind, type KindTypes } from './fields';

/** 3: a file version is named by its Merkle root alone (no whole-file SHA-256 on the wire). */
export const PROTOCOL_VERSION = 3;

export type PayloadRule = 'none' | 'optional' | 'required';

export interface MessageSpec {
  fields: Record<string, Kind>;
  optional?: Record<string, Kind>;
  payload: PayloadRule;
}

// ---- connection ------------------------------------------------------------------------
const CONNECTION_MESSAGES = {
  /**
   * First message both ways, inside TLS (PROTOCOL.md): the sender's id, whether it requires the
   * network key and, if so, its proof over the session (auth.ts). The dialer's goes first.
   */
  hello: { fields: { proto: 'u32', id: 'peerIdOrEmpty', auth: 'bool' }, optional: { proof: 'hex' }, payload: 'none' },
  /** A refusal: the answer to a request (with `re`) or a notice before closing. */
  error: { fields: { code: 'errorCode', message: 'text' }, payload: 'none' },
  ok: { fields: {}, payload: 'none' },
  /** Keeps an idle link alive; either side, no answer. */
  ping: { fields: {}, payload: 'none' },
  /** The sender is leaving on purpose (STOP), as opposed to dying. */
  goodbye: { fields: {}, optional: { reason: 'text' }, payload: 'none' },
} satisfies Record<string, MessageSpec>;

// ---- metaserver ------------------------------------------------------------------------
const METASERVER_MESSAGES = {
  /**
   * `relay`: if the address cannot be dialed back, admit the peer as unreachable, reached through the relay.
   * `relayPort`: this peer relays for others on its host at that port (`--relay-for-others`).
   */
  register: {
    fields: { id: 'peerIdOrEmpty', host: 'host', port: 'port', mode: 'mode', flag: 'string' },
    optional: { nodeId: 'nodeId', relay: 'bool', relayPort: 'port' },
    payload: 'none',
  },
  /** `reachable`: whether the dial-back reached the peer; `relayPort`: the metaserver's relay (relay/relay-hub.ts). */
  registered: {
    fields: { referrals: 'peerRefs' },
    optional: { reachable: 'bool', relayPort: 'port' },
    payload: 'none',
  },
  /** A peer's current links (and, in chord mode, its ring view); replaces the previous report. */
  links: {
    fields: { neighbors: 'peerIds' },
    /**
     * `keys[i]`: the fingerprint the TLS link to `neighbors[i]` presented. `relayed`: the
     * neighbours whose link goes through a relay now (ids not in `neighbors` are ignored).
     */
    optional: { chord: 'chordView', keys: 'fingerprints', relayed: 'peerIds' },
    payload: 'none',
  },
  'files-report': { fields: { files: 'fileNames' }, payload: 'none' },
  'referrals-get': { fields: {}, optional: { exclude: 'peerIds' }, payload: 'none' },
  referrals: { fields: { peers: 'peerRefs' }, payload: 'none' },
  /** Metaserver → registrant, on its registration connection: keep this token for the address check. Answer: ok. */
  'address-challenge': { fields: { token: 'hex' }, payload: 'none' },
  /** Metaserver → the address a peer registered: "who are you?" Answer: address-proof (or error). */
  'address-check': { fields: {}, payload: 'none' },
  /** The listener's answer: the token its own registration was given (see address-challenge). */
  'address-proof': { fields: { token: 'hex' }, payload: 'none' },
  /**
   * A registered peer to the metaserver: "open a circuit to the relayed peer `id`", which the dialer
   * knows at `host:port` (refused unless `id` registered that address). Answer: relay-ticket.
   */
  'relay-connect': { fields: { id: 'peerId' }, optional: { host: 'host', port: 'port' }, payload: 'none' },
  /**
   * Connect to the relay at `host:port` (`host` absent: the metaserver's host) and present `token`
   * (PROTOCOL.md, "Relayed links").
   */
  'relay-ticket': { fields: { token: 'hex', port: 'port' }, optional: { host: 'host' }, payload: 'none' },
  /** Metaserver → a relayed peer, on its registration connection: the same, for the circuit's other end. */
  'relay-open': { fields: { token: 'hex', port: 'port' }, optional: { host: 'host' }, payload: 'none' },
  /** Metaserver → a peer that relays for others: "open a circuit from `dialer` to `target`". Answer: relay-tokens. */
  'relay-host': { fields: { dialer: 'peerId', target: 'peerId' }, payload: 'none' },
  /** The two ends' tokens of a circuit opened on a peer's relay. */
  'relay-tokens': { fields: { dialerToken: 'hex', targetToken: 'hex' }, payload: 'none' },
  /**
   * Hole punching (a TCP simultaneous open) to move the relayed circuit whose dialer end is `token`
   * onto a direct path: "I will connect from local `port`; coordinate with the relayed peer `id`".
   * Answer: punch-go.
   */
  'punch-request': { fields: { id: 'peerId', port: 'port', token: 'hex' }, payload: 'none' },
  /**
   * Metaserver → the relayed peer: `peer` (its address as seen by the metaserver) connects now, to
   * move the circuit whose end at this peer is `token`. Answer: punch-port.
   */
  'punch-offer': { fields: { peer: 'peerRef', token: 'hex' }, payload: 'none' },
  /** The relayed peer's local port; it is already connecting to the offer's address from it. */
  'punch-port': { fields: { port: 'port' }, payload: 'none' },
  /** Metaserver → the asker: connect now to `peer` (its address as the metaserver sees it) from your port. */
  'punch-go': { fields: { peer: 'peerRef' }, payload: 'none' },
  'topology-get': { fields: {}, payload: 'none' },
  topology: { fields: { peers: 'topologyPeers' }, payload: 'none' },
  /** Metaserver to a flood peer: "`peer` is in another part of the overlay than you; link to it". */
  mend: { fields: { peer: 'peerRef' }, payload: 'none' },
  /** Best-effort activity for the topology page. */
  'activity-search': { fields: { origin: 'peerId', name: 'fileName', qid: 'hex', path: 'peerIds' }, payload: 'none' },
  'activity-transfer': {
    fields: { from: 'peerId', to: 'peerId', name: 'fileName', bytes: 'uint', total: 'uint', done: 'bool' },
    payload: 'none',
  },
  /** File bytes the reporting peer received from each holder since its last report (about once a second). */
  'activity-traffic': { fields: { flows: 'trafficFlows' }, payload: 'none' },
} satisfies Record<string, MessageSpec>;

// ---- flood overlay ---------------------------------------------------------------------
const FLOOD_MESSAGES = {
  /**
   * `neighbors`: the joiner's current links; a full peer may then split a link for it (see split).
   * `hops`: redirects the joiner followed to get here; a full peer splits a link for a joiner with
   * none once it has been redirected. `partner`: the joiner is full itself and gives up its link to
   * `partner`; a full peer then hands one of its own links to `partner` (an edge swap, see handover).
   */
  join: {
    fields: { id: 'peerId', host: 'host', port: 'port' },
    optional: { neighbors: 'peerIds', hops: 'u32', partner: 'peerRef' },
    payload: 'none',
  },
  /** `partner`: the neighbour a full peer gave up for the joiner's partner (answer to a join with `partner`). */
  welcome: { fields: { id: 'peerId' }, optional: { partner: 'peerRef' }, payload: 'none' },
  /** "I am full, try one of my neighbours". */
  redirect: { fields: { peers: 'peerRefs' }, payload: 'none' },
  /**
   * From a full peer to one of its neighbours: "drop our link, `peer` takes it". The full peer
   * redirects the joiner there and links to it itself, so both keep their degree and the joiner
   * gets two links into a random part of the overlay.
   */
  split: { fields: { peer: 'peerRef' }, payload: 'none' },
  /** To a neighbour: "drop our link and link to `peer` instead" (the other half of an edge swap). */
  handover: { fields: { peer: 'peerRef' }, payload: 'none' },
  'neighbors-get': { fields: {}, payload: 'none' },
  neighbors: { fields: { peers: 'peerRefs' }, payload: 'none' },
  query: {
    fields: { qid: 'hex', name: 'fileName', ttl: 'u32', origin: 'peerRef' },
    optional: { path: 'peerIds' },
    payload: 'none',
  },
  /**
   * A holder's answer, sent back along the query's reverse path: to the link the query came
   * from, and by each peer on to the link it got that query from, until the origin.
   * `root`: the file's Merkle root (its version).
   */
  hit: {
    fields: { qid: 'hex', name: 'fileName', size: 'uint', root: 'digest', holder: 'peerRef' },
    payload: 'none',
  },
} satisfies Record<string, MessageSpec>;

// ---- file transfer ---------------------------------------------------------------------
const TRANSFER_MESSAGES = {
  'manifest-get': { fields: { name: 'fileName' }, payload: 'none' },
  /**
   * Payload: `chunks` SHA-256 digests, 32 raw bytes each, in order. No root: the receiver computes
   * it from the digests, size and chunk size (merkle.ts) and accepts the manifest only if it is the chosen one.
   */
  manifest: { fields: { name: 'fileName', size: 'uint', chunkSize: 'u32', chunks: 'u32' }, payload: 'optional' },
  /** `root`: the version the chunk belongs to (its manifest's root). */
  'chunk-get': { fields: { name: 'fileName', root: 'digest', index: 'u32' }, payload: 'none' },
  /** Payload: the chunk's bytes. */
  chunk: { fields: { name: 'fileName', index: 'u32' }, payload: 'required' },
} satisfies Record<string, MessageSpec>;

// ---- chord (owned by the Chord engineer: add chord message types below) ------------------
// --- chord ---
// Requests are answered with the `-result`/`chord-neighbors` message or with `ok` (re = rid).
const CHORD_MESSAGES = {
  /**
   * One step of an iterative lookup: "do you know who owns `key`, or someone closer?"
   * `avoid`: nodes the asker found dead.
   */
  'chord-step': { fields: { key: 'nodeId' }, optional: { avoid: 'chordRefs' }, payload: 'none' },
  /** Exactly one of `owner` (the key's successor) or `next` (closer nodes, best first). */
  'chord-step-result': { fields: {}, optional: { owner: 'chordRef', next: 'chordRefs' }, payload: 'none' },
  /** stabilize: the asked node's predecessor and successor list. */
  'chord-neighbors-get': { fields: {}, payload: 'none' },
  'chord-neighbors': { fields: { successors: 'chordRefs' }, optional: { predecessor: 'chordRef' }, payload: 'none' },
  /** "I think I am your predecessor." Answer: ok. */
  'chord-notify': { fields: { node: 'chordRef' }, payload: 'none' },
  /** A joiner to its new predecessor: "I am between you and your successor now." Answer: ok. */
  'chord-successor-hint': { fields: { node: 'chordRef' }, payload: 'none' },
  /** check_predecessor. Answer: ok. */
  'chord-ping': { fields: {}, payload: 'none' },
  /** Graceful leave: link to these instead of me. Answer: ok. */
  'chord-leaving': {
    fields: { node: 'chordRef', successors: 'chordRefs' },
    optional: { predecessor: 'chordRef' },
    payload: 'none',
  },
  /**
   * "Hold these files": the receiver fetches the ones it lacks from `source` with the verified transfer,
   * then answers ok.
   */
  'chord-hold': { fields: { source: 'chordRef', names: 'fileNames' }, payload: 'none' },
  /**
   * Ring merge walk: "look your own id up through these nodes of (maybe) another ring, adopt a
   * closer successor, pass it on to your successor"; stops back at `origin` or when `ttl` runs out. Answer: ok.
   */
  'chord-merge': { fields: { origin: 'chordRef', contacts: 'chordRefs', ttl: 'u32' }, payload: 'none' },
  /**
   * A holder to a name's owner: "I serve this version of `name`". The owner keeps the record only
   * once `holder` answered `manifest-get` with that size and root. Answer: ok.
   */
  'chord-publish': {
    fields: { name: 'fileName', size: 'uint', root: 'digest', holder: 'chordRef' },
    payload: 'none',
  },
  /** "`holder` no longer serves this version": the owner forgets it once `holder` no longer serves it. Answer: ok. */
  'chord-withdraw': {
    fields: { name: 'fileName', root: 'digest', holder: 'chordRef' },
    payload: 'none',
  },
  /** Every version of `name` the asked node keeps a record of. Answer: chord-versions. */
  'chord-versions-get': { fields: { name: 'fileName' }, payload: 'none' },
  'chord-versions': { fields: { name: 'fileName', versions: 'chordVersions' }, payload: 'none' },
  /** Version records to keep (owner to replicas, a leaving node, a hand-over). Answer: ok. */
  'chord-versions-put': { fields: { name: 'fileName', versions: 'chordVersions' }, payload: 'none' },
} satisfies Record<string, MessageSpec>;
// ---- end of chord section --------------------------------------------------------------

export const MESSAGES = {
  ...CONNECTION_MESSAGES,
  ...METASERVER_MESSAGES,
  ...FLOOD_MESSAGES,
  ...TRANSFER_MESSAGES,
  ...CHORD_MESSAGES,
};

export type MessageType = keyof typeof MESSAGES;

/** Messages whose `id` names their sender: it must be the id the link's key is bound to. */
export const SENDER_NAMED: ReadonlySet<MessageType> = new Set<MessageType>(['register', 'join', 'welcome']);

/** Field kinds of a spec mapped to their TypeScript types: one for the required fields, one for the optional. */
type RequiredFieldTypes<F> = { [K in keyof F]: F[K] extends Kind ? KindTypes[F[K]] : never };
type OptionalFieldTypes<F> = { [K in keyof F]?: F[K] extends Kind ? KindTypes[F[K]] : never };
type SpecOf<T extends MessageType> = (typeof MESSAGES)[T];

/** The typed header of message type T (without `v`, which the connection adds). */
export type Message<T extends MessageType> = { t: T; rid?: number; re?: number } & RequiredFieldTypes<
  SpecOf<T>['fields']
> &
  (SpecOf<T> extends { optional: infer O } ? OptionalFieldTypes<O> : unknown);

export type AnyMessage = { [T in MessageType]: Message<T> }[MessageType];

function isMessageType(t: unknown): t is MessageType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(MESSAGES, t);
}

/**
 * Validates a raw header and payload against the table. Throws P2PError('PROTOCOL').
 * `payload`: only its length is checked (a Buffer, or a RawFrame's payloadLength as `{ length }`).
 */
export function decodeMessage(header: unknown, payload: { readonly length: number }): AnyMessage {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw protocol('header is not an object');
  const h = header as Record<string, unknown>;
  if (h.v !== PROTOCOL_VERSION) throw protocol(`unsupported protocol version ${String(h.v)}`);
  if (!isMessageType(h.t)) throw protocol(`unknown message type ${JSON.stringify(h.t)}`.slice(0, 120));
  const spec: MessageSpec = MESSAGES[h.t];
  for (const [field, kind] of Object.entries(spec.fields)) {
    if (!KIND_CHECKS[kind](h[field])) throw protocol(`${h.t}: bad or missing field "${field}" (${kind})`);
  }
  for (const [field, kind] of Object.entries(spec.optional ?? {})) {
    if (h[field] !== undefined && !KIND_CHECKS[kind](h[field]))
      throw protocol(`${h.t}: bad field "${field}" (${kind})`);
  }
  for (const common of ['rid', 're'] as const) {
    if (h[common] !== undefined && !KIND_CHECKS.u32(h[common])) throw protocol(`${h.t}: bad "${common}"`);
  }
  if (spec.payload === 'none' && payload.length > 0) throw protocol(`${h.t}: unexpected payload`);
  if (spec.payload === 'required' && payload.length === 0) throw protocol(`${h.t}: missing payload`);
  return h as unknown as AnyMessage;
}

function protocol(message: string): P2PError {
  return new P2PError('PROTOCOL', message);
}

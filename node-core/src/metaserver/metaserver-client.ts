// A peer's side of the metaserver: register, heartbeat, report links/files/activity, ask for
// referrals. When the metaserver goes away the peer keeps working; this client retries in the
// background and, once it is back, re-registers and replays the latest reports.
import { EventEmitter } from 'node:events';
import type { Address, PeerRef } from '../events';
import type { TopologyPeer } from '../topology';
import {
  dial,
  ephemeralSecurity,
  P2PError,
  toP2PError,
  type AnyMessage,
  type ChannelSecurity,
  type Connection,
  type ExpectedKey,
  type Incoming,
  type LinkCredentials,
} from '../wire';
import type { RelayTickets } from '../relay/relay-hub';
import type { AddressProof } from './address-proof';
import type { LinksReport, RegisteredPeer } from './peer-registry';

/** One end of a relayed circuit: the relay to connect to and the token to show it. */
export interface RelayTicket {
  token: string;
  host: string;
  port: number;
}

export interface MetaserverClientOptions {
  address: Address;
  self: RegisteredPeer;
  /** Keeps the metaserver's token for this peer's listener, which shows it when the metaserver checks. */
  addressProof: AddressProof;
  key?: string;
  /** The peer's key pair and id on the wire (its hello must carry `self.id`). */
  security?: ChannelSecurity;
  /**
   * The metaserver's key must be this one (`--metaserver-fp`, a LAN announcement, a share link);
   * either way it is pinned under its address in `security`'s trust store on first use.
   */
  expectedKey?: ExpectedKey;
  flag?: string;
  /** `--allow-relay`: if the metaserver cannot dial this peer back, be admitted as relayed instead of refused. */
  allowRelay?: boolean;
  /** `--relay-for-others`: this peer's relay, announced at registration; the metaserver opens circuits on it. */
  relayForOthers?: { port: number; open(dialer: string, target: string): RelayTickets };
  heartbeatMs?: number;
  retryMs?: number;
  requestTimeoutMs?: number;
}

export interface MetaserverClientEvents {
  /** (Re-)registered; carries the referrals of that registration. */
  registered: [PeerRef[]];
  disconnected: [P2PError | undefined];
  /** The metaserver sees this peer and `peer` in different parts of the overlay (flood mode). */
  mend: [PeerRef];
  /** After each registration: whether the metaserver could dial this peer back. */
  reachability: [Reachability];
  /**
   * A re-registration refused the metaserver that answered (its key: KEY_CHANGED, NOT_TRUSTED,
   * BLOCKED); once per distinct refusal. Retries go on: a TRUST may let the next one in.
   */
  refused: [P2PError];
  /** A peer asks for a relayed link to this one: connect to the relay at `host:port` with `token`. */
  'relay-open': [RelayTicket];
  /**
   * A peer punches a hole to this one, to move the relayed circuit whose end here is `token`:
   * `answer` the local port this peer connects from (undefined: refuse).
   */
  'punch-offer': [peer: PeerRef, token: string, answer: (port: number | undefined) => void];
}

/** What a registration established: whether the metaserver could dial this peer back, and its key. */
export interface Reachability {
  reachable: boolean;
  /** Unreachable and admitted through the relay. */
  relayed: boolean;
  /** The metaserver's key fingerprint (pinned under its address). */
  metaserverFingerprint?: string;
}

type Report = Extract<AnyMessage, { t: 'links' | 'files-report' }>;

/** Why a retry can fail that the user should hear about: the metaserver's key is not the one expected. */
const KEY_REFUSALS: ReadonlySet<string> = new Set(['KEY_CHANGED', 'NOT_TRUSTED', 'BLOCKED']);

export class MetaserverClient extends EventEmitter<MetaserverClientEvents> {
  private conn: Connection | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private security: ChannelSecurity | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private connecting = false;
  private readonly latest = new Map<Report['t'], Report>();
  private lastRefusal: string | undefined;
  /** The latest registration's answer about this peer's address (undefined before the first). */
  reachability: Reachability | undefined;

  constructor(private readonly options: MetaserverClientOptions) {
    super();
  }

  /** The metaserver's address (its relay listens on the same host). */
  get address(): Address {
    return this.options.address;
  }

  get connected(): boolean {
    return this.conn?.isOpen ?? false;
  }

  /**
   * First registration. Refusals (DUPLICATE_ID, BAD_FLAG, ...) reject with their code; an
   * unreachable metaserver rejects with METASERVER_UNREACHABLE. Afterwards the client keeps
   * itself registered until close().
   */
  async register(): Promise<PeerRef[]> {
    return this.connect();
  }

  /** After a failed first registration: keep trying in the background (the peer runs meanwhile). */
  registerLater(): void {
    this.scheduleRetry();
  }

  /** This peer's links now (see LinksReport): replaces its last report. */
  reportLinks(report: LinksReport): void {
    this.report({ t: 'links', ...report });
  }

  reportFiles(files: string[]): void {
    this.report({ t: 'files-report', files });
  }

  /** Best-effort activity for the topology page; dropped while disconnected. */
  reportActivity(msg: Extract<AnyMessage, { t: 'activity-search' | 'activity-transfer' | 'activity-traffic' }>): void {
    if (this.conn?.isOpen) this.conn.send(msg).catch(() => undefined);
  }

  async referrals(exclude: string[]): Promise<PeerRef[]> {
    if (!this.conn?.isOpen) throw new P2PError('METASERVER_UNREACHABLE', 'not connected to the metaserver');
    const answer = await this.conn.request({ t: 'referrals-get', exclude: exclude.slice(0, 1024) });
    return answer.msg.t === 'referrals' ? answer.msg.peers : [];
  }

  /**
   * A ticket for a relayed circuit to `peer` (relay/relay-route.ts): the relay's port and this end's
   * token. The address goes along so that a relayed peer is reached only where it said it is.
   */
  async relayTicket(peer: PeerRef, signal?: AbortSignal): Promise<RelayTicket> {
    if (!this.conn?.isOpen) throw new P2PError('METASERVER_UNREACHABLE', 'not connected to the metaserver');
    const known = { id: peer.id, host: peer.host, port: peer.port };
    const answer = await this.conn.request({ t: 'relay-connect', ...known }, { signal });
    if (answer.msg.t !== 'relay-ticket') throw new P2PError('PROTOCOL', `"${answer.msg.t}" is no relay ticket`);
    const { token, port, host } = answer.msg;
    return { token, port, host: host ?? this.address.host };
  }

  /** The metaserver asks this peer's relay for a circuit (`--relay-for-others`): its tokens, or why not. */
  private hostCircuit(conn: Connection, incoming: Incoming, dialer: string, target: string): void {
    const relay = this.options.relayForOthers;
    try {
      if (!relay) throw new P2PError('PROTOCOL', 'this peer does not relay for others');
      const { dialerToken, targetToken } = relay.open(dialer, target);
      conn.reply(incoming, { t: 'relay-tokens', dialerToken, targetToken }).catch(() => undefined);
    } catch (err) {
      conn.replyError(incoming, err).catch(() => undefined);
    }
  }

  /**
   * Coordinates a hole punch to the relayed peer `id`, for the circuit whose end here is `token`:
   * resolves with its address and port to connect to now.
   */
  async punch(id: string, localPort: number, token: string, signal?: AbortSignal): Promise<PeerRef> {
    if (!this.conn?.isOpen) throw new P2PError('METASERVER_UNREACHABLE', 'not connected to the metaserver');
    const answer = await this.conn.request({ t: 'punch-request', id, port: localPort, token }, { signal });
    if (answer.msg.t !== 'punch-go') throw new P2PError('PROTOCOL', `"${answer.msg.t}" is no punch answer`);
    return answer.msg.peer;
  }

  private offerPunch(conn: Connection, incoming: Incoming, peer: PeerRef, token: string): void {
    let answered = false;
    const answer = (port: number | undefined): void => {
      if (answered) return;
      answered = true;
      const reply =
        port === undefined
          ? conn.replyError(incoming, new P2PError('RATE_LIMITED', 'not punching now'))
          : conn.reply(incoming, { t: 'punch-port', port });
      reply.catch(() => undefined);
    };
    if (!this.emit('punch-offer', peer, token, answer)) answer(undefined);
  }

  /** `abrupt`: no goodbye, the socket just closes (as when the process is killed). */
  async close(abrupt = false): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const conn = this.conn;
    this.conn = undefined;
    if (abrupt) conn?.close();
    else await conn?.goodbye('leaving');
  }

  private report(msg: Report): void {
    this.latest.set(msg.t, msg);
    if (this.conn?.isOpen) this.conn.send(msg).catch(() => undefined);
  }

  private async connect(): Promise<PeerRef[]> {
    const { address, self, key } = this.options;
    const security = (this.security ??= this.options.security ?? ephemeralSecurity(self.id));
    let conn: Connection;
    try {
      conn = await dial(address, {
        key,
        security,
        metaserver: { address, expected: this.options.expectedKey },
        idleTimeoutMs: 0,
        requestTimeoutMs: this.options.requestTimeoutMs,
      });
    } catch (err) {
      const e = toP2PError(err, 'METASERVER_UNREACHABLE');
      if (e.code === 'PEER_UNREACHABLE')
        throw new P2PError('METASERVER_UNREACHABLE', `metaserver ${address.host}:${address.port}: ${e.message}`);
      throw e;
    }
    if (this.closed) {
      conn.close();
      throw new P2PError('CANCELLED', 'client closed');
    }
    conn.setHandler((incoming) => {
      const { msg } = incoming;
      if (msg.t === 'mend') this.emit('mend', msg.peer);
      if (msg.t === 'relay-open')
        this.emit('relay-open', { token: msg.token, port: msg.port, host: msg.host ?? address.host });
      if (msg.t === 'relay-host') this.hostCircuit(conn, incoming, msg.dialer, msg.target);
      if (msg.t === 'punch-offer') this.offerPunch(conn, incoming, msg.peer, msg.token);
      if (msg.t !== 'address-challenge') return;
      this.options.addressProof.remember(msg.token);
      conn.reply(incoming, { t: 'ok' }).catch(() => undefined);
    });
    let referrals: PeerRef[];
    try {
      const answer = await conn.request({
        t: 'register',
        id: self.id,
        host: self.host,
        port: self.port,
        mode: self.mode,
        flag: this.options.flag ?? 'p2p',
        ...(this.options.allowRelay ? { relay: true } : {}),
        ...(this.options.relayForOthers ? { relayPort: this.options.relayForOthers.port } : {}),
      });
      referrals = answer.msg.t === 'registered' ? answer.msg.referrals : [];
      const reachable = answer.msg.t !== 'registered' || answer.msg.reachable !== false;
      const metaserverFingerprint = conn.remoteFingerprint || undefined;
      this.reachability = { reachable, relayed: !reachable, ...(metaserverFingerprint && { metaserverFingerprint }) };
    } catch (err) {
      conn.close();
      throw toP2PError(err, 'METASERVER_UNREACHABLE');
    }
    this.conn = conn;
    for (const report of this.latest.values()) conn.send(report).catch(() => undefined);
    const heartbeatMs = this.options.heartbeatMs ?? 5000;
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => conn.send({ t: 'ping' }).catch(() => undefined), heartbeatMs);
    conn.once('close', (err) => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      clearInterval(this.heartbeat);
      this.emit('disconnected', err);
      this.scheduleRetry();
    });
    this.lastRefusal = undefined;
    this.emit('reachability', this.reachability);
    this.emit('registered', referrals);
    return referrals;
  }

  private reportRefusal(err: unknown): void {
    if (!(err instanceof P2PError) || !KEY_REFUSALS.has(err.code) || err.message === this.lastRefusal) return;
    this.lastRefusal = err.message;
    this.emit('refused', err);
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.closed || this.connecting || this.connected) return;
      this.connecting = true;
      this.connect()
        .catch((err: unknown) => {
          this.reportRefusal(err);
          this.scheduleRetry();
        })
        .finally(() => {
          this.connecting = false;
        });
    }, this.options.retryMs ?? 2000);
  }
}

/** One-shot: the whole network as the metaserver sees it (`p2p-node topo`). */
export async function fetchTopology(
  address: Address,
  options: LinkCredentials & { timeoutMs?: number; expectedKey?: ExpectedKey } = {},
): Promise<TopologyPeer[]> {
  let conn: Connection;
  try {
    conn = await dial(address, {
      key: options.key,
      security: options.security,
      metaserver: { address, expected: options.expectedKey },
      idleTimeoutMs: 0,
      connectTimeoutMs: options.timeoutMs,
    });
  } catch (err) {
    const e = toP2PError(err, 'METASERVER_UNREACHABLE');
    throw e.code === 'PEER_UNREACHABLE' ? new P2PError('METASERVER_UNREACHABLE', e.message) : e;
  }
  try {
    conn.setHandler(() => undefined);
    const answer = await conn.request({ t: 'topology-get' }, { timeoutMs: options.timeoutMs });
    return answer.msg.t === 'topology' ? answer.msg.peers : [];
  } finally {
    conn.close();
  }
}

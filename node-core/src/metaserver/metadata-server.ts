// The metadata server: bootstrap and observer. Peers register over a long-lived connection
// (any traffic on it is a heartbeat; silence past peerTimeoutMs expires the peer), report
// links, files and activity, and ask for referrals. Search and download never go through it.
import { EventEmitter } from 'node:events';
import type { Address } from '../events';
import type { BridgeMessage, TopologySnapshot, TopologySource } from '../topology';
import {
  Connection,
  ephemeralSecurity,
  P2PError,
  toP2PError,
  WireServer,
  type ChannelSecurity,
  type Incoming,
} from '../wire';
import { CircuitBroker } from '../relay/circuit-broker';
import { RelayHub, type RelayLimits } from '../relay/relay-hub';
import { newAddressToken, verifyAddress } from './address-proof';
import { PartitionRepair } from './partition-repair';
import { PeerRegistry } from './peer-registry';
import { ActivityGuard } from './activity-guard';
import { TrafficRelay } from './traffic-relay';

export interface MetadataServerOptions {
  host?: string;
  port?: number;
  /** Refuse registrations beyond this many live peers (0 or undefined: no limit). */
  maxPeers?: number;
  key?: string;
  /** Its key pair and the pins of the peers it has seen (default: a fresh key pair, pins in memory). */
  security?: ChannelSecurity;
  /** A registered peer silent for this long is expired. */
  peerTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  maxReferrals?: number;
  /** How long the dial-back to a registrant's address may take (see address-proof.ts). */
  addressCheckTimeoutMs?: number;
  /** How often the flood overlay is checked for parts that lost touch (default 1000 ms). */
  repairIntervalMs?: number;
  /** The relay for peers behind NAT (relay/relay-hub.ts): its port on `host` (default 0: the OS picks) and caps. */
  relay?: RelayLimits & { port?: number };
}

type RegisterMessage = Extract<Incoming['msg'], { t: 'register' }>;
type RelayConnect = Extract<Incoming['msg'], { t: 'relay-connect' }>;
type PunchRequest = Extract<Incoming['msg'], { t: 'punch-request' }>;

export interface MetadataServerEvents {
  'peer-registered': [string];
  'peer-left': [string];
  refused: [P2PError];
}

export class MetadataServer extends EventEmitter<MetadataServerEvents> implements TopologySource {
  readonly registry = new PeerRegistry();
  readonly traffic = new TrafficRelay(this.registry);
  readonly activity = new ActivityGuard(this.registry);
  private readonly wire: WireServer;
  /** The connection each registered peer id registered over. */
  private readonly registrations = new Map<string, Connection>();
  /** Ids whose address is being checked: taken, so a second registrant cannot race in. */
  private readonly verifying = new Set<string>();
  private bound: Address | undefined;
  private readonly repair: PartitionRepair;
  private readonly security: ChannelSecurity;
  readonly relay: RelayHub;
  private readonly circuits: CircuitBroker;

  constructor(private readonly options: MetadataServerOptions = {}) {
    super();
    this.security = options.security ?? ephemeralSecurity('');
    this.wire = new WireServer({
      key: options.key,
      security: this.security,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      idleTimeoutMs: options.peerTimeoutMs ?? 15_000,
    });
    this.wire.on('connection', (conn) => this.attach(conn));
    this.wire.on('rejected', (err) => this.emit('refused', err));
    this.relay = new RelayHub(options.relay);
    this.circuits = new CircuitBroker(this.relay, (id) => this.registrations.get(id));
    this.repair = new PartitionRepair({
      intervalMs: options.repairIntervalMs ?? 1000,
      peers: () => this.registry.snapshot().peers.filter((p) => p.mode === 'flood'),
      mend: (id, peer) =>
        this.registrations
          .get(id)
          ?.send({ t: 'mend', peer })
          .catch(() => undefined),
    });
  }

  async listen(): Promise<Address> {
    const host = this.options.host ?? '127.0.0.1';
    this.bound = await this.wire.listen(host, this.options.port ?? 5000);
    try {
      await this.relay.listen(host, this.options.relay?.port ?? 0);
    } catch (err) {
      await this.wire.close();
      throw err;
    }
    this.repair.start();
    return this.bound;
  }

  get address(): Address {
    if (!this.bound) throw new Error('MetadataServer is not listening');
    return this.bound;
  }

  snapshot(): TopologySnapshot {
    return this.registry.snapshot();
  }

  onChange(listener: (message: BridgeMessage) => void): () => void {
    return this.registry.onChange(listener);
  }

  async close(): Promise<void> {
    this.repair.close();
    this.registrations.clear();
    await this.relay.close();
    await this.wire.close();
  }

  private attach(conn: Connection): void {
    let peerId: string | undefined;
    let registering = false;
    conn.once('close', () => {
      if (peerId !== undefined && this.registrations.get(peerId) === conn) {
        this.registrations.delete(peerId);
        this.registry.remove(peerId);
        this.traffic.forget(peerId);
        this.activity.forget(peerId);
        this.relay.forget(peerId);
        this.circuits.forget(peerId);
        this.emit('peer-left', peerId);
      }
    });
    conn.setHandler((incoming) => {
      try {
        if (incoming.msg.t !== 'register') return this.handle(conn, incoming, peerId);
        if (registering || peerId !== undefined) throw new P2PError('PROTOCOL', 'already registered');
        registering = true;
        void this.register(conn, incoming, incoming.msg).then((id) => {
          peerId = id;
          registering = id !== undefined;
        });
      } catch (err) {
        void conn.replyError(incoming, err).catch(() => undefined);
      }
    });
  }

  /**
   * Registers a peer once its address is proved (address-proof.ts); resolves with its id, or
   * undefined after a refusal (answered, then the connection closes).
   */
  private async register(conn: Connection, incoming: Incoming, msg: RegisterMessage): Promise<string | undefined> {
    let refusal = this.refusal(msg.id, msg.flag);
    let reachable = true;
    if (!refusal) {
      this.verifying.add(msg.id);
      refusal = await this.proveAddress(conn, msg).finally(() => this.verifying.delete(msg.id));
      // unreachable but asking for the relay: admitted, and never referred to at its address alone
      if (refusal?.code === 'ADDRESS_UNVERIFIED' && msg.relay === true && !unreachableAfterChallenge(refusal)) {
        refusal = undefined;
        reachable = false;
      }
    }
    if (!conn.isOpen) return;
    if (refusal) {
      this.emit('refused', refusal);
      void conn.replyError(incoming, refusal).finally(() => setTimeout(() => conn.close(), 50).unref());
      return;
    }
    const referrals = this.registry.referrals([msg.id], this.options.maxReferrals ?? 64, msg.mode);
    const { remoteFingerprint } = conn;
    this.registry.add({
      id: msg.id,
      host: msg.host,
      port: msg.port,
      mode: msg.mode,
      fingerprint: remoteFingerprint,
      relayed: !reachable || undefined,
    });
    this.registrations.set(msg.id, conn);
    // only a peer others can reach may relay for them
    if (reachable && msg.relayPort !== undefined) this.circuits.offer(msg.id, msg.host, msg.relayPort);
    this.emit('peer-registered', msg.id);
    const answer = { t: 'registered', referrals, reachable, relayPort: this.relay.port } as const;
    void conn.reply(incoming, answer).catch(() => undefined);
    return msg.id;
  }

  /** Gives the registrant a token, then asks the listener at its address for it. */
  private async proveAddress(conn: Connection, msg: RegisterMessage): Promise<P2PError | undefined> {
    const token = newAddressToken();
    const timeoutMs = this.options.addressCheckTimeoutMs ?? 3000;
    try {
      await conn.request({ t: 'address-challenge', token }, { timeoutMs });
    } catch (err) {
      const reason = toP2PError(err).message;
      return new P2PError('ADDRESS_UNVERIFIED', `${NO_TOKEN}: ${reason}`);
    }
    try {
      await verifyAddress({ host: msg.host, port: msg.port }, token, {
        key: this.options.key,
        security: this.security,
        registrant: { id: msg.id, fingerprint: conn.remoteFingerprint },
        timeoutMs,
      });
      return;
    } catch (err) {
      return toP2PError(err, 'ADDRESS_UNVERIFIED');
    }
  }

  /** Handles one message of a connection (registered as `peerId`, if it is). */
  private handle(conn: Connection, incoming: Incoming, peerId: string | undefined): void {
    const { msg } = incoming;
    switch (msg.t) {
      case 'links':
        if (peerId !== undefined) this.registry.updateLinks(peerId, msg);
        return;
      case 'files-report':
        if (peerId !== undefined) this.registry.updateFiles(peerId, msg.files);
        return;
      case 'referrals-get': {
        const exclude = [...(msg.exclude ?? []), ...(peerId !== undefined ? [peerId] : [])];
        const mode = peerId !== undefined ? this.registry.modeOf(peerId) : undefined;
        const peers = this.registry.referrals(exclude, this.options.maxReferrals ?? 64, mode);
        void conn.reply(incoming, { t: 'referrals', peers }).catch(() => undefined);
        return;
      }
      case 'relay-connect':
        this.openCircuit(peerId, msg)
          .then(
            ({ token, port, host }) =>
              conn.reply(incoming, { t: 'relay-ticket', token, port, ...(host ? { host } : {}) }),
            (err: unknown) => conn.replyError(incoming, err),
          )
          .catch(() => undefined);
        return;
      case 'punch-request':
        this.coordinatePunch(conn, peerId, msg)
          .then(
            (peer) => conn.reply(incoming, { t: 'punch-go', peer }),
            (err: unknown) => conn.replyError(incoming, err),
          )
          .catch(() => undefined); // the asker left before the answer
        return;
      case 'topology-get':
        void conn.reply(incoming, { t: 'topology', peers: this.registry.snapshot().peers }).catch(() => undefined);
        return;
      case 'activity-search':
        if (peerId !== undefined) this.activity.search(peerId, msg);
        return;
      case 'activity-traffic':
        // only a registered peer reports, and only for itself: `to` is who this connection is
        if (peerId !== undefined) this.traffic.relay(peerId, msg.flows);
        return;
      case 'activity-transfer':
        if (peerId !== undefined) this.activity.transfer(peerId, msg);
        return;
      case 'ping':
        return;
      case 'goodbye':
        conn.close();
        return;
      default:
        throw new P2PError('PROTOCOL', `the metaserver does not handle "${msg.t}"`);
    }
  }

  /**
   * A circuit from a registered peer to a relayed one, on this relay or a helper's
   * (circuit-broker.ts): a token for each end, the target's sent over its registration
   * connection; resolves with the dialer's ticket.
   */
  private async openCircuit(dialer: string | undefined, request: RelayConnect) {
    const { id: target, host: knownHost, port: knownPort } = request;
    if (dialer === undefined) throw new P2PError('PROTOCOL', 'only a registered peer may use the relay');
    const targetConn = this.registrations.get(target);
    if (!targetConn || !this.registry.isRelayed(target))
      throw new P2PError('PEER_UNREACHABLE', `"${target}" is not a relayed peer of this network`);
    // a contact that pairs the id with another address is a lie (or stale): a circuit would carry
    // it to the peer anyway and place that peer where it is not (on a ring, in a neighbour table)
    const registered = this.registry.addressOf(target);
    if (knownHost !== undefined && (knownHost !== registered?.host || knownPort !== registered.port))
      throw new P2PError(
        'PEER_UNREACHABLE',
        `"${target}" is registered at ${registered?.host}:${registered?.port}, not at ${knownHost}:${knownPort}`,
      );
    const { tickets, relay } = await this.circuits.open(dialer, target);
    const port = relay?.port ?? this.relay.port;
    const host = relay?.host;
    const where = host ? { host } : {};
    void targetConn.send({ t: 'relay-open', token: tickets.targetToken, port, ...where }).catch(() => undefined);
    return { token: tickets.dialerToken, port, host };
  }

  /**
   * A hole punch between the two ends of a relayed circuit, to move it onto a direct path: each
   * learns the other's address as seen from here, the local port it connects from
   * (relay/hole-punch.ts), and the target which of its circuits moves (by its own end's token).
   */
  private async coordinatePunch(conn: Connection, dialer: string | undefined, request: PunchRequest) {
    if (dialer === undefined) throw new P2PError('PROTOCOL', 'only a registered peer may ask for a punch');
    const { id: target, port } = request;
    const targetConn = this.registrations.get(target);
    if (!targetConn || !this.registry.isRelayed(target))
      throw new P2PError('PEER_UNREACHABLE', `"${target}" is not a relayed peer of this network`);
    const token = this.relay.otherEnd(request.token, dialer, target);
    const offer = { id: dialer, host: seenHost(conn), port };
    const answer = await targetConn.request({ t: 'punch-offer', peer: offer, token }, { timeoutMs: 3000 });
    if (answer.msg.t !== 'punch-port') throw new P2PError('PROTOCOL', `"${target}" answered no port`);
    return { id: target, host: seenHost(targetConn), port: answer.msg.port };
  }

  private refusal(id: string, flag: string): P2PError | undefined {
    if (flag.toLowerCase() !== 'p2p')
      return new P2PError('BAD_FLAG', `wrong flag "${flag}": the network flag is "p2p"`);
    if (id === '') return new P2PError('EMPTY_ID', 'a peer id must not be empty');
    if (this.registry.has(id) || this.verifying.has(id))
      return new P2PError('DUPLICATE_ID', `a live peer already uses the id "${id}"`);
    const max = this.options.maxPeers ?? 0;
    if (max > 0 && this.registry.size >= max) return new P2PError('NETWORK_FULL', `the network is full (${max} peers)`);
    return;
  }
}

const NO_TOKEN = 'the registrant did not take its address token';

/** True when the registrant itself failed the check (not its address): no relay admits that. */
function unreachableAfterChallenge(refusal: P2PError): boolean {
  return refusal.message.startsWith(NO_TOKEN);
}

/** The address a peer's connection comes from, as a plain IPv4 when it is one (a dual-stack listener maps it). */
function seenHost(conn: Connection): string {
  return conn.remoteHost.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

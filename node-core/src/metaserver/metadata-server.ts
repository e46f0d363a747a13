// The metadata server: bootstrap and observer. Peers register over a long-lived connection
// (any traffic on it is a heartbeat; silence past peerTimeoutMs expires the peer), report
// links, files and activity, and ask for referrals. Search and download never go through it.
import { EventEmitter } from 'node:events';
import type { Address } from '../events';
import type { BridgeMessage, TopologySnapshot, TopologySource } from '../topology';
import { Connection, P2PError, WireServer, type Incoming } from '../wire';
import { PeerRegistry } from './peer-registry';

export interface MetadataServerOptions {
  host?: string;
  port?: number;
  /** Refuse registrations beyond this many live peers (0 or undefined: no limit). */
  maxPeers?: number;
  key?: string;
  /** A registered peer silent for this long is expired. */
  peerTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  maxReferrals?: number;
}

export interface MetadataServerEvents {
  'peer-registered': [string];
  'peer-left': [string];
  refused: [P2PError];
}

export class MetadataServer extends EventEmitter<MetadataServerEvents> implements TopologySource {
  readonly registry = new PeerRegistry();
  private readonly wire: WireServer;
  /** The connection each registered peer id registered over. */
  private readonly registrations = new Map<string, Connection>();
  private bound: Address | undefined;

  constructor(private readonly options: MetadataServerOptions = {}) {
    super();
    this.wire = new WireServer({
      key: options.key,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      idleTimeoutMs: options.peerTimeoutMs ?? 15_000,
    });
    this.wire.on('connection', (conn) => this.attach(conn));
    this.wire.on('rejected', (err) => this.emit('refused', err));
  }

  async listen(): Promise<Address> {
    this.bound = await this.wire.listen(this.options.host ?? '127.0.0.1', this.options.port ?? 5000);
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
    this.registrations.clear();
    await this.wire.close();
  }

  private attach(conn: Connection): void {
    let peerId: string | undefined;
    conn.once('close', () => {
      if (peerId !== undefined && this.registrations.get(peerId) === conn) {
        this.registrations.delete(peerId);
        this.registry.remove(peerId);
        this.emit('peer-left', peerId);
      }
    });
    conn.setHandler((incoming) => {
      try {
        const id = this.handle(conn, incoming, peerId);
        if (id !== undefined) peerId = id;
      } catch (err) {
        void conn.replyError(incoming, err).catch(() => undefined);
      }
    });
  }

  /** Handles one message; returns the peer id when this message registered one. */
  private handle(conn: Connection, incoming: Incoming, peerId: string | undefined): string | undefined {
    const { msg } = incoming;
    switch (msg.t) {
      case 'register': {
        if (peerId !== undefined) throw new P2PError('PROTOCOL', 'already registered');
        const refusal = this.refusal(msg.id, msg.flag);
        if (refusal) {
          this.emit('refused', refusal);
          void conn.replyError(incoming, refusal).finally(() => setTimeout(() => conn.close(), 50).unref());
          return undefined;
        }
        const referrals = this.registry.referrals([msg.id], this.options.maxReferrals ?? 64, msg.mode);
        this.registry.add({ id: msg.id, host: msg.host, port: msg.port, mode: msg.mode });
        this.registrations.set(msg.id, conn);
        this.emit('peer-registered', msg.id);
        void conn.reply(incoming, { t: 'registered', referrals }).catch(() => undefined);
        return msg.id;
      }
      case 'links':
        if (peerId !== undefined) this.registry.updateLinks(peerId, msg.neighbors, msg.chord);
        return undefined;
      case 'files-report':
        if (peerId !== undefined) this.registry.updateFiles(peerId, msg.files);
        return undefined;
      case 'referrals-get': {
        const exclude = [...(msg.exclude ?? []), ...(peerId !== undefined ? [peerId] : [])];
        const mode = peerId !== undefined ? this.registry.modeOf(peerId) : undefined;
        const peers = this.registry.referrals(exclude, this.options.maxReferrals ?? 64, mode);
        void conn.reply(incoming, { t: 'referrals', peers }).catch(() => undefined);
        return undefined;
      }
      case 'topology-get':
        void conn.reply(incoming, { t: 'topology', peers: this.registry.snapshot().peers }).catch(() => undefined);
        return undefined;
      case 'activity-search':
        this.registry.announce({
          type: 'search',
          origin: msg.origin,
          name: msg.name,
          queryId: msg.qid,
          path: msg.path,
        });
        return undefined;
      case 'activity-traffic':
        // only a registered peer reports, and only for itself: `to` is who this connection is
        if (peerId !== undefined) this.registry.announce({ type: 'traffic', to: peerId, flows: msg.flows });
        return undefined;
      case 'activity-transfer':
        this.registry.announce({
          type: 'transfer',
          from: msg.from,
          to: msg.to,
          name: msg.name,
          bytes: msg.bytes,
          total: msg.total,
          done: msg.done,
        });
        return undefined;
      case 'ping':
        return undefined;
      case 'goodbye':
        conn.close();
        return undefined;
      default:
        throw new P2PError('PROTOCOL', `the metaserver does not handle "${msg.t}"`);
    }
  }

  private refusal(id: string, flag: string): P2PError | undefined {
    if (flag.toLowerCase() !== 'p2p')
      return new P2PError('BAD_FLAG', `wrong flag "${flag}": the network flag is "p2p"`);
    if (id === '') return new P2PError('EMPTY_ID', 'a peer id must not be empty');
    if (this.registry.has(id)) return new P2PError('DUPLICATE_ID', `a live peer already uses the id "${id}"`);
    const max = this.options.maxPeers ?? 0;
    if (max > 0 && this.registry.size >= max) return new P2PError('NETWORK_FULL', `the network is full (${max} peers)`);
    return undefined;
  }
}

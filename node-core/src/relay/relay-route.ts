// A peer's way through the metaserver's relay, both directions. As a dialer it asks for a
// ticket over its registration connection and connects to the relay with it (dial() then runs
// TLS over that stream, end to end). As a relayed peer it answers each `relay-open` by
// connecting to the relay itself and handing the stream to its own listener, so the link
// arrives as any inbound link would. With --punch both ends' streams may move to a direct path
// (direct-upgrade.ts).
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Address, PeerRef, PunchEvent, RelayCircuitEvent } from '../events';
import type { MetaserverClient, RelayTicket } from '../metaserver/metaserver-client';
import { RelayHub, type RelayLimits } from './relay-hub';
import { P2PError, toP2PError, type RelayRoute } from '../wire';
import { DirectUpgrade } from './direct-upgrade';
import { MigratingStream } from './migrating-stream';
import { encodePreamble } from './relay-preamble';

/** Relayed circuits this peer may be opening at once as the relayed end (a flood of relay-open costs no more). */
const MAX_OPENING = 32;
/** Peer ids remembered as reachable only through the relay. */
const MAX_REMEMBERED = 10_000;

export interface MetaserverRelayOptions {
  connectTimeoutMs?: number;
  /** `--punch`: a relayed link between two relayed peers moves to a punched direct path (direct-upgrade.ts). */
  punch?: boolean;
  /** Each punch this peer tried as the dialer, and how it went. */
  onPunch?: (event: PunchEvent) => void;
  /** `--relay-for-others`: this peer also relays circuits between others, within these caps. */
  relayForOthers?: RelayLimits;
  /** Each circuit this peer relayed for others, as it ends, with its relay's counters. */
  onRelayed?: (event: RelayCircuitEvent) => void;
}

/** Where a relayed end's stream goes: the peer's own listener (WireServer.adopt). */
export interface InboundStreams {
  adopt(socket: Duplex): void;
}

/**
 * Made before the peer's overlay (which dials through it), attached to the metaserver client and
 * the listener once both exist; until then it only knows which peers are relayed.
 */
export class MetaserverRelay implements RelayRoute {
  private readonly relayedIds = new Set<string>();
  private readonly opening = new Set<net.Socket>();
  private readonly onRelayOpen = (ticket: RelayTicket): void => this.answerCircuit(ticket);
  private attached: { client: MetaserverClient; listener: InboundStreams } | undefined;
  private closed = false;
  private readonly upgrade: DirectUpgrade | undefined;
  private readonly onPunchOffer = (peer: PeerRef, token: string, answer: (port: number | undefined) => void): void =>
    this.upgrade ? this.upgrade.answer(peer, token, answer) : answer(undefined);

  /** `--relay-for-others`: the relay this peer runs for others (listening once listenForOthers() resolved). */
  readonly forOthers: RelayHub | undefined;

  constructor(private readonly options: MetaserverRelayOptions = {}) {
    if (options.punch) this.upgrade = new DirectUpgrade(options.onPunch);
    if (options.relayForOthers) {
      this.forOthers = new RelayHub(options.relayForOthers);
      if (options.onRelayed) this.forOthers.on('circuit-end', options.onRelayed);
    }
  }

  /** Starts the relay for others (if asked for) on `host`, before registering, which announces its port. */
  async listenForOthers(host: string): Promise<void> {
    await this.forOthers?.listen(host);
  }

  attach(client: MetaserverClient, listener: InboundStreams): void {
    this.attached = { client, listener };
    client.on('relay-open', this.onRelayOpen);
    client.on('punch-offer', this.onPunchOffer);
  }

  prefers(peer: PeerRef): boolean {
    return peer.relayed === true || this.relayedIds.has(peer.id);
  }

  /** A stream through the relay at once; with --punch, between two relayed peers, it moves direct if a punch works. */
  async open(peer: PeerRef, signal?: AbortSignal): Promise<Duplex> {
    if (this.closed) throw new P2PError('CANCELLED', 'the peer is stopping');
    if (!this.attached) throw new P2PError('PEER_UNREACHABLE', 'no metaserver to relay through');
    const { client } = this.attached;
    const ticket = await client.relayTicket(peer, signal);
    const relay = { host: ticket.host, port: ticket.port };
    const upgrade = this.shouldPunch(peer) ? this.upgrade : undefined;
    const socket = await this.connect(relay, ticket.token, upgrade !== undefined, signal);
    if (!upgrade) return socket;
    const stream = new MigratingStream(socket);
    upgrade.start(client, peer, ticket.token, stream);
    return stream;
  }

  reachedThroughRelay(peer: PeerRef): void {
    if (this.relayedIds.size >= MAX_REMEMBERED) this.relayedIds.clear();
    this.relayedIds.add(peer.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.attached?.client.off('relay-open', this.onRelayOpen);
    this.attached?.client.off('punch-offer', this.onPunchOffer);
    this.upgrade?.close();
    for (const socket of this.opening) socket.destroy();
    await this.forOthers?.close();
  }

  /** Both ends behind NAT (this peer relayed too), and no recent failed punch with this peer. */
  private shouldPunch(peer: PeerRef): boolean {
    if (!this.upgrade || !this.attached?.client.reachability?.relayed) return false;
    return this.upgrade.worthTrying(peer.id);
  }

  /** The relayed end of a circuit: connect to the relay, then serve the stream as an inbound link. */
  private answerCircuit({ token, host, port }: RelayTicket): void {
    const attached = this.attached;
    if (this.closed || !attached || this.opening.size >= MAX_OPENING) return;
    const opened = this.connect({ host, port }, token, this.upgrade !== undefined);
    const serve = (stream: Promise<Duplex>): void =>
      void stream.then(
        (s) => (this.closed ? s.destroy() : attached.listener.adopt(s)),
        () => undefined,
      );
    if (!this.upgrade) return serve(opened);
    const movable = opened.then((socket) => new MigratingStream(socket));
    this.upgrade.track(token, movable);
    serve(movable);
  }

  /** A TCP connection to the relay that has sent its preamble; nothing else is read or written here. */
  private connect(relay: Address, token: string, halfOpen: boolean, signal?: AbortSignal): Promise<net.Socket> {
    const preamble = encodePreamble(token);
    return new Promise<net.Socket>((resolve, reject) => {
      // a stream that may move stops writing here on its own while the far end may still send
      const socket = net.connect({ host: relay.host, port: relay.port, allowHalfOpen: halfOpen });
      this.opening.add(socket);
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.opening.delete(socket);
        socket.off('error', finish);
        signal?.removeEventListener('abort', onAbort);
        // whoever takes the stream (TLS) sees its failures; this keeps a late one from being unhandled
        socket.on('error', () => undefined);
        if (!err) return resolve(socket);
        socket.destroy();
        reject(toP2PError(err, 'PEER_UNREACHABLE'));
      };
      const onAbort = (): void => finish(new P2PError('CANCELLED', 'dial cancelled'));
      const timer = setTimeout(
        () => finish(new P2PError('PEER_UNREACHABLE', `the relay at ${relay.host}:${relay.port} did not answer`)),
        this.options.connectTimeoutMs ?? 5000,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', finish);
      socket.once('connect', () => {
        socket.write(preamble);
        finish();
      });
    });
  }
}

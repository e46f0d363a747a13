// A peer's way through the metaserver's relay, both directions. As a dialer it asks for a
// ticket over its registration connection and connects to the relay with it (dial() then runs
// TLS over that stream, end to end). As a relayed peer it answers each `relay-open` by
// connecting to the relay itself and handing the stream to its own listener, so the link
// arrives as any inbound link would.
import * as net from 'node:net';
import type { Address, PeerRef } from '../events';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import { P2PError, toP2PError, type RelayRoute } from '../wire';
import type { PunchEvent } from '../events';
import { freePort, PUNCH_TIMEOUT_MS, simultaneousOpen } from './hole-punch';
import { encodePreamble } from './relay-preamble';

/** Relayed circuits this peer may be opening at once as the relayed end (a flood of relay-open costs no more). */
const MAX_OPENING = 32;
/** Peer ids remembered as reachable only through the relay. */
const MAX_REMEMBERED = 10_000;

export interface MetaserverRelayOptions {
  connectTimeoutMs?: number;
  /** `--punch`: between two relayed peers, try a hole punch before the relay (hole-punch.ts). */
  punch?: boolean;
  /** Each punch this peer tried as the dialer, and how it went. */
  onPunch?: (event: PunchEvent) => void;
}

/** After a failed punch, the relay is used for that peer this long before punching again. */
const PUNCH_BACKOFF_MS = 60_000;
/** Punches this peer may be answering at once (a flood of offers costs no more). */
const MAX_PUNCHING = 8;

/** Where a relayed end's stream goes: the peer's own listener (WireServer.adopt). */
export interface InboundStreams {
  adopt(socket: net.Socket): void;
}

/**
 * Made before the peer's overlay (which dials through it), attached to the metaserver client and
 * the listener once both exist; until then it only knows which peers are relayed.
 */
export class MetaserverRelay implements RelayRoute {
  private readonly relayedIds = new Set<string>();
  private readonly opening = new Set<net.Socket>();
  private readonly onRelayOpen = (token: string, port: number): void => this.answerCircuit(token, port);
  private attached: { client: MetaserverClient; listener: InboundStreams } | undefined;
  private closed = false;
  /** When a punch to each peer id last failed. */
  private readonly punchFailed = new Map<string, number>();
  private readonly punching = new Set<Promise<unknown>>();
  private readonly onPunchOffer = (peer: PeerRef, answer: (port: number | undefined) => void): void =>
    this.answerPunch(peer, answer);

  constructor(private readonly options: MetaserverRelayOptions = {}) {}

  attach(client: MetaserverClient, listener: InboundStreams): void {
    this.attached = { client, listener };
    client.on('relay-open', this.onRelayOpen);
    if (this.options.punch) client.on('punch-offer', this.onPunchOffer);
  }

  prefers(peer: PeerRef): boolean {
    return peer.relayed === true || this.relayedIds.has(peer.id);
  }

  async open(peer: PeerRef, signal?: AbortSignal): Promise<net.Socket> {
    if (this.closed) throw new P2PError('CANCELLED', 'the peer is stopping');
    if (!this.attached) throw new P2PError('PEER_UNREACHABLE', 'no metaserver to relay through');
    const { client } = this.attached;
    if (this.shouldPunch(peer)) {
      const punched = await this.punch(client, peer, signal).catch(() => undefined);
      if (punched) return punched;
    }
    const ticket = await client.relayTicket(peer.id, signal);
    return this.connect({ host: client.address.host, port: ticket.port }, ticket.token, signal);
  }

  reachedThroughRelay(peer: PeerRef): void {
    if (this.relayedIds.size >= MAX_REMEMBERED) this.relayedIds.clear();
    this.relayedIds.add(peer.id);
  }

  close(): void {
    this.closed = true;
    this.attached?.client.off('relay-open', this.onRelayOpen);
    this.attached?.client.off('punch-offer', this.onPunchOffer);
    for (const socket of this.opening) socket.destroy();
  }

  /** Both ends behind NAT (this peer relayed too), and no recent failure with this peer. */
  private shouldPunch(peer: PeerRef): boolean {
    if (!this.options.punch || !this.attached?.client.reachability?.relayed) return false;
    const failed = this.punchFailed.get(peer.id);
    return failed === undefined || Date.now() - failed > PUNCH_BACKOFF_MS;
  }

  private async punch(client: MetaserverClient, peer: PeerRef, signal?: AbortSignal): Promise<net.Socket> {
    const started = performance.now();
    try {
      const port = await freePort();
      const remote = await client.punch(peer.id, port, signal);
      const socket = await simultaneousOpen(remote, port, PUNCH_TIMEOUT_MS, signal);
      this.punchFailed.delete(peer.id);
      this.options.onPunch?.({ event: 'punch', peer: peer.id, ok: true, ms: Math.round(performance.now() - started) });
      return socket;
    } catch (err) {
      this.punchFailed.set(peer.id, Date.now());
      const ms = Math.round(performance.now() - started);
      this.options.onPunch?.({ event: 'punch', peer: peer.id, ok: false, ms, message: toP2PError(err).message });
      throw err;
    }
  }

  /** The relayed end of a punch: a port for the asker, then connect from it; a link that comes up is inbound. */
  private answerPunch(peer: PeerRef, answer: (port: number | undefined) => void): void {
    const attached = this.attached;
    if (this.closed || !attached || this.punching.size >= MAX_PUNCHING) return answer(undefined);
    const attempt = freePort()
      .then(async (port) => {
        answer(port);
        const socket = await simultaneousOpen(peer, port);
        if (this.closed) socket.destroy();
        else attached.listener.adopt(socket);
      })
      .catch(() => answer(undefined));
    this.punching.add(attempt);
    void attempt.finally(() => this.punching.delete(attempt));
  }

  /** The relayed end of a circuit: connect to the relay, then serve the stream as an inbound link. */
  private answerCircuit(token: string, port: number): void {
    const attached = this.attached;
    if (this.closed || !attached || this.opening.size >= MAX_OPENING) return;
    this.connect({ host: attached.client.address.host, port }, token).then(
      (socket) => (this.closed ? socket.destroy() : attached.listener.adopt(socket)),
      () => undefined,
    );
  }

  /** A TCP connection to the relay that has sent its preamble; nothing else is read or written here. */
  private connect(relay: Address, token: string, signal?: AbortSignal): Promise<net.Socket> {
    const preamble = encodePreamble(token);
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: relay.host, port: relay.port });
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

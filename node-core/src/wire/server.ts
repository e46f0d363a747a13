// Listening side and dialing side of the wire: a WireServer accepts TLS connections and hands
// each authenticated Connection to its owner; dial() connects, runs TLS and the handshake.
// Both track what they open so close() leaves nothing behind.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import type { Address, PeerRef } from '../events';
import { Connection, type ConnectionOptions, type HandshakeOptions, type RelayedStream } from './connection';
import { P2PError, toP2PError } from './errors';
import { ReusedReadBuffer } from './reused-read-buffer';
import {
  anonymousSecurity,
  type ChannelSecurity,
  isTlsFailure,
  PLAINTEXT_SESSION,
  sessionOf,
  tlsClientOptions,
  tlsServerOptions,
} from './secure-channel';

export interface DialOptions extends HandshakeOptions {
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Reaches peers behind NAT: a dial with `expectId` may go through this relay (see dial()). */
  relay?: RelayRoute;
}

/** A way to a peer that cannot be dialed: a raw stream to it, spliced by a relay that sees only TLS records. */
export interface RelayRoute {
  /** True when the peer is known to be unreachable directly: dial it through the relay at once. */
  prefers(peer: PeerRef): boolean;
  /** A raw byte stream whose far end is `peer`'s listener (TLS runs over it end to end). */
  open(peer: PeerRef, signal?: AbortSignal): Promise<Duplex>;
  /** `peer` answered through the relay: prefer the relay for it from now on. */
  reachedThroughRelay(peer: PeerRef): void;
}

/**
 * A direct dial that failed in one of these ways may still reach the peer through a relay: no
 * answer, someone else's key, or an address that answers without our TLS (a NAT or another
 * service at the peer's announced address). The relay only opens circuits to relayed peers.
 */
const RELAY_FALLBACK: ReadonlySet<string> = new Set(['PEER_UNREACHABLE', 'ID_MISMATCH', 'HANDSHAKE_FAILED']);

/**
 * Connects to `address`, runs TLS and then the handshake as the dialer. With `relay` and
 * `expectId`, a peer marked relayed is dialed through the relay, and a failed direct dial is
 * retried through it; the TLS session and the hello are end to end either way.
 */
export async function dial(address: Address | PeerRef, options: DialOptions = {}): Promise<Connection> {
  const { relay, expectId } = options;
  if (!relay || !expectId) return dialDirect(address, options);
  const peer: PeerRef = { ...address, id: expectId };
  if (relay.prefers(peer)) return dialRelayFirst(peer, relay, options);
  try {
    return await dialDirect(address, options);
  } catch (err) {
    if (!(err instanceof P2PError) || !RELAY_FALLBACK.has(err.code) || options.signal?.aborted) throw err;
    const stream = await relay.open(peer, options.signal).catch(() => Promise.reject(err));
    return secureChannel(stream, address, { ...options, relayed: stream }).then((conn) => {
      relay.reachedThroughRelay(peer);
      return conn;
    });
  }
}

/**
 * Through the relay at once. A `relayed` mark on the ref may come from another peer, a claim
 * nobody checked: when it alone chose the relay and the relay fails (the metaserver opens circuits
 * only to peers it admitted as relayed), the announced address is dialed, as without the mark.
 */
async function dialRelayFirst(peer: PeerRef, relay: RelayRoute, options: DialOptions): Promise<Connection> {
  try {
    return await dialThroughRelay(peer, relay, options);
  } catch (err) {
    const onlyMarked = !relay.prefers({ ...peer, relayed: false });
    if (!onlyMarked || options.signal?.aborted) throw err;
    return dialDirect(peer, options);
  }
}

async function dialThroughRelay(peer: PeerRef, relay: RelayRoute, options: DialOptions): Promise<Connection> {
  const stream = await relay.open(peer, options.signal);
  return secureChannel(stream, peer, { ...options, relayed: stream });
}

function dialDirect(address: Address, options: DialOptions): Promise<Connection> {
  const reads = new ReusedReadBuffer();
  // `onread` works on TLS sockets too (decrypted bytes), though @types/node lists it for net only
  return secureChannel({ host: address.host, port: address.port, onread: reads.onread }, address, options, reads);
}

/** TLS over a new TCP connection to `target`, or over a stream already open (a relayed circuit); then the hello. */
function secureChannel(
  target: Duplex | (Address & { onread: ReusedReadBuffer['onread'] }),
  address: Address,
  options: DialOptions & { relayed?: RelayedStream },
  reads?: ReusedReadBuffer,
): Promise<Connection> {
  const security = options.security ?? anonymousSecurity();
  const plaintext = security.plaintextBenchOnly === true;
  const stream = target instanceof Duplex ? target : undefined;
  return new Promise<net.Socket>((resolve, reject) => {
    if (options.signal?.aborted) {
      stream?.destroy();
      return reject(new P2PError('CANCELLED', 'dial cancelled'));
    }
    if (stream && plaintext) {
      if (stream instanceof net.Socket) return resolve(stream);
      stream.destroy();
      return reject(new P2PError('INTERNAL', 'a plaintext link runs over a socket only'));
    }
    const clientOptions = tlsClientOptions(security.identity);
    const socket = stream
      ? tls.connect({ ...clientOptions, socket: stream })
      : plaintext
        ? net.connect(target as net.NetConnectOpts)
        : tls.connect({ ...clientOptions, ...target } as tls.ConnectionOptions);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const fail = (err: P2PError): void => {
      cleanup();
      socket.destroy();
      stream?.destroy();
      reject(err);
    };
    const onError = (err: Error): void =>
      fail(
        isTlsFailure(err)
          ? new P2PError('HANDSHAKE_FAILED', `TLS with ${address.host}:${address.port} failed: ${err.message}`)
          : toP2PError(err, 'PEER_UNREACHABLE'),
      );
    const onAbort = (): void => fail(new P2PError('CANCELLED', 'dial cancelled'));
    const timer = setTimeout(
      () => fail(new P2PError('PEER_UNREACHABLE', `connect to ${address.host}:${address.port} timed out`)),
      timeoutMs,
    );
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(plaintext ? 'connect' : 'secureConnect', () => {
      cleanup();
      resolve(socket);
    });
  }).then((socket) => openChannel(socket, 'dialer', { ...options, security }, reads));
}

function openChannel(
  socket: net.Socket,
  role: 'dialer' | 'listener',
  options: DialOptions & { security: ChannelSecurity; relayed?: RelayedStream },
  reads?: ReusedReadBuffer,
): Promise<Connection> {
  let session = PLAINTEXT_SESSION;
  try {
    if (!options.security.plaintextBenchOnly) session = sessionOf(socket as tls.TLSSocket);
  } catch (err) {
    socket.destroy();
    return Promise.reject(new P2PError('HANDSHAKE_FAILED', (err as Error).message));
  }
  return Connection.open(socket, role, session, options, reads);
}

export interface WireServerEvents {
  connection: [Connection];
  /** A socket that failed its handshake (bad key, garbage, timeout): informational only. */
  rejected: [P2PError];
}

export class WireServer extends EventEmitter<WireServerEvents> {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Set<Connection>();
  private readonly options: ConnectionOptions & { security: ChannelSecurity };
  private readonly tlsOptions: tls.TlsOptions;
  private adoptedContext: tls.SecureContext | undefined;

  constructor(options: ConnectionOptions = {}) {
    super();
    this.options = { ...options, security: options.security ?? anonymousSecurity() };
    const tlsOptions = tlsServerOptions(this.options.security.identity, options.handshakeTimeoutMs ?? 5000);
    this.tlsOptions = tlsOptions;
    this.server = this.options.security.plaintextBenchOnly
      ? net.createServer((socket) => this.accept(socket))
      : tls.createServer(tlsOptions, (socket) => this.accept(socket));
    this.server.on('connection', (socket: net.Socket) => this.track(socket));
    this.server.on('tlsClientError', (err: Error, socket: net.Socket) => {
      socket.destroy();
      this.emit('rejected', new P2PError('HANDSHAKE_FAILED', `TLS handshake failed: ${err.message}`));
    });
  }

  /** Binds; resolves with the actual port (port 0 lets the OS pick). */
  listen(host: string, port: number): Promise<Address> {
    return new Promise<Address>((resolve, reject) => {
      const onError = (err: Error): void => reject(toP2PError(err));
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        const bound = this.server.address() as net.AddressInfo;
        resolve({ host, port: bound.port });
      });
    });
  }

  /**
   * Takes a stream this node opened itself as an inbound link (the far end of a relayed
   * circuit): TLS and the handshake run over it as the listener, as for an accepted socket, and
   * the link knows it is relayed (Connection.relayed).
   */
  adopt(stream: Duplex): void {
    if (!this.server.listening) return void stream.destroy();
    if (this.options.security.plaintextBenchOnly) {
      if (!(stream instanceof net.Socket)) return void stream.destroy();
      this.track(stream);
      return this.accept(stream, stream);
    }
    // TLS here rather than in the server, which would hide which stream a session runs over
    this.adoptedContext ??= tls.createSecureContext(this.tlsOptions);
    const socket = new tls.TLSSocket(stream as net.Socket, {
      isServer: true,
      secureContext: this.adoptedContext,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      stream.destroy();
      this.emit('rejected', new P2PError('HANDSHAKE_FAILED', `TLS handshake failed: ${err.message}`));
    };
    const timer = setTimeout(() => fail(new Error('timed out')), this.options.handshakeTimeoutMs ?? 5000);
    socket.once('error', fail);
    socket.once('secure', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      this.accept(socket, stream);
    });
    this.track(socket);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** This node's key fingerprint, as the others see it. */
  get fingerprint(): string {
    return this.options.security.identity.fingerprint;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(socket: net.Socket, relayed?: RelayedStream): void {
    openChannel(socket, 'listener', { ...this.options, relayed }).then(
      (conn) => {
        if (!this.server.listening) return conn.close();
        this.connections.add(conn);
        conn.once('close', () => this.connections.delete(conn));
        this.emit('connection', conn);
      },
      (err: unknown) => this.emit('rejected', toP2PError(err, 'PROTOCOL')),
    );
  }

  /** Stops listening and closes every accepted connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) conn.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

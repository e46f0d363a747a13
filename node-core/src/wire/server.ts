// Listening side and dialing side of the wire: a WireServer accepts TLS connections and hands
// each authenticated Connection to its owner; dial() connects, runs TLS and the handshake.
// Both track what they open so close() leaves nothing behind.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Address } from '../events';
import { Connection, type ConnectionOptions, type HandshakeOptions } from './connection';
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
}

/** Connects to `address`, runs TLS and then the handshake as the dialer. */
export function dial(address: Address, options: DialOptions = {}): Promise<Connection> {
  const reads = new ReusedReadBuffer();
  const security = options.security ?? anonymousSecurity();
  const plaintext = security.plaintextBenchOnly === true;
  return new Promise<net.Socket>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new P2PError('CANCELLED', 'dial cancelled'));
    const target = { host: address.host, port: address.port, onread: reads.onread };
    // `onread` works on TLS sockets too (decrypted bytes), though @types/node lists it for net only
    const socket = plaintext
      ? net.connect(target)
      : tls.connect({ ...tlsClientOptions(security.identity), ...target } as tls.ConnectionOptions);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const fail = (err: P2PError): void => {
      cleanup();
      socket.destroy();
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
  options: DialOptions & { security: ChannelSecurity },
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

  constructor(options: ConnectionOptions = {}) {
    super();
    this.options = { ...options, security: options.security ?? anonymousSecurity() };
    const tlsOptions = tlsServerOptions(this.options.security.identity, options.handshakeTimeoutMs ?? 5000);
    this.server = this.options.security.plaintextBenchOnly
      ? net.createServer((socket) => this.accept(socket))
      : tls.createServer(tlsOptions, (socket) => this.accept(socket));
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
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

  get openConnections(): number {
    return this.connections.size;
  }

  /** This node's key fingerprint, as the others see it. */
  get fingerprint(): string {
    return this.options.security.identity.fingerprint;
  }

  private accept(socket: net.Socket): void {
    openChannel(socket, 'listener', this.options).then(
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

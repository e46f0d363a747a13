// Listening side and dialing side of the wire: a WireServer accepts sockets and hands each
// authenticated Connection to its owner; dial() connects and handshakes. Both track what
// they open so close() leaves nothing behind.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Address } from '../events';
import { Connection, type ConnectionOptions } from './connection';
import { P2PError, toP2PError } from './errors';
import { ReusedReadBuffer } from './reused-read-buffer';

export interface DialOptions extends ConnectionOptions {
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Connects to `address` and runs the handshake as the dialer. */
export function dial(address: Address, options: DialOptions = {}): Promise<Connection> {
  const reads = new ReusedReadBuffer();
  return new Promise<net.Socket>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new P2PError('CANCELLED', 'dial cancelled'));
    const socket = net.connect({ host: address.host, port: address.port, onread: reads.onread });
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const fail = (err: P2PError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(toP2PError(err, 'PEER_UNREACHABLE'));
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
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  }).then((socket) => Connection.open(socket, 'dialer', options, reads));
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

  constructor(private readonly options: ConnectionOptions = {}) {
    super();
    this.server = net.createServer((socket) => this.accept(socket));
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

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    Connection.open(socket, 'listener', this.options).then(
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

// Hostile peers for tests, written against the wire protocol itself (a TLS socket, the hello of
// raw-wire.ts, encodeFrame, FrameDecoder), never through our own Connection or peer classes, so
// they can say anything a stranger could. Also a bare TCP listener that counts who connects to
// it (a third party).
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Address } from '@node-core/events';
import { encodeFrame, FrameDecoder, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import { helloFrame, rawTls } from './raw-wire';

export type Header = Record<string, unknown> & { t: string };

export interface RawPeerOptions {
  /** The id its hello announces (default '': a tool's, which may not register or join). */
  id?: string;
  /** The network key to prove in its hello. */
  key?: string;
  /** Its key pair (default: a fresh one). */
  identity?: NodeIdentity;
  timeoutMs?: number;
}

/** One wire connection driven by hand: frames in, frames out, nothing checked for us. */
export class RawPeer {
  readonly received: Header[] = [];
  private readonly decoder = new FrameDecoder();
  private readonly waiters = new Set<() => void>();
  private nextRid = 1;
  closed = false;

  private constructor(
    private readonly socket: TLSSocket,
    readonly identity: NodeIdentity,
  ) {
    socket.on('data', (bytes: Buffer) => {
      try {
        for (const frame of this.decoder.push(bytes)) this.received.push(frame.header as Header);
      } catch {
        socket.destroy();
      }
      this.wake();
    });
    socket.on('error', () => undefined); // a reset by the other side is an outcome we test for
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /**
   * Connects over TLS and completes the handshake (our hello, then the listener's). A refusal
   * rejects with the listener's error code as `code`.
   */
  static async connect(address: Address, options: RawPeerOptions = {}): Promise<RawPeer> {
    const identity = options.identity ?? NodeIdentity.ephemeral();
    const socket = await rawTls(address, identity);
    const peer = new RawPeer(socket, identity);
    socket.write(await helloFrame(socket, { id: options.id, key: options.key }));
    const answer = await peer.next((h) => h.t === 'hello' || h.t === 'error', options.timeoutMs ?? 3000);
    if (answer.t === 'error') {
      peer.close();
      throw Object.assign(new Error(`refused: ${String(answer.message)}`), { code: answer.code });
    }
    return peer;
  }

  /** Sends one frame (`v` is added); returns false once the socket would buffer. */
  send(header: Header, payload?: Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(encodeFrame({ v: PROTOCOL_VERSION, ...header }, payload));
  }

  /** Sends a request and waits for the frame that answers it. */
  async request(header: Header, timeoutMs = 3000): Promise<Header> {
    const rid = this.nextRid++;
    this.send({ ...header, rid });
    return this.next((h) => h.re === rid, timeoutMs);
  }

  reply(to: Header, header: Header): void {
    this.send({ ...header, re: to.rid });
  }

  /** The first frame (received so far or later) that matches; rejects after `timeoutMs`. */
  async next(match: (h: Header) => boolean, timeoutMs = 3000): Promise<Header> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) {
        this.received.splice(this.received.indexOf(found), 1);
        return found;
      }
      if (this.closed) throw new Error('connection closed before the expected frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Resolves once the other side has closed the connection; rejects after `timeoutMs`. */
  async whenClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/** A bare TCP listener on 127.0.0.1 that accepts and counts connections, and says nothing. */
export class CountingListener {
  connections = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => {
    this.connections++;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
  });

  async listen(): Promise<Address> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const listener = new CountingListener();
  const { port } = await listener.listen();
  await listener.close();
  return port;
}

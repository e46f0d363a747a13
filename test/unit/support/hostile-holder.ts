// A hostile holder written against the wire protocol, not with our own classes: raw TLS sockets
// with a key pair of its own, the hello of raw-wire.ts, the frame encoder and decoder, and
// headers spelled out by hand. It joins a flood peer as a
// neighbour, answers that peer's searches with a hit of its choosing, serves a manifest of its
// choosing, and answers chunk requests with random bytes, true bytes, half a chunk then silence,
// or one byte at a time. Everything it opens is closed by close().
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Server, TLSSocket } from 'node:tls';
import type { PeerRef } from '@node-core/events';
import { encodeFrame, FrameDecoder, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import type { ConnectionRole } from '@node-core/wire/auth';
import { helloFrame, rawTls, rawTlsServer } from '../raw-wire';

/** How the holder answers chunk-get. */
export type ChunkBehaviour =
  /** The whole chunk at once (its bytes from `chunkBytes`). */
  | { kind: 'whole' }
  /** The first request gets half its frame, then nothing is ever sent again. */
  | { kind: 'half-then-silence' }
  /** The first request's frame goes out one byte every `everyMs`; later requests wait behind it. */
  | { kind: 'trickle'; everyMs: number }
  /** Each chunk whole, but only `delayMs` after the previous one (a slow, steady link). */
  | { kind: 'slow'; delayMs: number };

export interface HostileHolderOptions {
  id: string;
  name: string;
  /** The manifest it serves, true or not. */
  manifest: { size: number; chunkSize: number; chunkHashes: Buffer };
  /** The Merkle root its search answers claim. */
  root: string;
  /** The bytes it sends for chunk `index` (true ones, or not). */
  chunkBytes: (index: number) => Buffer;
  chunks: ChunkBehaviour;
}

type Header = Record<string, unknown> & { t: string; rid?: number };

/**
 * One framed TLS socket: sends headers (with `v`), hands each decoded frame to `onFrame`. No
 * network key: the handshake is the dialer's hello, then the listener's.
 */
class RawLink {
  private readonly decoder = new FrameDecoder();
  private helloSeen = false;
  /** Settles once the remote's hello is in (a dialer may then send). */
  readonly ready: Promise<void>;

  constructor(
    readonly socket: TLSSocket,
    role: ConnectionRole,
    id: string,
    private readonly onFrame: (header: Header, payload: Buffer, link: RawLink) => void,
  ) {
    let helloIn: () => void = () => undefined;
    this.ready = new Promise((resolve) => (helloIn = resolve));
    const sayHello = (): void => {
      helloFrame(socket, { id }, role).then(
        (frame) => socket.destroyed || socket.write(frame),
        () => socket.destroy(),
      );
    };
    socket.on('data', (bytes: Buffer) => {
      for (const frame of this.decoder.push(bytes)) {
        const header = frame.header as Header;
        if (header.t === 'hello' && !this.helloSeen) {
          this.helloSeen = true;
          if (role === 'listener') sayHello();
          helloIn();
        } else this.onFrame(header, frame.payload, this);
      }
    });
    socket.on('error', () => undefined);
    if (role === 'dialer') sayHello();
  }

  send(header: Header, payload?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(this.frame(header, payload));
  }

  frame(header: Header, payload?: Buffer): Buffer {
    return encodeFrame({ v: PROTOCOL_VERSION, ...header }, payload);
  }
}

export class HostileHolder {
  /** Chunk payload bytes it has put on the wire. */
  chunkBytesSent = 0;
  chunkRequests = 0;
  private readonly server: Server;
  private readonly sockets = new Set<TLSSocket>();
  /** Its key pair, for its listener and its dials alike (its id is pinned to it). */
  private readonly identity = NodeIdentity.ephemeral();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stalled = false;
  /** The slow holder's answers, one after another. */
  private slowQueue: Promise<void> = Promise.resolve();
  private port = 0;

  constructor(private readonly options: HostileHolderOptions) {
    this.server = rawTlsServer(this.identity, (socket) =>
      this.adopt(socket, 'listener', (h, p, link) => this.onFrame(h, p, link)),
    );
  }

  get address(): PeerRef {
    return { id: this.options.id, host: '127.0.0.1', port: this.port };
  }

  async listen(): Promise<PeerRef> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this.address;
  }

  /** Becomes a neighbour of the peer at `peer` (so its searches reach us), pinging to stay one. */
  async join(peer: { host: string; port: number }): Promise<void> {
    const socket = await rawTls(peer, this.identity);
    const welcomed = new Promise<void>((resolve, reject) => {
      const link = this.adopt(socket, 'dialer', (header, payload, l) => {
        if (header.t === 'welcome') resolve();
        else if (header.t === 'error') reject(new Error(String(header.message)));
        else this.onFrame(header, payload, l);
      });
      void link.ready.then(() => link.send({ t: 'join', rid: 1, ...this.address }));
      const ping = setInterval(() => link.send({ t: 'ping' }), 100);
      this.timers.add(ping);
    });
    await welcomed;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close').catch(() => undefined);
  }

  private adopt(
    socket: TLSSocket,
    role: ConnectionRole,
    onFrame: (header: Header, payload: Buffer, link: RawLink) => void,
  ): RawLink {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return new RawLink(socket, role, this.options.id, onFrame);
  }

  private onFrame(header: Header, _payload: Buffer, link: RawLink): void {
    const { manifest, name } = this.options;
    switch (header.t) {
      case 'query':
        if (header.name === name) this.answerQuery(header, link);
        return;
      case 'neighbors-get':
        return link.send({ t: 'neighbors', re: header.rid, peers: [] });
      case 'manifest-get':
        return link.send(
          { t: 'manifest', re: header.rid, name, ...this.manifestFields(), chunks: manifest.chunkHashes.length / 32 },
          manifest.chunkHashes,
        );
      case 'chunk-get':
        return this.onChunkGet(header, link);
      default:
    }
  }

  private manifestFields(): { size: number; chunkSize: number } {
    const { size, chunkSize } = this.options.manifest;
    return { size, chunkSize };
  }

  /** Holders answer a search with a hit back along the link the query came by. */
  private answerQuery(query: Header, link: RawLink): void {
    link.send({
      t: 'hit',
      qid: query.qid,
      name: this.options.name,
      size: this.options.manifest.size,
      root: this.options.root,
      holder: this.address,
    });
  }

  private onChunkGet(header: Header, link: RawLink): void {
    this.chunkRequests++;
    const index = header.index as number;
    const payload = this.options.chunkBytes(index);
    const frame = link.frame({ t: 'chunk', re: header.rid, name: this.options.name, index }, payload);
    const behaviour = this.options.chunks;
    if (this.stalled) return; // everything after the first request waits behind it, forever
    if (behaviour.kind === 'whole') {
      this.chunkBytesSent += payload.length;
      link.socket.write(frame);
      return;
    }
    if (behaviour.kind === 'slow') {
      this.slowQueue = this.slowQueue
        .then(() => delay(behaviour.delayMs))
        .then(() => {
          this.chunkBytesSent += payload.length;
          if (!link.socket.destroyed) link.socket.write(frame);
        });
      return;
    }
    this.stalled = true;
    if (behaviour.kind === 'half-then-silence') {
      const half = frame.subarray(0, frame.length - Math.ceil(payload.length / 2));
      this.chunkBytesSent += half.length - (frame.length - payload.length);
      link.socket.write(half);
      return;
    }
    let sent = 0;
    const drip = setInterval(() => {
      if (sent >= frame.length || link.socket.destroyed) return clearInterval(drip);
      link.socket.write(frame.subarray(sent, sent + 1));
      sent++;
    }, behaviour.everyMs);
    this.timers.add(drip);
  }
}

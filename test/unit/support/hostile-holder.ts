// A hostile holder written against the wire protocol, not with our own classes: raw sockets, the
// frame encoder and decoder, and headers spelled out by hand. It joins a flood peer as a
// neighbour, answers that peer's searches with a hit of its choosing, serves a manifest of its
// choosing, and answers chunk requests with random bytes, true bytes, half a chunk then silence,
// or one byte at a time. Everything it opens is closed by close().
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { PeerRef } from '@node-core/events';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@node-core/wire';

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
  manifest: { size: number; chunkSize: number; sha256: string; chunkHashes: Buffer };
  /** The Merkle root its search answers claim. */
  root: string;
  /** The bytes it sends for chunk `index` (true ones, or not). */
  chunkBytes: (index: number) => Buffer;
  chunks: ChunkBehaviour;
}

type Header = Record<string, unknown> & { t: string; rid?: number };

/** One framed socket: sends headers (with `v`), hands each decoded frame to `onFrame`. */
class RawLink {
  private readonly decoder = new FrameDecoder();
  private helloSeen = false;

  constructor(
    readonly socket: Socket,
    private readonly onFrame: (header: Header, payload: Buffer, link: RawLink) => void,
  ) {
    socket.on('data', (bytes: Buffer) => {
      for (const frame of this.decoder.push(bytes)) {
        const header = frame.header as Header;
        if (header.t === 'hello' && !this.helloSeen) this.helloSeen = true;
        else this.onFrame(header, frame.payload, this);
      }
    });
    socket.on('error', () => undefined);
    // no network key: the handshake is one hello each way
    this.send({ t: 'hello', proto: PROTOCOL_VERSION, nonce: randomBytes(16).toString('hex'), auth: false });
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
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stalled = false;
  /** The slow holder's answers, one after another. */
  private slowQueue: Promise<void> = Promise.resolve();
  private port = 0;

  constructor(private readonly options: HostileHolderOptions) {
    this.server = createServer((socket) => this.adopt(socket, (h, p, link) => this.onFrame(h, p, link)));
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
    const socket = connect(peer.port, peer.host);
    await once(socket, 'connect');
    const welcomed = new Promise<void>((resolve, reject) => {
      const link = this.adopt(socket, (header, payload, l) => {
        if (header.t === 'welcome') resolve();
        else if (header.t === 'error') reject(new Error(String(header.message)));
        else this.onFrame(header, payload, l);
      });
      link.send({ t: 'join', rid: 1, ...this.address });
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

  private adopt(socket: Socket, onFrame: (header: Header, payload: Buffer, link: RawLink) => void): RawLink {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return new RawLink(socket, onFrame);
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

  private manifestFields(): { size: number; chunkSize: number; sha256: string } {
    const { size, chunkSize, sha256 } = this.options.manifest;
    return { size, chunkSize, sha256 };
  }

  /** Holders answer a search with a hit back along the link the query came by. */
  private answerQuery(query: Header, link: RawLink): void {
    const { size, sha256 } = this.options.manifest;
    link.send({
      t: 'hit',
      qid: query.qid,
      name: this.options.name,
      size,
      sha256,
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

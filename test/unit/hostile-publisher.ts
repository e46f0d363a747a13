// A stranger that publishes made-up versions of one file name to its chord owner, written
// against the wire (TLS sockets with key pairs of its own, the hello of raw-wire.ts, encodeFrame,
// FrameDecoder; the owner is driven by RawPeer). It
// listens on `listeners` ports of its own, each a "holder" with a node id that is truly SHA-1 of
// its address, and answers the owner's manifest-get with the version it last claimed there, so
// its claims pass the owner's check (unless `serveManifests` is false).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { idToHex, nodeIdOf } from '@node-core/chord/id';
import type { ChordNodeRef } from '@node-core/events';
import { fileRoot } from '@node-core/files/merkle';
import { encodeFrame, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import { RawPeer, type Header } from './hostile-wire';
import { answerRequests, rawTlsServer } from './raw-wire';

const CHUNK_SIZE = 1024 * 1024;

interface ForgedVersion {
  size: number;
  root: string;
  chunkHashes: Buffer;
}

class ForgedHolder {
  ref: ChordNodeRef = { id: 'forger', host: '127.0.0.1', port: 0, nodeId: '0'.repeat(40) };
  current: ForgedVersion | undefined;
  private readonly sockets = new Set<TLSSocket>();
  private readonly server = rawTlsServer(NodeIdentity.ephemeral(), (socket) => this.serve(socket));

  constructor(
    private readonly name: string,
    private readonly serveManifests: boolean,
    private readonly index: number,
  ) {}

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    // An id of its own: peers pin each id to the key it first came with.
    const id = `forger-${hex(3)}-${this.index}`;
    this.ref = { id, host: '127.0.0.1', port, nodeId: idToHex(nodeIdOf('127.0.0.1', port)) };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    answerRequests(socket, this.ref.id, (h) => this.answer(h, h.rid));
  }

  private answer(h: Header, rid: number): Buffer {
    const v = this.current;
    if (h.t !== 'manifest-get' || h.name !== this.name || !v || !this.serveManifests)
      return frame0({ t: 'error', code: 'NOT_SHARED', message: 'not here', re: rid });
    const { size, chunkHashes } = v;
    const header = { t: 'manifest', name: this.name, size, chunkSize: CHUNK_SIZE, chunks: 1, re: rid };
    return frame0(header, chunkHashes);
  }
}

export class VersionForger {
  private readonly holders: ForgedHolder[];
  /** Answers the owner gave, by type and error code ("ok", "error:VERIFY_FAILED", ...). */
  readonly answers = new Map<string, number>();

  constructor(
    private readonly name: string,
    listeners: number,
    serveManifests = true,
  ) {
    this.holders = Array.from({ length: listeners }, (_, i) => new ForgedHolder(name, serveManifests, i));
  }

  async listen(): Promise<void> {
    await Promise.all(this.holders.map((h) => h.listen()));
  }

  /** The holder addresses this forger claims from. */
  get refs(): ChordNodeRef[] {
    return this.holders.map((h) => h.ref);
  }

  /** Publishes `count` new versions to `owner`, one after another, each from the next holder in turn. */
  async publish(owner: { host: string; port: number }, count: number): Promise<void> {
    const wire = await RawPeer.connect(owner);
    try {
      for (let i = 0; i < count; i++) {
        const holder = this.holders[i % this.holders.length];
        const version = forge();
        holder.current = version;
        const { size, root } = version;
        const answer = await wire.request({
          t: 'chord-publish',
          name: this.name,
          size,
          root,
          holder: holder.ref,
        });
        const key = answer.t === 'error' ? `error:${String(answer.code)}` : answer.t;
        this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
      }
    } finally {
      wire.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.holders.map((h) => h.close()));
  }
}

/** A one-chunk version with made-up digests: its root is the true root of those digests. */
function forge(): ForgedVersion {
  const size = 1000 + Math.floor(Math.random() * 1000);
  const chunkHashes = randomBytes(32);
  return { size, root: fileRoot({ size, chunkSize: CHUNK_SIZE, chunkHashes }), chunkHashes };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function frame0(h: Header, payload?: Buffer): Buffer {
  return encodeFrame({ v: PROTOCOL_VERSION, ...h }, payload);
}

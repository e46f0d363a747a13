// A lying Chord node written against the wire protocol (TLS sockets with a key pair of its own,
// the hello of raw-wire.ts, encodeFrame, FrameDecoder),
// for the tests and bench/chord-liar.bench.ts. It knows the true ring (the honest nodes' refs,
// given by the test), answers stabilize and pings truthfully so the ring takes it in, and lies
// in its lookup answers:
//   claims-every-key   "I own it" for every key
//   names-wrong-owner  names a random honest node as the owner
//   false-node-id      announces a node id that is not SHA-1 of its address (placed where it
//                      likes on the ring), then claims every key under it
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ChordNodeRef } from '@node-core/events';
import { hashToId, idToHex, nodeIdOf } from '@node-core/chord/id';
import { encodeFrame, FrameDecoder, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import { answerRequests, helloFrame, rawTls, rawTlsServer } from './raw-wire';

export type Lie = 'claims-every-key' | 'names-wrong-owner' | 'false-node-id';

type Header = Record<string, unknown> & { t: string; rid?: number };

export class LyingChordNode {
  ref: ChordNodeRef = { id: 'liar', host: '127.0.0.1', port: 0, nodeId: '0'.repeat(40) };
  /** chord-step requests answered (each one a lie). */
  lies = 0;
  private readonly sockets = new Set<TLSSocket>();
  /** One key pair for its listener and its dials: its id is pinned to it. */
  private readonly identity = NodeIdentity.ephemeral();
  private readonly server = rawTlsServer(this.identity, (socket) => this.serve(socket));

  /** `honest`: the ring's true members, asked afresh at every answer. */
  constructor(
    private readonly lie: Lie,
    private readonly honest: () => ChordNodeRef[],
  ) {}

  async listen(): Promise<ChordNodeRef> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    const real = nodeIdOf('127.0.0.1', port);
    const claimed = this.lie === 'false-node-id' ? hashToId(randomBytes(8).toString('hex')) : real;
    this.ref = { id: 'liar', host: '127.0.0.1', port, nodeId: idToHex(claimed) };
    return this.ref;
  }

  /** Announces itself as a joiner does: notify to its successor, successor-hint to its predecessor. */
  async enter(): Promise<void> {
    const { predecessor, successors } = this.neighbours();
    await Promise.allSettled([
      oneRequest(successors[0], { t: 'chord-notify', node: this.ref }, this.ref.id, this.identity),
      oneRequest(predecessor, { t: 'chord-successor-hint', node: this.ref }, this.ref.id, this.identity),
    ]);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private neighbours(): { predecessor: ChordNodeRef; successors: ChordNodeRef[] } {
    const me = BigInt('0x' + this.ref.nodeId);
    const sorted = this.honest().sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const after = sorted.findIndex((r) => BigInt('0x' + r.nodeId) > me);
    const first = after < 0 ? 0 : after;
    const successors = Array.from(
      { length: Math.min(6, sorted.length) },
      (_, k) => sorted[(first + k) % sorted.length],
    );
    const predecessor = sorted[(first - 1 + sorted.length) % sorted.length];
    return { predecessor, successors };
  }

  private answer(h: Header): Header {
    switch (h.t) {
      case 'chord-step':
        this.lies++;
        if (this.lie === 'names-wrong-owner') {
          const owner = ownerAmong(BigInt('0x' + String(h.key)), this.honest());
          const wrong = this.honest().filter((r) => r.nodeId !== owner.nodeId);
          return { t: 'chord-step-result', owner: wrong[Math.floor(Math.random() * wrong.length)] };
        }
        return { t: 'chord-step-result', owner: this.ref };
      case 'chord-neighbors-get': {
        const { predecessor, successors } = this.neighbours();
        return { t: 'chord-neighbors', predecessor, successors };
      }
      case 'chord-notify':
      case 'chord-successor-hint':
      case 'chord-ping':
      case 'chord-leaving':
      case 'chord-hold':
        return { t: 'ok' };
      default:
        return { t: 'error', code: 'PROTOCOL', message: `not served: ${h.t}` };
    }
  }

  private serve(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    answerRequests(socket, this.ref.id, (h) => frame0({ ...this.answer(h), re: h.rid }));
  }
}

function frame0(h: Header): Buffer {
  return encodeFrame({ v: PROTOCOL_VERSION, ...h });
}

/** Dials `to`, says hello, sends one request once the answering hello is in, waits for its answer (or 2 s). */
async function oneRequest(to: ChordNodeRef, request: Header, id: string, identity: NodeIdentity): Promise<void> {
  const socket = await rawTls(to, identity).catch(() => undefined);
  if (!socket) return;
  socket.write(await helloFrame(socket, { id }));
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2000);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (bytes: Buffer) => {
      try {
        const frames = decoder.push(bytes).map((f) => f.header as Header);
        if (frames.some((h) => h.t === 'hello')) socket.write(frame0({ ...request, rid: 1 }));
        if (frames.some((h) => h.re === 1 || h.t === 'error')) done();
      } catch {
        done();
      }
    });
  });
}

/** The key's successor among `refs`. */
export function ownerAmong(key: bigint, refs: readonly ChordNodeRef[]): ChordNodeRef {
  const sorted = [...refs].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  return sorted.find((r) => BigInt('0x' + r.nodeId) >= key) ?? sorted[0];
}

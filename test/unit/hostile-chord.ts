// A lying Chord node written against the wire protocol (net sockets, encodeFrame, FrameDecoder),
// for the tests and bench/chord-liar.bench.ts. It knows the true ring (the honest nodes' refs,
// given by the test), answers stabilize and pings truthfully so the ring takes it in, and lies
// in its lookup answers:
//   claims-every-key   "I own it" for every key
//   names-wrong-owner  names a random honest node as the owner
//   false-node-id      announces a node id that is not SHA-1 of its address (placed where it
//                      likes on the ring), then claims every key under it
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ChordNodeRef } from '@node-core/events';
import { hashToId, idToHex, nodeIdOf } from '@node-core/chord/id';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@node-core/wire';

export type Lie = 'claims-every-key' | 'names-wrong-owner' | 'false-node-id';

type Header = Record<string, unknown> & { t: string; rid?: number };

export class LyingChordNode {
  ref: ChordNodeRef = { id: 'liar', host: '127.0.0.1', port: 0, nodeId: '0'.repeat(40) };
  /** chord-step requests answered (each one a lie). */
  lies = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => this.serve(socket));

  /** `honest`: the ring's true members, asked afresh at every answer. */
  constructor(
    private readonly lie: Lie,
    private readonly honest: () => ChordNodeRef[],
  ) {}

  async listen(): Promise<ChordNodeRef> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as net.AddressInfo).port;
    const real = nodeIdOf('127.0.0.1', port);
    const claimed = this.lie === 'false-node-id' ? hashToId(randomBytes(8).toString('hex')) : real;
    this.ref = { id: 'liar', host: '127.0.0.1', port, nodeId: idToHex(claimed) };
    return this.ref;
  }

  /** Announces itself as a joiner does: notify to its successor, successor-hint to its predecessor. */
  async enter(): Promise<void> {
    const { predecessor, successors } = this.neighbours();
    await Promise.allSettled([
      oneRequest(successors[0], { t: 'chord-notify', node: this.ref }),
      oneRequest(predecessor, { t: 'chord-successor-hint', node: this.ref }),
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

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (bytes: Buffer) => {
      try {
        for (const frame of decoder.push(bytes)) {
          const h = frame.header as Header;
          if (h.t === 'hello') socket.write(frame0(hello()));
          else if (h.rid !== undefined) socket.write(frame0({ ...this.answer(h), re: h.rid }));
        }
      } catch {
        socket.destroy();
      }
    });
  }
}

function hello(): Header {
  return { t: 'hello', proto: PROTOCOL_VERSION, nonce: randomBytes(16).toString('hex'), auth: false };
}

function frame0(h: Header): Buffer {
  return encodeFrame({ v: PROTOCOL_VERSION, ...h });
}

/** Dials `to`, says hello, sends one request, waits for its answer (or 2 s), hangs up. */
function oneRequest(to: ChordNodeRef, request: Header): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: to.host, port: to.port }, () => {
      socket.write(frame0(hello()));
      socket.write(frame0({ ...request, rid: 1 }));
    });
    const decoder = new FrameDecoder();
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2000);
    socket.on('error', done);
    socket.on('data', (bytes: Buffer) => {
      try {
        if (decoder.push(bytes).some((f) => (f.header as Header).re === 1)) done();
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

// A holder that lies, written against the wire protocol (raw socket + frame encoder): it shakes
// hands without a key, answers manifest-get with a real manifest and every chunk-get with random
// bytes of the right length. close() ends its sockets and the server.
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { FileManifest } from '../../node-core/src/files/manifest';
import { chunkLength } from '../../node-core/src/files/manifest';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '../../node-core/src/wire';

export class LyingHolder {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  chunksServed = 0;

  constructor(private readonly manifest: FileManifest) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const hello = { v: PROTOCOL_VERSION, t: 'hello', proto: PROTOCOL_VERSION, nonce: randomBytes(16).toString('hex') };
    socket.write(encodeFrame({ ...hello, auth: false }));
    const decoder = new FrameDecoder();
    socket.on('data', (bytes: Buffer) => {
      for (const frame of decoder.push(bytes)) this.answer(socket, frame.header as Record<string, unknown>);
    });
  }

  private answer(socket: net.Socket, msg: Record<string, unknown>): void {
    const m = this.manifest;
    const re = msg.rid;
    if (msg.t === 'manifest-get') {
      const header = { v: PROTOCOL_VERSION, t: 'manifest', re, name: m.name, size: m.size, sha256: m.sha256 };
      const chunks = m.chunkHashes.length / 32;
      socket.write(encodeFrame({ ...header, chunkSize: m.chunkSize, chunks }, m.chunkHashes));
    } else if (msg.t === 'chunk-get' && typeof msg.index === 'number') {
      this.chunksServed++;
      const junk = randomBytes(chunkLength(m, msg.index));
      socket.write(encodeFrame({ v: PROTOCOL_VERSION, t: 'chunk', re, name: m.name, index: msg.index }, junk));
    }
  }
}

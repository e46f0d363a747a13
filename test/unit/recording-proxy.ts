// A TCP proxy that records every byte it forwards, both ways: what someone on the path (a café
// network) would see. Tests dial the proxy instead of the target, then search the recording.
import * as net from 'node:net';
import type { Address } from '@node-core/events';

export interface RecordedConnection {
  /** Bytes from the dialer to the target, in order. */
  readonly up: Buffer[];
  /** Bytes from the target back to the dialer. */
  readonly down: Buffer[];
}

export class RecordingProxy {
  readonly connections: RecordedConnection[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: Address) {
    this.server = net.createServer((inbound) => this.forward(inbound));
  }

  async listen(): Promise<Address> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port };
  }

  /** Everything recorded, both directions of every connection. */
  recording(): Buffer {
    return Buffer.concat(this.connections.flatMap((c) => [...c.up, ...c.down]));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(inbound: net.Socket): void {
    const recorded: RecordedConnection = { up: [], down: [] };
    this.connections.push(recorded);
    const outbound = net.connect(this.target);
    for (const socket of [inbound, outbound]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    inbound.on('data', (bytes: Buffer) => recorded.up.push(Buffer.from(bytes)));
    outbound.on('data', (bytes: Buffer) => recorded.down.push(Buffer.from(bytes)));
    inbound.pipe(outbound).on('close', () => inbound.destroy());
    outbound.pipe(inbound).on('close', () => outbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  }
}

// What Node's TLS costs by itself on this machine: bytes sent from memory to memory over loopback,
// both ends in this process, with no disk and no p2p code, over TLS 1.3 (our links' suites and
// keys) and over plain TCP. The difference in CPU is the least any encrypted GET must add.
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { NodeIdentity } from '@node-core/wire';
import { tlsClientOptions } from '@node-core/wire/secure-channel';
import { loopbackServer } from './baseline';

export interface PipeRun {
  ms: number;
  /** CPU of this process (both ends, every thread) for the whole pipe. */
  cpuMs: number;
}

const BLOCK = Buffer.alloc(1 << 20, 0x5a);

/** Sends `sizeMiB` MiB from memory over a loopback socket (TLS or plain) and reads it into one reused buffer. */
export async function memoryPipe(sizeMiB: number, tls: boolean): Promise<PipeRun> {
  const client = tls ? tlsClientOptions(NodeIdentity.ephemeral()) : undefined;
  const send = (socket: Socket): void => {
    let sent = 0;
    const pump = (): void => {
      while (sent < sizeMiB) {
        sent++;
        if (!socket.write(BLOCK)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  };
  const { server, port } = await loopbackServer(tls, send);
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let received = 0;
    const onread = { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n: number) => ((received += n), true) };
    const target = { host: '127.0.0.1', port, onread };
    const socket = client ? connectTls({ ...client, ...target }) : connect(target);
    await new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    socket.destroy();
    if (received !== sizeMiB << 20) throw new Error(`memory pipe: ${received} bytes of ${sizeMiB << 20}`);
    const cpu = process.cpuUsage(cpuBefore);
    return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    server.close();
  }
}

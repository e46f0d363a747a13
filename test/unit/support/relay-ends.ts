// The two paths of a hole-punched link on loopback, for tests that move a relayed link direct:
// an end of a circuit on a RelayHub (movable, as a punched circuit's end is) and a connected pair
// of sockets to move onto. Each test passes its cleanup list; everything made is on it.
import { once } from 'node:events';
import * as net from 'node:net';
import { MigratingStream } from '@node-core/relay/migrating-stream';
import type { RelayHub } from '@node-core/relay/relay-hub';
import { encodePreamble } from '@node-core/relay/relay-preamble';

/** A TCP connection to 127.0.0.1:`port`, half-closes allowed (a move half-closes the relay). */
export function connectLoopback(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One end of a circuit on `hub`: a socket that presented `token`, wrapped so it can move. */
export async function relayEnd(hub: RelayHub, token: string, cleanup: Array<() => unknown>): Promise<MigratingStream> {
  const socket = await connectLoopback(hub.port);
  socket.write(encodePreamble(token));
  const stream = new MigratingStream(socket);
  cleanup.push(() => stream.destroy());
  return stream;
}

/** A connected pair of sockets on loopback: the "punched" direct path. */
export async function directPair(cleanup: Array<() => unknown>): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const a = await connectLoopback((server.address() as net.AddressInfo).port);
  const [b] = await accepted;
  cleanup.push(
    () => a.destroy(),
    () => b.destroy(),
  );
  return [a, b];
}

// TCP hole punching: both peers behind NAT connect to each other's public address at the same
// time, each from the local port it told the other (a TCP simultaneous open), to move a relayed
// link onto the direct path (direct-upgrade.ts). A NAT that keeps
// the local port for a fresh mapping and lets in packets answering a mapping it made (as home
// routers do) then carries the link directly. The metaserver tells each side the other's address
// as it sees it; nothing here is trusted: TLS and the hello run over the result as over any link.
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address } from '../events';
import { P2PError, toP2PError } from '../wire';

/** How long one punch keeps trying before the link stays relayed. */
export const PUNCH_TIMEOUT_MS = 2000;
const RETRY_MS = 50;

/** A local port free right now (the OS picks it), for the next punch. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Connects from `localPort` to `remote` until it works or `timeoutMs` pass: an attempt refused
 * (the other side's NAT has no mapping yet) is retried at once.
 */
export async function simultaneousOpen(
  remote: Address,
  localPort: number,
  timeoutMs = PUNCH_TIMEOUT_MS,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      return await attempt(remote, localPort, deadline - Date.now());
    } catch (err) {
      last = err;
      await sleep(RETRY_MS, undefined, { ref: false });
    }
  }
  const why = last ? `: ${toP2PError(last).message}` : '';
  throw new P2PError('PEER_UNREACHABLE', `no hole punched to ${remote.host}:${remote.port}${why}`);
}

function attempt(remote: Address, localPort: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // half-open, as a moved stream ends each direction on its own (migrating-stream.ts)
    const socket = net.connect({ host: remote.host, port: remote.port, localPort, allowHalfOpen: true });
    const timer = setTimeout(() => fail(new Error('timed out')), Math.max(1, timeoutMs));
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      // whoever takes the stream (TLS) sees its failures; this keeps a late one from being unhandled
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

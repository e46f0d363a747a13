// The first bytes on a connection to the relay port: which circuit, and which end of it, this
// socket is. Nothing else on that connection is ours to read: after the preamble the relay
// splices it to the other end byte for byte, and the two peers run TLS over it end to end.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { P2PError } from '../wire';

const MAGIC = Buffer.from('P2PRELAY', 'latin1');
const TOKEN_BYTES = 16;
export const PREAMBLE_BYTES = MAGIC.length + TOKEN_BYTES;

/** A fresh circuit-end token, hex (as `relay-ticket` and `relay-open` carry it). */
export function newRelayToken(): string {
  return randomBytes(TOKEN_BYTES).toString('hex');
}

export function encodePreamble(tokenHex: string): Buffer {
  const token = Buffer.from(tokenHex, 'hex');
  if (token.length !== TOKEN_BYTES) throw new P2PError('PROTOCOL', 'a relay token is 16 bytes');
  return Buffer.concat([MAGIC, token]);
}

/**
 * Reads exactly the preamble off a fresh socket (nothing past it) and resolves with its token in
 * hex. Rejects on a wrong magic, a close, or silence past `timeoutMs`.
 */
export async function readPreamble(socket: Socket, timeoutMs: number): Promise<string> {
  const bytes = await readExactly(socket, PREAMBLE_BYTES, timeoutMs, 'a relay preamble');
  if (!timingSafeEqual(bytes.subarray(0, MAGIC.length), MAGIC)) throw new P2PError('PROTOCOL', 'not a relay preamble');
  return bytes.subarray(MAGIC.length).toString('hex');
}

/**
 * Reads exactly `count` bytes off `socket`, leaving whatever follows unread for the next reader.
 * Rejects (naming `what`) on a close, or when they do not come within `timeoutMs`.
 */
export function readExactly(socket: Socket, count: number, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (err?: Error, bytes?: Buffer): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (err) reject(err);
      else resolve(bytes as Buffer);
    };
    const onReadable = (): void => {
      const bytes = socket.read(count) as Buffer | null;
      if (bytes !== null) finish(undefined, bytes);
    };
    const onClose = (): void => finish(new P2PError('PEER_UNREACHABLE', `closed before ${what}`));
    const timer = setTimeout(() => finish(new P2PError('PEER_UNREACHABLE', `no ${what} in time`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}

// The network key, mixed into each TLS session: each side proves it holds the key with an
// HMAC over the session's exported keying material, so a proof is worth nothing on any other
// connection (no replay, no relay by a man in the middle) and the key never crosses the wire.
// The dialer proves first and the listener answers only after checking, so a stranger who
// dials learns nothing. A hostile listener that is dialed does get the dialer's proof, so the
// HMAC key is the network key stretched with scrypt: each guess of an offline attack costs that.
import { createHmac, scrypt, timingSafeEqual } from 'node:crypto';

export type ConnectionRole = 'dialer' | 'listener';

/** scrypt parameters of the key stretch (16 MiB, about 50 ms, once per key per process). */
export const KEY_STRETCH = { salt: 'p2p-network-key/v2', N: 2 ** 14, r: 8, p: 1, length: 32 } as const;

const stretched = new Map<string, Promise<Buffer>>();

/** The HMAC key behind a network key, computed once per process. */
export function stretchNetworkKey(key: string): Promise<Buffer> {
  let result = stretched.get(key);
  if (!result) {
    const { salt, N, r, p, length } = KEY_STRETCH;
    result = new Promise<Buffer>((resolve, reject) =>
      scrypt(key, salt, length, { N, r, p }, (err, derived) => (err ? reject(err) : resolve(derived))),
    );
    stretched.set(key, result);
  }
  return result;
}

/** HMAC-SHA256(stretched key, "p2p-v2 " + role + channel binding), hex. */
export function authProof(stretchedKey: Buffer, role: ConnectionRole, channelBinding: Buffer): string {
  return createHmac('sha256', stretchedKey).update(`p2p-v2 ${role} `).update(channelBinding).digest('hex');
}

export function proofMatches(expected: string, received: string | undefined): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(received, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

// Mutual challenge-response: each side sends a random nonce in its hello, then proves it
// holds the network key with HMAC-SHA256 over both nonces and its own role. Binding the role
// stops a reflected proof being accepted; the key itself never crosses the wire.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type ConnectionRole = 'dialer' | 'listener';

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function authProof(key: string, role: ConnectionRole, dialerNonce: string, listenerNonce: string): string {
  return createHmac('sha256', key).update(`p2p-v1|${role}|${dialerNonce}|${listenerNonce}`).digest('hex');
}

export function proofMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(received, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

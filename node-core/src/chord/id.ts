// Chord identifiers: 160-bit numbers (SHA-1), kept as bigint so ring arithmetic is exact.
// Shown on the wire and in events as 40 lower-case hex digits.
import { createHash } from 'node:crypto';

export const ID_BITS = 160;
export const RING_SIZE = 1n << BigInt(ID_BITS);
const HEX_ID = /^[0-9a-f]{40}$/i;

/** SHA-1 of a string as a ring position: node ids hash `host:port`, file keys hash the name. */
export function hashToId(text: string): bigint {
  return BigInt('0x' + createHash('sha1').update(text, 'utf8').digest('hex'));
}

export function nodeIdOf(host: string, port: number): bigint {
  return hashToId(`${host}:${port}`);
}

export function isHexId(text: string): boolean {
  return HEX_ID.test(text);
}

export function idFromHex(hex: string): bigint {
  if (!isHexId(hex)) throw new RangeError(`not a 40-hex chord id: ${hex}`);
  return BigInt('0x' + hex);
}

export function idToHex(id: bigint): string {
  return id.toString(16).padStart(40, '0');
}

/** `LOOKUP` takes either a 40-hex key or a file name (hashed). */
export function keyFromNameOrHex(text: string): bigint {
  return isHexId(text) ? idFromHex(text) : hashToId(text);
}

/** (id + 2^i) mod 2^160: the start of finger i. */
export function fingerStart(id: bigint, i: number): bigint {
  return (id + (1n << BigInt(i))) % RING_SIZE;
}

/** Clockwise distance from `from` to `to` (0 when equal). */
export function ringDistance(from: bigint, to: bigint): bigint {
  return (to - from + RING_SIZE) % RING_SIZE;
}

/**
 * x in the open interval (a, b), clockwise with wraparound. When a == b the interval is the
 * whole ring except a: that is what a one-node ring needs (its successor is itself).
 */
export function inOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a === b) return x !== a;
  return a < b ? a < x && x < b : x > a || x < b;
}

/** x in (a, b]: the interval a node owns, a being its predecessor. a == b means the whole ring. */
export function inHalfOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a === b) return true;
  return x === b || inOpen(x, a, b);
}

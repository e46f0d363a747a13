// Every error code a node reports: in `--json` error events, in `error` frames on the wire,
// and in the extension's notifications. Listed once; the type and the guard derive from it.

export const ERROR_CODES = [
  'BAD_COMMAND',
  'BAD_FLAG',
  'EMPTY_ID',
  'DUPLICATE_ID',
  'NETWORK_FULL',
  'AUTH_FAILED',
  /** TLS could not be set up (not our protocol, a replayed or tampered handshake). */
  'HANDSHAKE_FAILED',
  /** A known peer id came with another key (trust on first use). */
  'KEY_CHANGED',
  /** A key outside the `--trust` allow-list. */
  'NOT_TRUSTED',
  /** A peer the user blocked (by id or key): refused at the handshake, its links closed. */
  'BLOCKED',
  /** A peer announced an id other than the one dialed, or a message named another sender than the link's. */
  'ID_MISMATCH',
  'METASERVER_UNREACHABLE',
  'PEER_UNREACHABLE',
  'PORT_IN_USE',
  'BAD_NAME',
  'NOT_SHARED',
  'NOT_FOUND',
  'FILE_EXISTS',
  'VERIFY_FAILED',
  'DOWNLOAD_FAILED',
  /** Not enough free disk space for a download. */
  'NO_SPACE',
  'CANCELLED',
  'PAUSED',
  'PROTOCOL',
  'ADDRESS_UNVERIFIED',
  'RATE_LIMITED',
  /** LAN discovery (mDNS) failed: could not announce, or `--metaserver auto` found no network or several. */
  'DISCOVERY_FAILED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for a code in ERROR_CODES (a remote or a child process may send anything). */
export function isErrorCode(code: string): code is ErrorCode {
  return KNOWN.has(code);
}

// A metaserver has no peer id (its hello says ''), so a peer pins its key under its address: the
// pin id `metaserver/HOST:PORT` holds a `/`, which no peer id may, so no peer can take it. A key
// may also be expected up front (`--metaserver-fp`, a LAN announcement, a share link).
import type { Address } from '../events';
import { P2PError } from './errors';

const PREFIX = 'metaserver/';

/** What a metaserver's key must be before it is admitted, and who said so (for the error). */
export interface ExpectedKey {
  fingerprint: string;
  /** Where the fingerprint came from: `--metaserver-fp`, `the LAN announcement`, `the share link`. */
  source: string;
  /** The user said so (`--metaserver-fp`): it replaces the key pinned for the address once the metaserver shows it. */
  overridesPin?: boolean;
}

/** A dial to a metaserver: its key is pinned under `address`, and must be `expected` if that is set. */
export interface MetaserverPin {
  address: Address;
  expected?: ExpectedKey;
}

/** `HOST:PORT`, an IPv6 host in brackets. */
export function formatHostPort(address: Address): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The id a metaserver's key is pinned under in the trust store. */
export function metaserverPinId(address: Address): string {
  return `${PREFIX}${formatHostPort(address)}`;
}

/** The `HOST:PORT` of a metaserver pin id; undefined for a peer id. */
export function metaserverOfPin(id: string): string | undefined {
  return id.startsWith(PREFIX) ? id.slice(PREFIX.length) : undefined;
}

/** Throws KEY_CHANGED, naming both fingerprints, unless the metaserver shows the expected key. */
export function assertExpectedKey({ address, expected }: MetaserverPin, fingerprint: string): void {
  if (expected === undefined || fingerprint === expected.fingerprint) return;
  throw new P2PError(
    'KEY_CHANGED',
    `the metaserver at ${formatHostPort(address)} presented key ${fingerprint}, but ${expected.source} ` +
      `names key ${expected.fingerprint}: refused (someone else may be answering at its address)`,
  );
}

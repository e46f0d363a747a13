// A peer whose start was refused because its metaserver shows another key than the one pinned
// at its address can be started again trusting the new key: `--metaserver-fp` replaces the pin
// once the metaserver shows that key. vscode-free: the warning that asks is keyChangeNotifier's.

import type { KeyChangedEvent } from '@node-core/events';
import { NodeError } from './errorMessages';
import type { PeerOptions } from './nodeArgs';

const FINGERPRINT = /^[0-9a-f]{64}$/;

export interface TrustedRejoin {
  /** What the warning names: the metaserver's address and both keys. */
  change: KeyChangedEvent & { metaserver: string };
  /** The same peer, started trusting the new key. */
  options: PeerOptions;
}

/**
 * How to start the peer again trusting its metaserver's new key, when `error` is a start refused
 * for that key; undefined for any other failure, or when that key was already required up front.
 */
export function trustedRejoin(error: unknown, options: PeerOptions): TrustedRejoin | undefined {
  if (!(error instanceof NodeError) || error.detail.code !== 'KEY_CHANGED') return undefined;
  const change = error.keyChange;
  if (change?.metaserver === undefined || options.join !== undefined || options.metaserver === undefined)
    return undefined;
  const { oldFingerprint, newFingerprint } = change;
  if (!FINGERPRINT.test(oldFingerprint) || !FINGERPRINT.test(newFingerprint) || oldFingerprint === newFingerprint)
    return undefined;
  if (options.metaserverFingerprint?.toLowerCase() === newFingerprint) return undefined;
  return {
    change: { event: 'key-changed', ...change, metaserver: change.metaserver },
    options: { ...options, metaserverFingerprint: newFingerprint },
  };
}

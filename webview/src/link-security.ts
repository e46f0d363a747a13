// What the page can say about a link's security from what the metaserver reports: every
// registered peer's key (seen by its TLS session at registration) and the key each of its
// links presented. Pure, no DOM.
import type { TopologyPeer } from '@node-core/topology';

/**
 * `verified`: both ends registered over TLS and each saw, on the link, the key the other
 * registered with. `encrypted`: both ends registered over TLS, but the keys on the link were
 * not reported (yet: they come with a peer's next links report). `mismatch`: an end saw
 * another key than the one the other registered with (an impostor or a man in the middle).
 * `plain`: an end without a key.
 */
export type LinkSecurity = 'verified' | 'encrypted' | 'mismatch' | 'plain';

export function linkSecurity(a: TopologyPeer | undefined, b: TopologyPeer | undefined): LinkSecurity {
  if (!a?.fingerprint || !b?.fingerprint) return 'plain';
  const seenByA = a.neighborKeys?.[b.id];
  const seenByB = b.neighborKeys?.[a.id];
  if ((seenByA !== undefined && seenByA !== b.fingerprint) || (seenByB !== undefined && seenByB !== a.fingerprint))
    return 'mismatch';
  return seenByA !== undefined && seenByB !== undefined ? 'verified' : 'encrypted';
}

const DESCRIPTIONS: Record<LinkSecurity, string> = {
  verified: '🔒 encrypted (TLS 1.3), keys verified at both ends',
  encrypted: '🔒 encrypted (TLS 1.3), keys on the link not reported',
  mismatch: '⚠ encrypted, but a key on the link is not the one its peer registered with',
  plain: 'not encrypted',
};

export function describeLinkSecurity(security: LinkSecurity): string {
  return DESCRIPTIONS[security];
}

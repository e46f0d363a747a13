// Whether a link runs through a relay, from what its two ends report. Pure, no DOM.
import type { TopologyPeer } from '@node-core/topology';

/**
 * Relayed when either end says so. An end that reports its relayed links (`relayedLinks`) is
 * taken at its word per link; one that does not is taken as relayed on every link if it is
 * behind NAT itself, as all its links then went through the relay.
 */
export function linkRelayed(a: TopologyPeer | undefined, b: TopologyPeer | undefined): boolean {
  return saysRelayed(a, b?.id) || saysRelayed(b, a?.id);
}

function saysRelayed(end: TopologyPeer | undefined, other: string | undefined): boolean {
  if (!end || other === undefined) return false;
  return end.relayedLinks ? end.relayedLinks.includes(other) : end.relayed === true;
}

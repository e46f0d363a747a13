// `p2p-node peer --metaserver auto`: browse the LAN for a bounded time and take the one network
// that answered; none or several is an error that says what was (not) found and what to type.
import { browseNetworks } from '../discovery/mdns-browser';
import type { FoundNetwork } from '../discovery/dns-sd';
import { ipv4Interfaces, type MdnsInterface } from '../discovery/interfaces';
import type { PeerReadyEvent } from '../events';
import { P2PError } from '../wire';
import type { DiscoverArgs, PeerArgs } from './peer-args';
import type { EventOutput } from './output';

/** The peer's arguments with the metaserver found, when `--metaserver auto` asked for one. */
export async function withDiscoveredMetaserver(
  given: PeerArgs,
  out: EventOutput,
): Promise<{ args: PeerArgs; discovered?: PeerReadyEvent['discovered'] }> {
  if (!given.discover) return { args: given };
  out.note(`looking for a P2P network on the LAN (${given.discover.durationMs / 1000} s)…`);
  const { name, host, port, fingerprint } = await discoverMetaserver(given.discover);
  // anyone on the LAN can announce: the metaserver that answers must show the key announced
  if (!fingerprint)
    throw new P2PError(
      'DISCOVERY_FAILED',
      `the network "${name}" at ${host}:${port} announced no key fingerprint, so its metaserver cannot be ` +
        'checked; give its address with --metaserver HOST:PORT (and its key with --metaserver-fp)',
    );
  return {
    args: {
      ...given,
      metaserver: { host, port },
      metaserverKey: given.metaserverKey ?? { fingerprint, source: 'the LAN announcement' },
    },
    discovered: { name, host, port, fingerprint },
  };
}

export async function discoverMetaserver(discover: DiscoverArgs): Promise<FoundNetwork> {
  let interfaces: MdnsInterface[];
  try {
    interfaces = ipv4Interfaces(discover.interfaces);
  } catch (err) {
    throw new P2PError('DISCOVERY_FAILED', `--discover-interface: ${(err as Error).message}`);
  }
  const seconds = discover.durationMs / 1000;
  let found: FoundNetwork[];
  try {
    found = oneEachInstance(
      await browseNetworks({ interfaces, durationMs: discover.durationMs, mdnsPort: discover.mdnsPort }),
    );
  } catch (err) {
    throw new P2PError('DISCOVERY_FAILED', `could not look for networks on the LAN: ${(err as Error).message}`);
  }
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new P2PError(
      'DISCOVERY_FAILED',
      `no P2P network announced itself on the LAN within ${seconds} s ` +
        `(looked on ${interfaces.map((i) => i.address).join(', ')}); give its address with --metaserver HOST:PORT`,
    );
  }
  const listed = found.map((n) => `"${n.name}" at ${n.host}:${n.port}`).join(', ');
  throw new P2PError(
    'DISCOVERY_FAILED',
    `${found.length} P2P networks answered on the LAN: ${listed}; choose one with --metaserver HOST:PORT`,
  );
}

/** A metaserver heard through two interfaces is one network: its first address is kept. */
function oneEachInstance(networks: FoundNetwork[]): FoundNetwork[] {
  const seen = new Set<string>();
  return networks.filter((n) => {
    const instance = n.key.slice(0, n.key.indexOf('@'));
    if (seen.has(instance)) return false;
    seen.add(instance);
    return true;
  });
}

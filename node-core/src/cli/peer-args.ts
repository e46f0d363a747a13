// `p2p-node peer ...`: its options, how it finds its network (--metaserver, --metaserver auto, --join)
// and their checks (README.md, "Command-line").
import { isIPv4 } from 'node:net';
import { isWildcardHost } from '../advertised-host';
import type { Address, Mode } from '../events';
import { MAX_TTL } from '../flood/query-guard';
import type { ExpectedKey } from '../wire';
import { address, commonOptions, heartbeatMs, int, metaserverKey, mode, networkKey, parse, rate } from './arg-values';
import { UsageError } from './usage';

/** `--metaserver auto`: browse the LAN for this long, on these interfaces (all IPv4 ones when undefined). */
export interface DiscoverArgs {
  durationMs: number;
  interfaces?: string[];
  /** The mDNS UDP port (5353; tests use one of their own). */
  mdnsPort?: number;
}

export interface PeerArgs {
  command: 'peer';
  id: string;
  metaserver?: Address;
  /** Set instead of `metaserver` by `--metaserver auto`. */
  discover?: DiscoverArgs;
  join?: Address;
  /** `--metaserver-fp`, or the fingerprint `--metaserver auto` found announced: the metaserver must show it. */
  metaserverKey?: ExpectedKey;
  mode: Mode;
  host: string;
  /** The host announced to other peers when it differs from --host (e.g. --host 0.0.0.0). */
  advertise?: string;
  /** `--max-upload 20M`: chunk bytes per second sent to all getters together. */
  maxUploadBytesPerSecond?: number;
  /** `--allow-relay`: unreachable (behind NAT), be reached through the metaserver's relay. */
  allowRelay?: boolean;
  /** `--punch`: behind NAT, a relayed link to another relayed peer moves direct when a hole punch works. */
  punch?: boolean;
  /** `--relay-for-others`: relay circuits between others; `--relay-cap`: their bytes per second together. */
  relayForOthers?: { rateBytesPerSecond?: number };
  port: number;
  dir: string;
  maxNeighbors: number;
  ttl: number;
  trust?: string;
  key?: string;
  json: boolean;
  heartbeatMs?: number;
}

const peerOptions = {
  ...commonOptions,
  id: { type: 'string' },
  metaserver: { type: 'string' },
  'metaserver-fp': { type: 'string' },
  join: { type: 'string' },
  mode: { type: 'string', default: 'flood' },
  host: { type: 'string', default: '127.0.0.1' },
  advertise: { type: 'string' },
  port: { type: 'string', default: '0' },
  dir: { type: 'string', default: '.' },
  'max-neighbors': { type: 'string', default: '4' },
  ttl: { type: 'string', default: '7' },
  'heartbeat-ms': { type: 'string' },
  'max-upload': { type: 'string' },
  'allow-relay': { type: 'boolean', default: false },
  punch: { type: 'boolean', default: false },
  'relay-for-others': { type: 'boolean', default: false },
  'relay-cap': { type: 'string' },
  trust: { type: 'string' },
  'discover-ms': { type: 'string', default: '3000' },
  'discover-interface': { type: 'string', multiple: true },
} as const;

type PeerValues = ReturnType<typeof parse<typeof peerOptions>>['values'];

export function parsePeerArgs(args: string[], env: NodeJS.ProcessEnv): PeerArgs {
  const { values } = parse(args, peerOptions);
  if (values.id === undefined) throw new UsageError('peer: --id is required');
  if (values.advertise !== undefined && (values.advertise.trim() === '' || isWildcardHost(values.advertise))) {
    throw new UsageError(`--advertise needs the address other peers can dial, not "${values.advertise}"`);
  }
  return {
    command: 'peer',
    id: values.id,
    ...networkEntry(values),
    metaserverKey: metaserverKey(values['metaserver-fp']),
    mode: mode(values.mode),
    host: values.host,
    advertise: values.advertise,
    allowRelay: values['allow-relay'],
    punch: values.punch,
    relayForOthers: relayForOthers(values['relay-for-others'], values['relay-cap']),
    port: int('--port', values.port, 0, 65535),
    dir: values.dir,
    maxNeighbors: int('--max-neighbors', values['max-neighbors'], 1, 1024),
    ttl: int('--ttl', values.ttl, 1, MAX_TTL),
    trust: values.trust,
    key: networkKey(values.key, env),
    json: values.json,
    heartbeatMs: heartbeatMs(values['heartbeat-ms']),
    maxUploadBytesPerSecond:
      values['max-upload'] === undefined ? undefined : rate('--max-upload', values['max-upload']),
  };
}

/** Where the peer enters the network: a metaserver's address, one found on the LAN (`auto`), or a node to join. */
function networkEntry(values: PeerValues): Pick<PeerArgs, 'metaserver' | 'discover' | 'join'> {
  const join = values.join === undefined ? undefined : address('--join', values.join);
  const auto = values.metaserver === 'auto';
  const metaserver =
    values.metaserver !== undefined
      ? auto
        ? undefined
        : address('--metaserver', values.metaserver)
      : join
        ? undefined
        : address('--metaserver', '127.0.0.1:5000');
  if (values['metaserver-fp'] !== undefined && !metaserver && !auto)
    throw new UsageError('--metaserver-fp needs --metaserver');
  const interfaces = values['discover-interface'];
  for (const i of interfaces ?? []) {
    if (!isIPv4(i)) throw new UsageError(`--discover-interface must be an IPv4 address of this host, not "${i}"`);
  }
  const discover = auto
    ? { durationMs: int('--discover-ms', values['discover-ms'], 100, 60_000), interfaces }
    : undefined;
  return { metaserver, discover, join };
}

/** `--relay-for-others [--relay-cap RATE]`; a cap alone is a usage error. */
function relayForOthers(offered: boolean | undefined, cap: string | undefined): PeerArgs['relayForOthers'] {
  if (cap !== undefined && !offered) throw new UsageError('--relay-cap needs --relay-for-others');
  if (!offered) return undefined;
  return cap === undefined ? {} : { rateBytesPerSecond: rate('--relay-cap', cap) };
}

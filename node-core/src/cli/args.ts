// Command-line parsing for `p2p-node` (README.md, "Command-line"). Anything wrong here is a
// UsageError: main prints the usage and exits 2.
import { parseArgs } from 'node:util';
import { isIPv4 } from 'node:net';
import { isWildcardHost } from '../advertised-host';
import { shouldAnnounce } from '../discovery/announce-policy';
import { isNetworkName } from '../discovery/dns-sd';
import { MAX_TTL } from '../flood/query-guard';
import { MIN_UPLOAD_BYTES_PER_SECOND } from '../transfer/upload-limiter';
import type { Address, Mode } from '../events';
import { parseShareLink, ShareLinkError, type ShareLink } from '../share-link';
import { isFingerprint, type ExpectedKey } from '../wire';

export const USAGE = `usage:
  p2p-node metaserver [--host 127.0.0.1] [--port 5000] [--http-port N] [--max-peers N] [--dir DIR | --identity-dir DIR]
                     [--trust FILE] [--key K] [--json] [--announce | --no-announce] [--network-name NAME]
                     [--relay-port 0] [--relay-rate RATE]
  p2p-node peer --id ID [--metaserver 127.0.0.1:5000 | --metaserver auto | --join HOST:PORT] [--mode flood|chord]
                [--metaserver-fp FINGERPRINT] [--discover-ms 3000] [--discover-interface IPV4]...
                [--host 127.0.0.1] [--advertise HOST] [--port 0] [--dir .] [--max-neighbors 4] [--ttl 7]
                [--max-upload RATE] [--allow-relay] [--punch] [--relay-for-others [--relay-cap RATE]]
                [--trust FILE] [--key K] [--json]
  p2p-node topo [--metaserver 127.0.0.1:5000] [--metaserver-fp FINGERPRINT] [--trust FILE] [--key K] [--json]
  p2p-node get LINK [--dir .] [--host 127.0.0.1] [--trust FILE] [--key K] [--json]
  p2p-node demo [--peers 5] [--mode flood|chord] [--http-port 8080] [--key K] [--json]
  p2p-node --version
The network key may also come from the environment: P2P_NETWORK_KEY.
--allow-relay: a peer the metaserver cannot dial back (behind NAT) is reached through the metaserver's
relay (its --relay-port, capped by --relay-rate) instead of being refused; links stay end-to-end TLS.
--punch: a relayed link between two relayed peers moves to a direct path when a TCP hole punch works.
--relay-for-others: a reachable peer relays for others when the metaserver's relay is full (--relay-cap RATE
caps its bytes per second; 16 circuits at once, 4 per peer, idle ones dropped after 60 s).
Every link is TLS 1.3. A peer keeps its key pair and the keys of the peers it has met in DIR/.p2p
(a metaserver in its --dir, if given); --trust FILE admits only the fingerprints listed in FILE.
A peer pins its metaserver's key under its address on first use and refuses another key there;
--metaserver-fp FINGERPRINT says up front which key it must have. A metaserver keeps its key only with --dir,
or with --identity-dir DIR (its key pair alone: the peers' keys it meets stay in memory).
A metaserver bound beyond loopback announces itself on the LAN (mDNS); on loopback only with --announce.
--metaserver auto: the one network announced on the LAN within --discover-ms, with the key it announced.
Tuning (tests, benchmarks): --heartbeat-ms N (peer and metaserver timeouts follow it).`;

export class UsageError extends Error {}

export interface MetaserverArgs {
  command: 'metaserver';
  host: string;
  port: number;
  httpPort?: number;
  maxPeers?: number;
  /** Where its key pair and known peers are kept (none: a fresh key each start). */
  dir?: string;
  /** Where its key pair alone is kept (`--identity-dir`; pins and blocks in memory). */
  identityDir?: string;
  /** `--trust FILE`: the allow-list of fingerprints. */
  trust?: string;
  key?: string;
  json: boolean;
  heartbeatMs?: number;
  /** The relay's port on --host (0: the OS picks). */
  relayPort?: number;
  /** `--relay-rate`: bytes per second all relayed circuits carry together. */
  relayRate?: number;
  /** Announce on the LAN (mDNS): `--announce`, `--no-announce`, or by the bound host. */
  announce: boolean;
  /** The display name announced; undefined: one from the machine's name. */
  networkName?: string;
}

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

export interface TopoArgs {
  command: 'topo';
  metaserver: Address;
  /** `--metaserver-fp`: the key the metaserver must show. */
  metaserverKey?: ExpectedKey;
  trust?: string;
  key?: string;
  json: boolean;
}

export interface DemoArgs {
  command: 'demo';
  peers: number;
  mode: Mode;
  httpPort?: number;
  port: number;
  key?: string;
  json: boolean;
}

export interface GetArgs {
  command: 'get';
  link: ShareLink;
  /** Where the file lands (DIR/NAME). */
  dir: string;
  /** Where the searching peer listens, when the link's holder does not answer. */
  host: string;
  /** `--trust FILE`: the allow-list of fingerprints. */
  trust?: string;
  key?: string;
  json: boolean;
  heartbeatMs?: number;
}

export type CliArgs = MetaserverArgs | PeerArgs | TopoArgs | GetArgs | DemoArgs | { command: 'version' };

const common = {
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  if (argv.includes('--version') || argv.includes('-v')) return { command: 'version' };
  const [command, ...rest] = argv;
  const key = (value: string | undefined): string | undefined => value || env.P2P_NETWORK_KEY || undefined;
  switch (command) {
    case 'metaserver': {
      const { values } = parse(rest, {
        ...common,
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '5000' },
        'http-port': { type: 'string' },
        'max-peers': { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        dir: { type: 'string' },
        'identity-dir': { type: 'string' },
        trust: { type: 'string' },
        'relay-port': { type: 'string' },
        'relay-rate': { type: 'string' },
        announce: { type: 'boolean', default: false },
        'no-announce': { type: 'boolean', default: false },
        'network-name': { type: 'string' },
      });
      if (values.dir !== undefined && values['identity-dir'] !== undefined)
        throw new UsageError('--dir and --identity-dir exclude each other (--dir keeps the key pair too)');
      if (values.announce && values['no-announce'])
        throw new UsageError('--announce and --no-announce exclude each other');
      const networkName = values['network-name'];
      if (networkName !== undefined && !isNetworkName(networkName)) {
        throw new UsageError(
          `--network-name must be 1 to 63 letters, digits, spaces or . _ @ : ' -, starting with a letter or digit`,
        );
      }
      const choice = values.announce ? 'yes' : values['no-announce'] ? 'no' : 'default';
      return {
        command,
        host: values.host,
        relayPort: optionalInt('--relay-port', values['relay-port'], 0, 65535),
        relayRate: values['relay-rate'] === undefined ? undefined : rate('--relay-rate', values['relay-rate']),
        port: int('--port', values.port, 0, 65535),
        httpPort: optionalInt('--http-port', values['http-port'], 0, 65535),
        maxPeers: optionalInt('--max-peers', values['max-peers'], 1, 1_000_000),
        dir: values.dir,
        identityDir: values['identity-dir'],
        trust: values.trust,
        key: key(values.key),
        json: values.json,
        heartbeatMs: optionalInt('--heartbeat-ms', values['heartbeat-ms'], 10, 3_600_000),
        announce: shouldAnnounce(values.host, choice),
        networkName,
      };
    }
    case 'peer': {
      const { values } = parse(rest, {
        ...common,
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
      });
      if (values.id === undefined) throw new UsageError('peer: --id is required');
      if (values.advertise !== undefined && (values.advertise.trim() === '' || isWildcardHost(values.advertise))) {
        throw new UsageError(`--advertise needs the address other peers can dial, not "${values.advertise}"`);
      }
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
      return {
        command,
        id: values.id,
        metaserver,
        discover: auto
          ? { durationMs: int('--discover-ms', values['discover-ms'], 100, 60_000), interfaces }
          : undefined,
        join,
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
        key: key(values.key),
        json: values.json,
        heartbeatMs: optionalInt('--heartbeat-ms', values['heartbeat-ms'], 10, 3_600_000),
        maxUploadBytesPerSecond:
          values['max-upload'] === undefined ? undefined : rate('--max-upload', values['max-upload']),
      };
    }
    case 'topo': {
      const { values } = parse(rest, {
        ...common,
        metaserver: { type: 'string', default: '127.0.0.1:5000' },
        'metaserver-fp': { type: 'string' },
        trust: { type: 'string' },
      });
      return {
        command,
        metaserver: address('--metaserver', values.metaserver),
        metaserverKey: metaserverKey(values['metaserver-fp']),
        trust: values.trust,
        key: key(values.key),
        json: values.json,
      };
    }
    case 'get': {
      const { values, positionals } = parse(
        rest,
        {
          ...common,
          dir: { type: 'string', default: '.' },
          host: { type: 'string', default: '127.0.0.1' },
          trust: { type: 'string' },
          'heartbeat-ms': { type: 'string' },
        },
        true,
      );
      if (positionals.length !== 1) throw new UsageError('get: give exactly one share link');
      return {
        command,
        link: shareLink(positionals[0]!),
        dir: values.dir,
        host: values.host,
        trust: values.trust,
        key: key(values.key),
        json: values.json,
        heartbeatMs: optionalInt('--heartbeat-ms', values['heartbeat-ms'], 10, 3_600_000),
      };
    }
    case 'demo': {
      const { values } = parse(rest, {
        ...common,
        peers: { type: 'string', default: '5' },
        mode: { type: 'string', default: 'flood' },
        'http-port': { type: 'string' },
        port: { type: 'string', default: '0' },
      });
      return {
        command,
        peers: int('--peers', values.peers, 1, 50),
        mode: mode(values.mode),
        httpPort: optionalInt('--http-port', values['http-port'], 0, 65535),
        port: int('--port', values.port, 0, 65535),
        key: key(values.key),
        json: values.json,
      };
    }
    default:
      throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) throw new UsageError('');
  return parsed;
}

function int(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

function optionalInt(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  return value === undefined ? undefined : int(flag, value, min, max);
}

const RATE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes per second from "1M", "20M", "1.5G", "2048K" (binary units, an optional "iB", "B" or "/s"). */
/** `--relay-for-others [--relay-cap RATE]`; a cap alone is a usage error. */
function relayForOthers(offered: boolean | undefined, cap: string | undefined): PeerArgs['relayForOthers'] {
  if (cap !== undefined && !offered) throw new UsageError('--relay-cap needs --relay-for-others');
  if (!offered) return undefined;
  return cap === undefined ? {} : { rateBytesPerSecond: rate('--relay-cap', cap) };
}

function rate(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?(?:\/s)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * RATE_UNITS[match[2].toUpperCase()]) : NaN;
  if (!(bytes >= MIN_UPLOAD_BYTES_PER_SECOND)) {
    throw new UsageError(
      `${flag} must be a rate of at least 1M (bytes per second, e.g. 1M, 20M, 1.5G), not "${value}"`,
    );
  }
  return bytes;
}

function shareLink(value: string): ShareLink {
  try {
    return parseShareLink(value);
  } catch (err) {
    if (err instanceof ShareLinkError) throw new UsageError(err.message);
    throw err;
  }
}

function metaserverKey(value: string | undefined): ExpectedKey | undefined {
  if (value === undefined) return undefined;
  const fingerprint = value.toLowerCase();
  if (!isFingerprint(fingerprint))
    throw new UsageError(`--metaserver-fp must be a key fingerprint (64 hex digits), not "${value.slice(0, 80)}"`);
  return { fingerprint, source: '--metaserver-fp', overridesPin: true };
}

function mode(value: string): Mode {
  if (value !== 'flood' && value !== 'chord') throw new UsageError(`--mode must be flood or chord, not "${value}"`);
  return value;
}

function address(flag: string, value: string): Address {
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`${flag} must be HOST:PORT, not "${value}"`);
  const host = match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port: int(flag, match[2], 1, 65535) };
}

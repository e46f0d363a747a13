// `p2p-node metaserver ...`: its options and their checks (README.md, "Command-line").
import { shouldAnnounce } from '../discovery/announce-policy';
import { isNetworkName } from '../discovery/dns-sd';
import { commonOptions, heartbeatMs, int, networkKey, optionalInt, parse, rate } from './arg-values';
import { UsageError } from './usage';

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

export function parseMetaserverArgs(args: string[], env: NodeJS.ProcessEnv): MetaserverArgs {
  const { values } = parse(args, {
    ...commonOptions,
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
  if (values.announce && values['no-announce']) throw new UsageError('--announce and --no-announce exclude each other');
  const networkName = values['network-name'];
  if (networkName !== undefined && !isNetworkName(networkName)) {
    throw new UsageError(
      `--network-name must be 1 to 63 letters, digits, spaces or . _ @ : ' -, starting with a letter or digit`,
    );
  }
  const choice = values.announce ? 'yes' : values['no-announce'] ? 'no' : 'default';
  return {
    command: 'metaserver',
    host: values.host,
    relayPort: optionalInt('--relay-port', values['relay-port'], 0, 65535),
    relayRate: values['relay-rate'] === undefined ? undefined : rate('--relay-rate', values['relay-rate']),
    port: int('--port', values.port, 0, 65535),
    httpPort: optionalInt('--http-port', values['http-port'], 0, 65535),
    maxPeers: optionalInt('--max-peers', values['max-peers'], 1, 1_000_000),
    dir: values.dir,
    identityDir: values['identity-dir'],
    trust: values.trust,
    key: networkKey(values.key, env),
    json: values.json,
    heartbeatMs: heartbeatMs(values['heartbeat-ms']),
    announce: shouldAnnounce(values.host, choice),
    networkName,
  };
}

// Command-line parsing for `p2p-node` (README.md, "Command-line"): picks the command and parses its options.
// Anything wrong is a UsageError (usage.ts): main prints the usage and exits 2.
import type { Address, Mode } from '../events';
import type { ShareLink } from '../share-link';
import type { ExpectedKey } from '../wire';
import {
  address,
  commonOptions,
  heartbeatMs,
  int,
  metaserverKey,
  mode,
  networkKey,
  optionalInt,
  parse,
  shareLink,
} from './arg-values';
import { parseMetaserverArgs, type MetaserverArgs } from './metaserver-args';
import { parsePeerArgs, type PeerArgs } from './peer-args';
import { UsageError } from './usage';

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

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  if (argv.includes('--version') || argv.includes('-v')) return { command: 'version' };
  const [command, ...rest] = argv;
  switch (command) {
    case 'metaserver':
      return parseMetaserverArgs(rest, env);
    case 'peer':
      return parsePeerArgs(rest, env);
    case 'topo':
      return parseTopoArgs(rest, env);
    case 'get':
      return parseGetArgs(rest, env);
    case 'demo':
      return parseDemoArgs(rest, env);
    default:
      throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
  }
}

function parseTopoArgs(args: string[], env: NodeJS.ProcessEnv): TopoArgs {
  const { values } = parse(args, {
    ...commonOptions,
    metaserver: { type: 'string', default: '127.0.0.1:5000' },
    'metaserver-fp': { type: 'string' },
    trust: { type: 'string' },
  });
  return {
    command: 'topo',
    metaserver: address('--metaserver', values.metaserver),
    metaserverKey: metaserverKey(values['metaserver-fp']),
    trust: values.trust,
    key: networkKey(values.key, env),
    json: values.json,
  };
}

function parseGetArgs(args: string[], env: NodeJS.ProcessEnv): GetArgs {
  const { values, positionals } = parse(
    args,
    {
      ...commonOptions,
      dir: { type: 'string', default: '.' },
      host: { type: 'string', default: '127.0.0.1' },
      trust: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('get: give exactly one share link');
  return {
    command: 'get',
    link: shareLink(positionals[0]!),
    dir: values.dir,
    host: values.host,
    trust: values.trust,
    key: networkKey(values.key, env),
    json: values.json,
    heartbeatMs: heartbeatMs(values['heartbeat-ms']),
  };
}

function parseDemoArgs(args: string[], env: NodeJS.ProcessEnv): DemoArgs {
  const { values } = parse(args, {
    ...commonOptions,
    peers: { type: 'string', default: '5' },
    mode: { type: 'string', default: 'flood' },
    'http-port': { type: 'string' },
    port: { type: 'string', default: '0' },
  });
  return {
    command: 'demo',
    peers: int('--peers', values.peers, 1, 50),
    mode: mode(values.mode),
    httpPort: optionalInt('--http-port', values['http-port'], 0, 65535),
    port: int('--port', values.port, 0, 65535),
    key: networkKey(values.key, env),
    json: values.json,
  };
}

// `p2p-node metaserver`: the metadata server, plus the topology bridge (HTTP + WebSocket,
// written in node-core/src/bridge) when --http-port is given.
import { TopologyBridge } from '../bridge';
import { announceInterfaces, defaultNetworkName } from '../discovery/announce-policy';
import { MdnsAnnouncer, type AnnouncerOptions } from '../discovery/mdns-announcer';
import type { MetaserverReadyEvent } from '../events';
import { MetadataServer } from '../metaserver';
import { loadNodeSecurity, P2PError, type ChannelSecurity } from '../wire';
import type { MetaserverArgs } from './metaserver-args';
import { errorEvent } from './errors';
import { runUntilStopped } from './line-input';
import { humanTopology, type EventOutput } from './output';
import type { StdinCommand } from './stdin-commands';
import { reportKeyChanges, runTrustCommand } from './trust-commands';

export interface RunningMetaserver {
  server: MetadataServer;
  ready: MetaserverReadyEvent;
  /** Its key pair, pins and deny-list (BLOCK and TRUST change them). */
  security: ChannelSecurity;
  close(): Promise<void>;
}

/** Starts the metaserver and, with an HTTP port, its bridge; shared with `demo`. */
export async function startMetaserver(options: {
  host: string;
  port: number;
  httpPort?: number;
  maxPeers?: number;
  key?: string;
  heartbeatMs?: number;
  dir?: string;
  identityDir?: string;
  trust?: string;
  relayPort?: number;
  relayRate?: number;
  announce?: boolean;
  networkName?: string;
}): Promise<RunningMetaserver> {
  const security = await loadNodeSecurity({
    id: '',
    folder: options.dir,
    identityFolder: options.identityDir,
    trustFile: options.trust,
  });
  const server = new MetadataServer({
    security,
    host: options.host,
    port: options.port,
    maxPeers: options.maxPeers,
    key: options.key,
    relay: { port: options.relayPort, rateBytesPerSecond: options.relayRate },
    ...(options.heartbeatMs ? { peerTimeoutMs: options.heartbeatMs * 5 } : {}),
  });
  const address = await server.listen();
  const ready: MetaserverReadyEvent = {
    event: 'ready',
    role: 'metaserver',
    host: address.host,
    port: address.port,
    fingerprint: security.identity.fingerprint,
    relayPort: server.relay.port,
  };
  let bridge: TopologyBridge | undefined;
  let announcer: MdnsAnnouncer | undefined;
  const close = async (): Promise<void> => {
    await announcer?.close();
    await bridge?.close();
    await server.close();
    await security.trust.flush();
  };
  try {
    if (options.httpPort !== undefined) {
      bridge = new TopologyBridge(server, { host: options.host, port: options.httpPort });
      const bound = await bridge.listen();
      ready.httpPort = bound.port;
      ready.url = bound.url;
    }
    if (options.announce) {
      const name = options.networkName ?? defaultNetworkName();
      announcer = await startAnnouncer(() => ({
        name,
        port: address.port,
        needsKey: Boolean(options.key),
        fingerprint: security.identity.fingerprint,
        interfaces: announceInterfaces(address.host),
      }));
      ready.announced = { name, addresses: announcer.addresses };
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { server, ready, security, close };
}

/** `options` is a thunk: choosing the interfaces can fail too, and says so the same way. */
async function startAnnouncer(options: () => AnnouncerOptions): Promise<MdnsAnnouncer> {
  try {
    return await MdnsAnnouncer.start(options());
  } catch (err) {
    throw new P2PError(
      'DISCOVERY_FAILED',
      `could not announce the network on the LAN: ${(err as Error).message} (--no-announce skips it)`,
    );
  }
}

export async function runMetaserver(args: MetaserverArgs, out: EventOutput): Promise<number> {
  let running: RunningMetaserver;
  try {
    running = await startMetaserver(args);
  } catch (err) {
    out.emit(errorEvent(err));
    return 1;
  }
  out.emit(running.ready);
  running.server.on('peer-registered', (id) => out.note(`peer ${id} registered`));
  running.server.on('peer-left', (id) => out.note(`peer ${id} left`));
  running.server.on('refused', (err) => out.note(`refused: ${err.code} ${err.message}`));
  running.server.relay.on('circuit-end', (event) => out.emit(event));
  const unsubscribe = reportKeyChanges(running.security, (event) => out.emit(event));
  return runUntilStopped(
    {
      onCommand: (command) => runMetaserverCommand(running, command, out),
      onBadLine: () => out.note(METASERVER_COMMANDS),
      shutdown: () => {
        unsubscribe();
        return running.close().then(() => 0);
      },
    },
    out,
  );
}

const METASERVER_COMMANDS = 'the metaserver understands TOPO, BLOCK <id|fp>, TRUST <id> <fp> and STOP';

/** TOPO, and BLOCK / TRUST as a peer has them: a blocked peer's registration ends with its link. */
function runMetaserverCommand(running: RunningMetaserver, command: StdinCommand, out: EventOutput): void {
  try {
    if (command.name === 'TOPO') out.note(humanTopology(running.server.snapshot().peers));
    else if (command.name === 'BLOCK' || command.name === 'TRUST') out.emit(runTrustCommand(running.security, command));
    else out.note(METASERVER_COMMANDS);
  } catch (err) {
    out.emit(errorEvent(err, 'INTERNAL', command.arg || undefined));
  }
}

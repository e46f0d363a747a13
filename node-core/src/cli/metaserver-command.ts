// `p2p-node metaserver`: the metadata server, plus the topology bridge (HTTP + WebSocket,
// written in node-core/src/bridge) when --http-port is given.
import { TopologyBridge } from '../bridge';
import type { MetaserverReadyEvent } from '../events';
import { MetadataServer } from '../metaserver';
import { loadNodeSecurity } from '../wire';
import type { MetaserverArgs } from './args';
import { errorEvent } from './errors';
import { runUntilStopped } from './line-input';
import { humanTopology, type EventOutput } from './output';

export interface RunningMetaserver {
  server: MetadataServer;
  ready: MetaserverReadyEvent;
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
  trust?: string;
}): Promise<RunningMetaserver> {
  const security = await loadNodeSecurity({ id: '', folder: options.dir, trustFile: options.trust });
  const server = new MetadataServer({
    security,
    host: options.host,
    port: options.port,
    maxPeers: options.maxPeers,
    key: options.key,
    ...(options.heartbeatMs ? { peerTimeoutMs: options.heartbeatMs * 5 } : {}),
  });
  const address = await server.listen();
  const ready: MetaserverReadyEvent = {
    event: 'ready',
    role: 'metaserver',
    host: address.host,
    port: address.port,
    fingerprint: security.identity.fingerprint,
  };
  let bridge: TopologyBridge | undefined;
  if (options.httpPort !== undefined) {
    try {
      bridge = new TopologyBridge(server, { host: options.host, port: options.httpPort });
      const bound = await bridge.listen();
      ready.httpPort = bound.port;
      ready.url = bound.url;
    } catch (err) {
      await bridge?.close();
      await server.close();
      throw err;
    }
  }
  return {
    server,
    ready,
    close: async () => {
      await bridge?.close();
      await server.close();
      await security.trust.flush();
    },
  };
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
  return runUntilStopped(
    {
      onCommand: (command) => {
        if (command.name === 'TOPO') out.note(humanTopology(running.server.snapshot().peers));
        else out.note('the metaserver understands TOPO and STOP');
      },
      onBadLine: () => out.note('the metaserver understands TOPO and STOP'),
      shutdown: () => running.close().then(() => 0),
    },
    out,
  );
}

// What the CLI needs from a peer, whatever its overlay: FloodPeer and ChordPeerNode both fit.
// The mode switch lives here, so adding an overlay is one more case.
import type {
  DownloadCompleteEvent,
  FilesEvent,
  LookupEvent,
  NodeEvent,
  PeerReadyEvent,
  SearchResultEvent,
  SharedEvent,
  TopologyEvent,
} from '../events';
import { ChordPeerNode } from '../chord/chord-peer';
import { FloodPeer } from '../flood/flood-peer';
import type { PeerArgs } from './args';

export interface PeerNode {
  start(): Promise<PeerReadyEvent>;
  topology(): TopologyEvent;
  files(): Promise<FilesEvent>;
  share(path: string): Promise<SharedEvent>;
  search(name: string): Promise<SearchResultEvent[]>;
  get(
    name: string,
    options?: {
      signal?: AbortSignal;
      onProgress?: (bytes: number, total: number) => void;
      /** Skip the search: this version, from these holders. */
      result?: SearchResultEvent;
    },
  ): Promise<DownloadCompleteEvent>;
  /** Chord only. */
  lookup?(nameOrKey: string): Promise<LookupEvent>;
  stop(): Promise<void>;
  on(event: 'event', listener: (event: NodeEvent) => void): unknown;
}

export function createPeerNode(args: Omit<PeerArgs, 'command' | 'json'>): PeerNode {
  const heartbeat = args.heartbeatMs;
  if (args.mode === 'chord') {
    // --- chord --- (--heartbeat-ms also paces the chord timers; see ChordPeerOptions.heartbeatMs)
    return new ChordPeerNode({
      id: args.id,
      host: args.host,
      advertise: args.advertise,
      port: args.port,
      dir: args.dir,
      key: args.key,
      metaserver: args.metaserver,
      join: args.join,
      heartbeatMs: heartbeat,
      maxUploadBytesPerSecond: args.maxUploadBytesPerSecond,
    });
  }
  return new FloodPeer({
    id: args.id,
    host: args.host,
    advertise: args.advertise,
    port: args.port,
    dir: args.dir,
    metaserver: args.metaserver,
    join: args.join,
    key: args.key,
    maxNeighbors: args.maxNeighbors,
    ttl: args.ttl,
    maxUploadBytesPerSecond: args.maxUploadBytesPerSecond,
    ...(heartbeat ? { heartbeatMs: heartbeat, metaserverRetryMs: heartbeat } : {}),
  });
}

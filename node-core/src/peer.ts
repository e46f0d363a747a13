// The peer contract: what the CLI, the demo and tests need from a peer, whatever its overlay.
// FloodPeer and ChordPeer both implement it, and both take PeerOptions plus their own extras.
import type { FolderWatcherOptions } from './files/folder-watcher';
import type {
  Address,
  DownloadCompleteEvent,
  FilesEvent,
  FolderSharedEvent,
  LookupEvent,
  NodeEvent,
  PeerReadyEvent,
  SearchHitEvent,
  SearchResultEvent,
  SharedEvent,
  TopologyEvent,
} from './events';
import type { ChannelSecurity, ExpectedKey } from './wire';
import type { RelayLimits } from './relay/relay-hub';

/** The options every peer takes, whatever its overlay (the CLI's `peer` flags). */
export interface PeerOptions {
  id: string;
  host?: string;
  /** The host other peers are told to dial (default: host; see advertised-host.ts for 0.0.0.0). */
  advertise?: string;
  port?: number;
  dir: string;
  key?: string;
  /** The node's key pair and pins (default: fresh ones in memory, as in `demo`). */
  security?: ChannelSecurity;
  metaserver?: Address;
  /** The key the metaserver must show (`--metaserver-fp`, a LAN announcement, a share link). */
  metaserverKey?: ExpectedKey;
  /**
   * `--allow-relay`: behind NAT, if the metaserver cannot dial this peer back it is admitted as
   * relayed, and others reach it through the metaserver's relay (relay/).
   */
  allowRelay?: boolean;
  /** `--punch`: behind NAT, a relayed link to another relayed peer moves to a punched direct path (relay/). */
  punch?: boolean;
  /**
   * `--relay-for-others` (caps: `--relay-cap` bytes per second; circuits at once, per peer, idle
   * time): reachable, this peer relays circuits between others when the metaserver's relay is full.
   */
  relayForOthers?: RelayLimits;
  /** `--join HOST:PORT`: a peer already in the network (with or without a metaserver). */
  join?: Address;
  /** `--heartbeat-ms`: the metaserver heartbeat, and the pace of the overlay's own timers. */
  heartbeatMs?: number;
  /** Wait between attempts to reach a metaserver that is down (default: heartbeatMs). */
  metaserverRetryMs?: number;
  /** `--max-upload`: chunk bytes per second this peer sends, to all getters together (default: no cap). */
  maxUploadBytesPerSecond?: number;
  /** A downloaded chunk may take this long with nothing arriving on its link (default 30 s; tests shorten it). */
  chunkTimeoutMs?: number;
  /** Downloads from this size up are written and hashed in worker threads (default 32 MiB). */
  workerSinkFromBytes?: number;
  /** Watching the shared folders: false turns it off; the timings default to FolderWatcher's. */
  watch?: boolean | FolderWatcherOptions;
}

export interface PeerSearchOptions {
  /** Each holder's answer the moment it arrives, before the final results. */
  onHit?: (hit: SearchHitEvent) => void;
}

export interface PeerDownloadOptions {
  signal?: AbortSignal;
  /** The version to download and its holders, as SEARCH reported it or a share link names it (skips the search). */
  result?: SearchResultEvent;
  /** The Merkle root (hex) of the version to download, among those a search finds. */
  version?: string;
  /** `bySource`: bytes received from each holder (by id) since this GET started. */
  onProgress?: (bytes: number, total: number, bySource?: Readonly<Record<string, number>>) => void;
}

export interface PeerNodeEvents {
  /** Spontaneous events: neighbour changes, files added to or removed from the shared set, non-fatal errors. */
  event: [NodeEvent];
}

export interface PeerNode {
  /** Listens, registers with the metaserver (refusals reject) and joins the overlay. */
  start(): Promise<PeerReadyEvent>;
  topology(): TopologyEvent;
  files(): Promise<FilesEvent>;
  share(path: string): Promise<SharedEvent>;
  /** Shares every file under a folder, watched from then on and after a restart. */
  shareFolder(path: string): Promise<FolderSharedEvent>;
  /** One result per file version found; empty: not found. */
  search(name: string, options?: PeerSearchOptions): Promise<SearchResultEvent[]>;
  /** Downloads into Downloads/, verified, and shares the file from then on. */
  get(name: string, options?: PeerDownloadOptions): Promise<DownloadCompleteEvent>;
  /** Chord only. */
  lookup?(nameOrKey: string): Promise<LookupEvent>;
  /** Leaves gracefully (goodbyes, hand-offs), then releases every socket, timer and file. */
  stop(): Promise<void>;
  on(event: 'event', listener: (event: NodeEvent) => void): unknown;
}

// The `--json` event stream of `p2p-node`: one JSON object per line on stdout.
// This is a public contract (design.md, "The CLI"): the extension, the tests and users'
// scripts parse it. Add fields freely; never rename or remove one.

export interface Address {
  host: string;
  port: number;
}

export interface PeerRef extends Address {
  id: string;
}

export interface ChordNodeRef extends PeerRef {
  /** 40 hex digits: SHA-1 of `host:port`. */
  nodeId: string;
}

export type Mode = 'flood' | 'chord';

export interface MetaserverReadyEvent {
  event: 'ready';
  role: 'metaserver';
  host: string;
  port: number;
  httpPort?: number;
  /** The topology page, with its access token: `http://host:httpPort/?token=...`. */
  url?: string;
  /** SHA-256 of its public key (64 hex digits): what peers pin and `--trust` lists. */
  fingerprint?: string;
}

export interface PeerReadyEvent {
  event: 'ready';
  role: 'peer';
  id: string;
  host: string;
  port: number;
  mode: Mode;
  /** Chord only. */
  nodeId?: string;
  /** Absolute path of the peer's shared directory. */
  dir?: string;
  /** SHA-256 of its public key (64 hex digits): its identity, bound to `id`. */
  fingerprint?: string;
}

export interface NeighborUpEvent extends PeerRef {
  event: 'neighbor-up';
}

export interface NeighborDownEvent extends PeerRef {
  event: 'neighbor-down';
}

export interface TopologyEvent {
  event: 'topology';
  neighbors: PeerRef[];
  /** Chord only. */
  predecessor?: ChordNodeRef | null;
  successors?: ChordNodeRef[];
  fingers?: Array<{ start: string; node: ChordNodeRef }>;
}

export interface SharedFileInfo {
  name: string;
  size: number;
  sha256: string;
}

export interface FilesEvent {
  event: 'files';
  files: SharedFileInfo[];
}

export interface SharedEvent extends SharedFileInfo {
  event: 'shared';
  path: string;
}

export interface SearchResultEvent {
  event: 'search-result';
  name: string;
  size: number;
  sha256: string;
  holders: PeerRef[];
}

export interface NotFoundEvent {
  event: 'not-found';
  name: string;
}

export interface DownloadProgressEvent {
  event: 'download-progress';
  name: string;
  bytes: number;
  total: number;
}

export interface DownloadCompleteEvent {
  event: 'download-complete';
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  sources: string[];
}

export interface LookupEvent {
  event: 'lookup';
  key: string;
  owner: ChordNodeRef;
  hops: number;
}

export type ErrorCode =
  | 'BAD_COMMAND'
  | 'BAD_FLAG'
  | 'EMPTY_ID'
  | 'DUPLICATE_ID'
  | 'NETWORK_FULL'
  | 'AUTH_FAILED'
  /** TLS could not be set up (not our protocol, a replayed or tampered handshake). */
  | 'HANDSHAKE_FAILED'
  /** A known peer id came with another key (trust on first use). */
  | 'KEY_CHANGED'
  /** A key outside the `--trust` allow-list. */
  | 'NOT_TRUSTED'
  /** A peer announced an id other than the one dialed, or a message named another sender than the link's. */
  | 'ID_MISMATCH'
  | 'METASERVER_UNREACHABLE'
  | 'PEER_UNREACHABLE'
  | 'PORT_IN_USE'
  | 'BAD_NAME'
  | 'NOT_SHARED'
  | 'NOT_FOUND'
  | 'FILE_EXISTS'
  | 'VERIFY_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'CANCELLED'
  | 'PROTOCOL'
  | 'INTERNAL';

export interface ErrorEvent {
  event: 'error';
  code: ErrorCode;
  message: string;
  /** The file or peer the error is about, when there is one. */
  name?: string;
}

export interface StoppedEvent {
  event: 'stopped';
}

export type NodeEvent =
  | MetaserverReadyEvent
  | PeerReadyEvent
  | NeighborUpEvent
  | NeighborDownEvent
  | TopologyEvent
  | FilesEvent
  | SharedEvent
  | SearchResultEvent
  | NotFoundEvent
  | DownloadProgressEvent
  | DownloadCompleteEvent
  | LookupEvent
  | ErrorEvent
  | StoppedEvent;

export type NodeEventName = NodeEvent['event'];

/** Parses one stdout line of `p2p-node --json`; returns undefined for anything that is not an event. */
export function parseNodeEvent(line: string): NodeEvent | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string') {
      return value as NodeEvent;
    }
  } catch {
    // not JSON: ignore
  }
  return undefined;
}

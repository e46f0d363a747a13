// The `--json` event stream of `p2p-node`: one JSON object per line on stdout.
// This is a public contract (README.md, "Command-line"): the extension, the tests and users'
// scripts parse it. Add fields freely; never rename or remove one.
import type { ErrorCode } from './error-codes';

export interface Address {
  host: string;
  port: number;
}

export interface PeerRef extends Address {
  id: string;
  /** Behind NAT: not dialable at host:port, reached through the metaserver's relay (relay/). */
  relayed?: boolean;
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
  /** The relay for peers behind NAT listens here, on `host`. */
  relayPort?: number;
  /** Present when it announces itself on the LAN (mDNS): its display name and the addresses announced. */
  announced?: { name: string; addresses: string[] };
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
  /** With a metaserver: whether it could dial this peer back (see ReachabilityEvent). */
  reachable?: boolean;
  /** Unreachable, and reached through the metaserver's relay (`--allow-relay`). */
  relayed?: boolean;
  /** With a metaserver: its key fingerprint, pinned under its address (a share link carries it as `mfp`). */
  metaserverFingerprint?: string;
  /** With `--metaserver auto`: the network found on the LAN and joined. */
  discovered?: { name: string; host: string; port: number; fingerprint?: string };
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
  /** The version's Merkle root (see SearchResultEvent): its identity, and what a share link of this file names. */
  root: string;
}

export interface FilesEvent {
  event: 'files';
  files: SharedFileInfo[];
}

export interface SharedEvent extends SharedFileInfo {
  event: 'shared';
  path: string;
}

/** SHARE of a folder: it is watched from now on (and after a restart); `files` are those it offers now. */
export interface FolderSharedEvent {
  event: 'folder-shared';
  path: string;
  /** Each with where it lies under the folder. */
  files: (SharedFileInfo & { path: string })[];
}

/**
 * A file this peer now offers: new in its folder (once hashed), changed (a new root), shared
 * with SHARE, or downloaded. `path` is where it lies.
 */
export interface FileAddedEvent extends SharedFileInfo {
  event: 'file-added';
  path: string;
}

/** A file this peer no longer offers (deleted, moved away). */
export interface FileRemovedEvent {
  event: 'file-removed';
  name: string;
}

/** One holder's answer to a search, printed the moment it arrives; `search-result` follows. */
export interface SearchHitEvent {
  event: 'search-hit';
  name: string;
  size: number;
  /** The version's Merkle root (see SearchResultEvent). */
  root: string;
  holder: PeerRef;
}

export interface SearchResultEvent {
  event: 'search-result';
  name: string;
  size: number;
  /** The file's Merkle root, hex: the version a GET of this result downloads (node-core/PROTOCOL.md). */
  root: string;
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
  /** Bytes each holder (by id) has sent since this GET started; a resumed `.part`'s bytes count for none. */
  sources?: Record<string, number>;
}

/** After `PAUSE <name>`: the GET stopped and its `.part` stays; `GET <name>` resumes it. */
export interface DownloadPausedEvent {
  event: 'download-paused';
  name: string;
  /** Bytes verified or received when it stopped (0 if it stopped before the first chunk). */
  bytes: number;
  total: number;
}

export interface DownloadCompleteEvent {
  event: 'download-complete';
  name: string;
  path: string;
  bytes: number;
  /** The Merkle root every chunk was verified against. */
  root: string;
  sources: string[];
}

export interface LookupEvent {
  event: 'lookup';
  key: string;
  owner: ChordNodeRef;
  hops: number;
}

export type { ErrorCode };

export interface ErrorEvent {
  event: 'error';
  code: ErrorCode;
  message: string;
  /** The file or peer the error is about, when there is one. */
  name?: string;
  /**
   * A peer's start refused because the metaserver at its address showed another key than the one
   * pinned there: both keys (the error is `KEY_CHANGED`). Starting it with `--metaserver-fp` set to
   * the new key replaces the pin.
   */
  keyChange?: Omit<KeyChangedEvent, 'event'>;
}

/**
 * A handshake was refused because a peer id this node had pinned came with another key: the
 * peer reinstalled, or someone else is using its id. Printed once per (id, new fingerprint).
 * A metaserver's key is pinned under the id `metaserver/HOST:PORT` (`TRUST` takes that id).
 */
export interface KeyChangedEvent {
  event: 'key-changed';
  id: string;
  oldFingerprint: string;
  newFingerprint: string;
  /** Set when the key is a metaserver's: its `HOST:PORT` (then `id` is `metaserver/HOST:PORT`). */
  metaserver?: string;
}

/** After `BLOCK <id|fingerprint>`: what the deny-list now holds for it; its links are closed. */
export interface BlockedEvent {
  event: 'blocked';
  /** Set when blocked by id. */
  id?: string;
  /** The keys blocked with it (by id: the one pinned for it, if any). */
  fingerprints: string[];
}

/** After `TRUST <id> <fingerprint>`: the key now pinned for that id. */
export interface TrustedEvent {
  event: 'trusted';
  id: string;
  fingerprint: string;
}

/**
 * After each registration: whether the metaserver could dial this peer back. Unreachable with
 * `--allow-relay`, the peer is admitted as relayed: others reach it through the metaserver.
 */
export interface ReachabilityEvent {
  event: 'reachability';
  reachable: boolean;
  relayed: boolean;
  /** The metaserver's key fingerprint at this registration. */
  metaserverFingerprint?: string;
}

/** A hole punch this peer tried to a relayed peer (`--punch`): on success the link is direct, else relayed. */
export interface PunchEvent {
  event: 'punch';
  peer: string;
  ok: boolean;
  ms: number;
  message?: string;
}

/**
 * The metaserver's relay ended a circuit: both ends left, it moved to a punched direct path, or it
 * hit a cap (`capped`), idled out (`idle`) or never got its second end (`unpaired`).
 */
export interface RelayCircuitEvent {
  event: 'relay-circuit';
  dialer: string;
  target: string;
  /** What this circuit carried, both ways together. */
  bytes: number;
  ended: 'closed' | 'capped' | 'idle' | 'unpaired';
  /** The relay's counters after it: circuits still open, and bytes carried by every ended circuit. */
  circuitsOpen: number;
  bytesCarried: number;
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
  | FolderSharedEvent
  | FileAddedEvent
  | FileRemovedEvent
  | SearchHitEvent
  | SearchResultEvent
  | NotFoundEvent
  | DownloadProgressEvent
  | DownloadPausedEvent
  | DownloadCompleteEvent
  | LookupEvent
  | KeyChangedEvent
  | BlockedEvent
  | TrustedEvent
  | ErrorEvent
  | ReachabilityEvent
  | PunchEvent
  | RelayCircuitEvent
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

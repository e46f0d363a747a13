// The seam between the ring logic and the network. ChordNode speaks only these interfaces:
// `ChordRemote` is another node as seen from here (one method per chord RPC), `ChordService`
// is what this node answers. The wire adapter (wire-transport.ts) implements both over the
// shared frame protocol, so the ring logic never touches a socket.
import type { ChordNodeRef } from '../events';
import { P2PError } from '../wire/errors';
import type { ChordVersionRef } from '../wire/fields';
import { idFromHex, idToHex, nodeIdOf } from './id';

/**
 * A node on the ring: its peer id (`--id`), where it listens, and its ring position. `relayed`:
 * reached through the metaserver's relay (it says so of itself; from others it is only a hint).
 */
export interface ChordContact {
  id: string;
  host: string;
  port: number;
  nodeId: bigint;
  relayed?: boolean;
}

/**
 * One step of an iterative lookup, answered by the node asked:
 * `owner` when the key falls between it and its successor (or it owns it itself),
 * otherwise `next`: nodes strictly closer to the key, best first, so the asker can skip a dead one.
 */
export type LookupStep = { owner: ChordContact } | { next: ChordContact[] };

/** A step of the ring-merge walk (see ring-merge.ts). */
export interface MergeHint {
  /** The node that started the walk: it ends there. */
  origin: ChordContact;
  /** Nodes to look our own id up through: at least one is on the other ring. */
  contacts: ChordContact[];
  /** Nodes the walk may still visit. */
  ttl: number;
}

/** One version of a file name: its size and Merkle root (its identity). */
export interface VersionClaim {
  size: number;
  root: string;
}

/** What names a version: its root (bound to size and chunk size). */
export type VersionId = Pick<VersionClaim, 'root'>;

/** A version and the nodes said to serve it. */
export interface FileVersion extends VersionClaim {
  holders: ChordContact[];
}

export interface NeighborState {
  predecessor: ChordContact | null;
  successors: ChordContact[];
}

export interface ChordRemote {
  readonly peer: ChordContact;
  /** `avoid`: nodes the asker found dead; the remote routes as if they were gone. */
  lookupStep(key: bigint, avoid: readonly ChordContact[], signal: AbortSignal): Promise<LookupStep>;
  getNeighbors(signal: AbortSignal): Promise<NeighborState>;
  /** "I think I am your predecessor." */
  notify(self: ChordContact, signal: AbortSignal): Promise<void>;
  /** "I just joined right after you": lets the predecessor link at once instead of at its next stabilize. */
  successorHint(self: ChordContact, signal: AbortSignal): Promise<void>;
  ping(signal: AbortSignal): Promise<void>;
  /** Graceful leave: the leaver tells its neighbours whom to link to instead. */
  leaving(self: ChordContact, heir: NeighborState, signal: AbortSignal): Promise<void>;
  /**
   * Asks the remote to hold these files (by name; the key is the name's hash). It fetches the
   * ones it lacks from `source` with the verified transfer, then answers.
   */
  offerFiles(source: ChordContact, names: string[], signal: AbortSignal): Promise<void>;
  /** Ring merge: the remote queues a merge step (answers at once, works in the background). */
  mergeHint(hint: MergeHint, signal: AbortSignal): Promise<void>;
  /** To a name's owner: `holder` serves this version (chord-versions.ts). */
  publishVersion(name: string, claim: VersionClaim, holder: ChordContact, signal: AbortSignal): Promise<void>;
  /** To a name's owner: `holder` no longer serves this version. */
  withdrawVersion(name: string, version: VersionId, holder: ChordContact, signal: AbortSignal): Promise<void>;
  /** The versions of `name` the remote keeps records of. */
  versionsOf(name: string, signal: AbortSignal): Promise<FileVersion[]>;
  /** Version records for the remote to keep (replication, hand-over, hand-off). */
  putVersions(name: string, versions: readonly FileVersion[], signal: AbortSignal): Promise<void>;
}

/** The version records a node keeps and answers about (chord-versions.ts). */
export interface VersionService {
  publishVersion(name: string, claim: VersionClaim, holder: ChordContact, signal: AbortSignal): Promise<void>;
  withdrawVersion(name: string, version: VersionId, holder: ChordContact, signal: AbortSignal): Promise<void>;
  versionsOf(name: string): FileVersion[];
  putVersions(name: string, versions: readonly FileVersion[]): void;
}

/** What a node answers to remote calls; the wire adapter dispatches incoming requests here. */
export interface ChordService {
  /** The version records this node keeps, if it keeps files (chord-versions.ts). */
  readonly versionRecords: VersionService | undefined;
  lookupStep(key: bigint, avoid?: ReadonlySet<bigint>): LookupStep;
  getNeighbors(): NeighborState;
  notify(from: ChordContact): void;
  successorHint(from: ChordContact): void;
  leaving(from: ChordContact, heir: NeighborState): void;
  offerFiles(source: ChordContact, names: string[], signal: AbortSignal): Promise<void>;
  mergeHint(hint: MergeHint): void;
}

/** Opens (or reuses) a channel to a node. */
export interface ChordTransport {
  remote(peer: ChordContact): ChordRemote;
  /** Drops any cached connection to a node found dead. */
  forget(peer: ChordContact): void;
  close(): Promise<void>;
}

export function samePeer(a: ChordContact | null | undefined, b: ChordContact | null | undefined): boolean {
  return a != null && b != null && a.nodeId === b.nodeId;
}

export function toNodeRef(peer: ChordContact): ChordNodeRef {
  const ref: ChordNodeRef = { id: peer.id, nodeId: idToHex(peer.nodeId), host: peer.host, port: peer.port };
  return peer.relayed === true ? { ...ref, relayed: true } : ref;
}

/**
 * A node reference from the wire. Its node id must be SHA-1 of the address it names: a node
 * cannot pick its place on the ring (next to a key it wants to capture) by announcing an id.
 * A `relayed` mark is kept and passed on as it came: dial() treats it as a hint (wire/server.ts).
 */
export function fromNodeRef(ref: ChordNodeRef): ChordContact {
  const nodeId = idFromHex(ref.nodeId);
  if (nodeId !== nodeIdOf(ref.host, ref.port))
    throw new P2PError('PROTOCOL', `node "${ref.id}": id ${ref.nodeId} is not SHA-1 of ${ref.host}:${ref.port}`);
  const contact: ChordContact = { id: ref.id, host: ref.host, port: ref.port, nodeId };
  return ref.relayed === true ? { ...contact, relayed: true } : contact;
}

export function toVersionRef(version: FileVersion): ChordVersionRef {
  const { size, root, holders } = version;
  return { size, root, holders: holders.map(toNodeRef) };
}

/** A version record from the wire: every holder's id is checked as fromNodeRef does. */
export function fromVersionRef(ref: ChordVersionRef): FileVersion {
  const { size, root, holders } = ref;
  return { size, root, holders: holders.map(fromNodeRef) };
}

// The field kinds a message header may carry, each with its limits. messages.ts names a
// kind per field; the decoder runs the matching check. Adding a kind = one check + one type.
import type { Mode } from '../events';
import type { TopologyPeer, TrafficFlow } from '../topology';
import type { PeerRef, ChordNodeRef } from '../events';

export const MAX_ID_LENGTH = 64;
export const MAX_NAME_LENGTH = 255;
/** One traffic report: at most this many holders, each at most this many bytes (1 TiB). */
export const MAX_TRAFFIC_FLOWS = 64;
export const MAX_TRAFFIC_BYTES = 2 ** 40;
/** Versions of one file name a chord record set carries (and an owner keeps). */
export const MAX_CHORD_VERSIONS = 16;
/** Holders one chord version record names. */
export const MAX_VERSION_HOLDERS = 8;
const ID_PATTERN = /^[A-Za-z0-9._:@-]+$/;

/** One version of a file name as chord nodes exchange it: its identity and who serves it. */
export interface ChordVersionRef {
  size: number;
  root: string;
  holders: ChordNodeRef[];
}

/** The TypeScript type each kind decodes to. */
export interface KindTypes {
  string: string;
  text: string;
  peerId: string;
  peerIdOrEmpty: string;
  fileName: string;
  host: string;
  port: number;
  u32: number;
  uint: number;
  bool: boolean;
  /** A SHA-256 output (a file version's Merkle root): 64 lower-case hex digits. */
  digest: string;
  hex: string;
  nodeId: string;
  mode: Mode;
  errorCode: string;
  peerRef: PeerRef;
  peerRefs: PeerRef[];
  chordRef: ChordNodeRef;
  chordRefs: ChordNodeRef[];
  chordVersions: ChordVersionRef[];
  peerIds: string[];
  fingerprints: string[];
  fileNames: string[];
  topologyPeers: TopologyPeer[];
  chordView: NonNullable<TopologyPeer['chord']>;
  trafficFlows: TrafficFlow[];
}

export type Kind = keyof KindTypes;

const isString = (v: unknown, max: number, min = 0): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isUInt = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isHex = (v: unknown, min: number, max: number): v is string => isString(v, max, min) && /^[0-9a-f]*$/.test(v);
const isArray = (v: unknown, max: number, each: (item: unknown) => boolean): boolean =>
  Array.isArray(v) && v.length <= max && v.every(each);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isPeerId(v: unknown): v is string {
  return isString(v, MAX_ID_LENGTH, 1) && ID_PATTERN.test(v);
}

/** Plain file names only: no separators, no `..`, no NUL, no control characters. */
export function isFileName(v: unknown): v is string {
  if (!isString(v, MAX_NAME_LENGTH, 1)) return false;
  if (v === '.' || v === '..' || v.includes('..')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[/\\\u0000-\u001f]/.test(v);
}

const isPeerRef = (v: unknown): boolean =>
  isRecord(v) &&
  isPeerId(v.id) &&
  isString(v.host, 255, 1) &&
  isUInt(v.port, 65535) &&
  (v.relayed === undefined || typeof v.relayed === 'boolean');
const isChordRef = (v: unknown): boolean => isPeerRef(v) && isHex((v as { nodeId?: unknown }).nodeId, 40, 40);

const isChordVersion = (v: unknown): boolean =>
  isRecord(v) &&
  isUInt(v.size, Number.MAX_SAFE_INTEGER) &&
  isHex(v.root, 64, 64) &&
  Array.isArray(v.holders) &&
  v.holders.length >= 1 &&
  isArray(v.holders, MAX_VERSION_HOLDERS, isChordRef);

const isChordView = (v: unknown): boolean =>
  isRecord(v) &&
  isHex(v.nodeId, 40, 40) &&
  (v.predecessor === null || isPeerId(v.predecessor)) &&
  isArray(v.successors, 256, isPeerId) &&
  isArray(v.fingers, 256, isPeerId);

const isFingerprintHex = (v: unknown): boolean => isHex(v, 64, 64);
const isNeighborKeys = (v: unknown): boolean =>
  isRecord(v) &&
  Object.keys(v).length <= 1024 &&
  Object.entries(v).every(([id, fp]) => isPeerId(id) && isFingerprintHex(fp));

const isTopologyPeer = (v: unknown): boolean =>
  isPeerRef(v) &&
  isRecord(v) &&
  (v.mode === 'flood' || v.mode === 'chord') &&
  isArray(v.neighbors, 1024, isPeerId) &&
  (v.files === undefined || isArray(v.files, 10000, isFileName)) &&
  (v.chord === undefined || isChordView(v.chord)) &&
  (v.relayedLinks === undefined || isArray(v.relayedLinks, 1024, isPeerId)) &&
  (v.fingerprint === undefined || isFingerprintHex(v.fingerprint)) &&
  (v.neighborKeys === undefined || isNeighborKeys(v.neighborKeys));

const isTrafficFlow = (v: unknown): boolean =>
  isRecord(v) && Object.keys(v).length === 2 && isPeerId(v.from) && isUInt(v.bytes, MAX_TRAFFIC_BYTES);

export const KIND_CHECKS: { [K in Kind]: (v: unknown) => boolean } = {
  string: (v) => isString(v, 1024),
  text: (v) => isString(v, 4096),
  peerId: isPeerId,
  peerIdOrEmpty: (v) => v === '' || isPeerId(v),
  fileName: isFileName,
  host: (v) => isString(v, 255, 1),
  port: (v) => isUInt(v, 65535),
  u32: (v) => isUInt(v, 0xffffffff),
  uint: (v) => isUInt(v, Number.MAX_SAFE_INTEGER),
  bool: (v) => typeof v === 'boolean',
  digest: (v) => isHex(v, 64, 64),
  hex: (v) => isHex(v, 1, 256),
  nodeId: (v) => isHex(v, 40, 40),
  mode: (v) => v === 'flood' || v === 'chord',
  errorCode: (v) => isString(v, 32, 1) && /^[A-Z_]+$/.test(v),
  peerRef: isPeerRef,
  peerRefs: (v) => isArray(v, 256, isPeerRef),
  chordRef: isChordRef,
  chordRefs: (v) => isArray(v, 256, isChordRef),
  chordVersions: (v) => isArray(v, MAX_CHORD_VERSIONS, isChordVersion),
  peerIds: (v) => isArray(v, 1024, isPeerId),
  fingerprints: (v) => isArray(v, 1024, isFingerprintHex),
  fileNames: (v) => isArray(v, 10000, isFileName),
  topologyPeers: (v) => isArray(v, 4096, isTopologyPeer),
  chordView: isChordView,
  trafficFlows: (v) => isArray(v, MAX_TRAFFIC_FLOWS, isTrafficFlow),
};

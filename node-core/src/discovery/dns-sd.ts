// DNS-SD over mDNS for a metaserver (RFC 6763, RFC 6762): the records an announcer sends and the
// one door every answer from the LAN passes. Answers come from strangers: each record is checked
// by shape and size, at most MAX_RECORDS are looked at per packet, and the address to dial is
// always the sender's own (an answer naming another host could send every peer on the LAN to
// dial a victim).
import { isIPv4 } from 'node:net';
import type { Answer, Packet } from 'dns-packet';
import { isFingerprint } from '../wire/identity';
import { PROTOCOL_VERSION } from '../wire/messages';

export const SERVICE_TYPE = '_p2p-network._tcp.local';
export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;
/** Seconds an announcement lives (RFC 6762 recommends 120 s for records naming a host). */
export const ANNOUNCE_TTL_S = 120;
/** Records of one packet that are looked at; the rest are ignored. */
export const MAX_RECORDS = 64;
/** Services of one packet that are looked at. */
const MAX_SERVICES_PER_PACKET = 8;
const MAX_TXT_ENTRIES = 16;
const MAX_NAME_CHARS = 63;
/** A network's display name: letters, digits, space and a few marks; no `$(`, no control or bidi characters. */
const NETWORK_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@:'-]*$/u;
const INSTANCE_LABEL = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** What a metaserver says about itself. */
export interface ServiceDescription {
  /** The DNS-SD instance label, unique on the LAN: `p2p-` and 8 hex digits. */
  instance: string;
  /** The network's display name (TXT `name`). */
  name: string;
  port: number;
  /** The IPv4 address peers dial on this interface. */
  address: string;
  /** True when joining needs the network key (TXT `auth=key`). */
  needsKey: boolean;
  /** The metaserver's key fingerprint (TXT `fp`), to compare with what it presents and with `--trust`. */
  fingerprint?: string;
}

/** A network heard on the LAN, after every check. */
export interface FoundNetwork {
  /** `instance@host`: stable while the announcer runs; a stranger cannot overwrite another sender's. */
  key: string;
  name: string;
  host: string;
  port: number;
  needsKey: boolean;
  /** What the sender says its metaserver's fingerprint is (a claim, like everything here). */
  fingerprint?: string;
  /** Seconds the sender says it stays valid; 0 is a goodbye. */
  ttl: number;
}

export function isNetworkName(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_NAME_CHARS && NETWORK_NAME.test(v);
}

const instanceName = (instance: string): string => `${instance}.${SERVICE_TYPE}`;
const targetName = (instance: string): string => `${instance}.local`;

/** PTR → SRV + TXT + A for one service; `ttl` 0 says goodbye. */
export function serviceRecords(service: ServiceDescription, ttl = ANNOUNCE_TTL_S): Answer[] {
  const full = instanceName(service.instance);
  const txt = [`name=${service.name}`, `v=${PROTOCOL_VERSION}`, `auth=${service.needsKey ? 'key' : 'none'}`];
  if (service.fingerprint) txt.push(`fp=${service.fingerprint}`);
  return [
    { name: SERVICE_TYPE, type: 'PTR', ttl, data: full },
    {
      name: full,
      type: 'SRV',
      ttl,
      flush: true,
      data: { port: service.port, target: targetName(service.instance), priority: 0, weight: 0 },
    },
    { name: full, type: 'TXT', ttl, flush: true, data: txt },
    { name: targetName(service.instance), type: 'A', ttl, flush: true, data: service.address },
  ];
}

/** True when a query asks for our service type (or one of our own names). */
export function asksForService(packet: Pick<Packet, 'questions'>, service: ServiceDescription): boolean {
  const ours = new Set([SERVICE_TYPE, instanceName(service.instance), targetName(service.instance)]);
  const questions = Array.isArray(packet.questions) ? packet.questions.slice(0, MAX_RECORDS) : [];
  return questions.some((q) => typeof q?.name === 'string' && ours.has(q.name.toLowerCase()));
}

interface LooseRecord {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}

/** The networks a response packet from `source` describes; anything malformed is left out. */
export function readAnnouncements(packet: Pick<Packet, 'answers' | 'additionals'>, source: string): FoundNetwork[] {
  if (!isIPv4(source)) return [];
  const records = [...listOf(packet.answers), ...listOf(packet.additionals)]
    .slice(0, MAX_RECORDS)
    .map(looseRecord)
    .filter((r): r is LooseRecord => r !== undefined);
  const suffix = `.${SERVICE_TYPE}`;
  const instances = new Set<string>();
  for (const r of records) {
    if (r.type !== 'PTR' || r.name !== SERVICE_TYPE || typeof r.data !== 'string') continue;
    const full = r.data.toLowerCase();
    const label = full.endsWith(suffix) ? full.slice(0, -suffix.length) : '';
    if (INSTANCE_LABEL.test(label) && instances.size < MAX_SERVICES_PER_PACKET) instances.add(label);
  }
  const found: FoundNetwork[] = [];
  for (const instance of instances) {
    const network = readService(records, instance, source);
    if (network) found.push(network);
  }
  return found;
}

function readService(records: LooseRecord[], instance: string, source: string): FoundNetwork | undefined {
  const full = instanceName(instance);
  const ptr = records.find((r) => r.type === 'PTR' && r.data === full);
  const srv = records.find((r) => r.type === 'SRV' && r.name === full);
  const txt = records.find((r) => r.type === 'TXT' && r.name === full);
  if (!ptr || !srv || !txt) return undefined;
  const target = srvTarget(srv.data);
  const fields = txtFields(txt.data);
  if (!target || !fields) return undefined;
  if (fields.get('v') !== String(PROTOCOL_VERSION)) return undefined;
  const name = fields.get('name');
  if (!isNetworkName(name)) return undefined;
  // The sender may name its address; it must be the one the packet came from.
  const named = records.filter((r) => r.type === 'A' && r.name === target.host).map((r) => r.data);
  if (named.some((address) => address !== source)) return undefined;
  const fingerprint = fields.get('fp');
  if (fingerprint !== undefined && !isFingerprint(fingerprint)) return undefined;
  return {
    key: `${instance}@${source}`,
    name,
    host: source,
    port: target.port,
    needsKey: fields.get('auth') === 'key',
    ...(fingerprint && { fingerprint }),
    ttl: Math.min(ptr.ttl, srv.ttl),
  };
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function looseRecord(v: unknown): LooseRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.name !== 'string' || r.name.length > 255 || typeof r.type !== 'string') return undefined;
  const ttl = typeof r.ttl === 'number' && Number.isInteger(r.ttl) && r.ttl >= 0 ? r.ttl : undefined;
  if (ttl === undefined) return undefined;
  return { name: r.name.toLowerCase(), type: r.type, ttl, data: r.data };
}

function srvTarget(data: unknown): { host: string; port: number } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { port, target } = data as Record<string, unknown>;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (typeof target !== 'string' || target.length > 255) return undefined;
  const host = target.toLowerCase();
  const labels = host.split('.');
  if (labels.length < 2 || labels.at(-1) !== 'local' || !labels.every((l) => HOST_LABEL.test(l))) return undefined;
  return { host, port };
}

/** TXT `key=value` strings (RFC 6763 §6); the first of a repeated key wins. */
function txtFields(data: unknown): Map<string, string> | undefined {
  const entries = Array.isArray(data) ? data : [data];
  if (entries.length > MAX_TXT_ENTRIES) return undefined;
  const fields = new Map<string, string>();
  for (const entry of entries) {
    if (!Buffer.isBuffer(entry) && typeof entry !== 'string') return undefined;
    const text = Buffer.isBuffer(entry) ? entry.toString('utf8') : entry;
    if (text.length > 255) return undefined;
    const at = text.indexOf('=');
    const key = (at < 0 ? text : text.slice(0, at)).toLowerCase();
    if (key !== '' && !fields.has(key)) fields.set(key, at < 0 ? '' : text.slice(at + 1));
  }
  return fields;
}

// Validation of the argument objects the commands accept when scripted or tested
// (`executeCommand('p2p.joinNetwork', {id, metaserver, dir, mode})`). Anything missing is
// asked for with a prompt instead; anything present but wrong is refused with a clear message.
// No `vscode` import, so the rules are unit-tested in plain mocha.

import { isAbsolute } from 'node:path';
import type { Mode } from '@node-core/events';
import { isNetworkName } from '@node-core/discovery/dns-sd';
import { isFingerprint } from '@node-core/wire/identity';

export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

export type Fields = Record<string, unknown>;

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain argument object (not a tree element, which carries `kind`, and not a Uri). */
export function argumentObject(value: unknown): Fields | undefined {
  if (!isRecord(value) || 'kind' in value || 'scheme' in value) return undefined;
  return value;
}

export interface StartMetaserverArgs {
  host?: string;
  port?: number;
  httpPort?: number;
  maxPeers?: number;
  /** Announce on the LAN (mDNS) even on loopback (`--announce`). */
  announce?: boolean;
  /** The network's display name announced (`--network-name`). */
  networkName?: string;
}

export interface JoinArgs {
  id?: string;
  /** `host:port`, or `auto`: the one network announced on the LAN (`p2p-node peer --metaserver auto`). */
  metaserver?: string;
  join?: string;
  dir?: string;
  mode?: Mode;
  host?: string;
  /** The address other peers are told to dial (`--advertise`), for a peer bound to 0.0.0.0. */
  advertise?: string;
  port?: number;
  maxNeighbors?: number;
  ttl?: number;
  /** Behind NAT, be reached through the metaserver's relay (`--allow-relay`; default: the setting). */
  allowRelay?: boolean;
  /** The key the metaserver must show (`--metaserver-fp`; a share link's `mfp`). */
  metaserverFingerprint?: string;
}

export interface SearchArgs {
  name?: string;
  peer?: string;
  timeoutMs?: number;
}

export interface DownloadArgs {
  name?: string;
  peer?: string;
}

export interface DemoArgs {
  peers?: number;
  mode?: Mode;
  port?: number;
}

export function parseStartMetaserverArgs(value: Fields): StartMetaserverArgs {
  return {
    host: optionalHost(value, 'host'),
    port: optionalPort(value, 'port'),
    httpPort: optionalPort(value, 'httpPort'),
    maxPeers: optionalInteger(value, 'maxPeers', 1, 100_000),
    announce: optionalBoolean(value, 'announce'),
    networkName: optionalNetworkName(value, 'networkName'),
  };
}

export function parseJoinArgs(value: Fields): JoinArgs {
  const args: JoinArgs = {
    id: optionalString(value, 'id'),
    metaserver: optionalString(value, 'metaserver'),
    join: optionalString(value, 'join'),
    dir: optionalString(value, 'dir'),
    mode: optionalMode(value, 'mode'),
    host: optionalHost(value, 'host'),
    advertise: optionalHost(value, 'advertise'),
    port: optionalPort(value, 'port'),
    maxNeighbors: optionalInteger(value, 'maxNeighbors', 1, 1000),
    ttl: optionalInteger(value, 'ttl', 1, 10),
    allowRelay: optionalBoolean(value, 'allowRelay'),
    metaserverFingerprint: optionalString(value, 'metaserverFingerprint')?.toLowerCase(),
  };
  if (args.id !== undefined) validatePeerId(args.id);
  if (args.metaserverFingerprint !== undefined && !isFingerprint(args.metaserverFingerprint))
    throw new ArgumentError('"metaserverFingerprint" must be a key fingerprint: 64 hex digits.');
  if (args.metaserver !== undefined && args.metaserver !== 'auto') validateAddress(args.metaserver, 'metaserver');
  if (args.join !== undefined) validateAddress(args.join, 'join');
  if (args.dir !== undefined && !isAbsolute(args.dir))
    throw new ArgumentError(`"dir" must be an absolute path, got "${args.dir}".`);
  return args;
}

export function parseSearchArgs(value: Fields): SearchArgs {
  const args = {
    name: optionalString(value, 'name'),
    peer: optionalString(value, 'peer'),
    timeoutMs: optionalInteger(value, 'timeoutMs', 100, 600_000),
  };
  if (args.name !== undefined && args.name.trim() === '') throw new ArgumentError('"name" must not be empty.');
  return args;
}

export function parseDownloadArgs(value: Fields): DownloadArgs {
  const args = { name: optionalString(value, 'name'), peer: optionalString(value, 'peer') };
  if (args.name !== undefined) validateFileName(args.name);
  return args;
}

export function parseDemoArgs(value: Fields): DemoArgs {
  return {
    peers: optionalInteger(value, 'peers', 1, 50),
    mode: optionalMode(value, 'mode'),
    port: optionalPort(value, 'port'),
  };
}

/** Peer ids: what a person types (letters, digits, `-_.`), no spaces, at most 64 characters. */
export function validatePeerId(id: string): void {
  const message = peerIdProblem(id);
  if (message) throw new ArgumentError(message);
}

/** For input boxes: the problem with an id, or undefined when it is fine. */
export function peerIdProblem(id: string): string | undefined {
  if (id.trim() === '') return 'A peer id must not be empty.';
  if (id.length > 64) return 'A peer id has at most 64 characters.';
  if (!/^[A-Za-z0-9._-]+$/.test(id)) return 'A peer id uses letters, digits, ".", "_" and "-" only.';
  return undefined;
}

/** `host:port`, e.g. `127.0.0.1:5000`. */
export function addressProblem(address: string): string | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(address.trim());
  if (!match) return 'Use host:port, e.g. 127.0.0.1:5000.';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return 'The port must be between 1 and 65535.';
  return undefined;
}

export function portProblem(text: string): string | undefined {
  if (!/^\d{1,5}$/.test(text.trim())) return 'Enter a number from 0 to 65535 (0: the system picks a free port).';
  return Number(text) > 65535 ? 'Enter a number from 0 to 65535.' : undefined;
}

/** Shared file names are plain names (node-core/README.md, `files/file-store.ts`). */
export function fileNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'Enter a file name.';
  if (/[/\\\0]/.test(name) || name === '.' || name === '..')
    return 'A file name has no "/", "\\" or NUL, and is not "." or "..".';
  return undefined;
}

function validateAddress(address: string, field: string): void {
  const problem = addressProblem(address);
  if (problem) throw new ArgumentError(`"${field}": ${problem}`);
}

function validateFileName(name: string): void {
  const problem = fileNameProblem(name);
  if (problem) throw new ArgumentError(`"name": ${problem}`);
}

function optionalString(value: Fields, field: string): string | undefined {
  const v = value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ArgumentError(`"${field}" must be a string.`);
  return v;
}

function optionalBoolean(value: Fields, field: string): boolean | undefined {
  const v = value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ArgumentError(`"${field}" must be true or false.`);
  return v;
}

function optionalNetworkName(value: Fields, field: string): string | undefined {
  const name = optionalString(value, field);
  if (name !== undefined && !isNetworkName(name))
    throw new ArgumentError(`"${field}" must be 1 to 63 letters, digits, spaces or . _ @ : ' - (no icons).`);
  return name;
}

function optionalHost(value: Fields, field: string): string | undefined {
  const host = optionalString(value, field);
  if (host !== undefined && (host.trim() === '' || /\s/.test(host)))
    throw new ArgumentError(`"${field}" must be a host name or IP address.`);
  return host;
}

function optionalInteger(value: Fields, field: string, min: number, max: number): number | undefined {
  const v = value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ArgumentError(`"${field}" must be an integer from ${min} to ${max}.`);
  return v;
}

function optionalPort(value: Fields, field: string): number | undefined {
  return optionalInteger(value, field, 0, 65535);
}

function optionalMode(value: Fields, field: string): Mode | undefined {
  const v = optionalString(value, field);
  if (v === undefined) return undefined;
  const mode = v.toLowerCase();
  if (mode !== 'flood' && mode !== 'chord') throw new ArgumentError(`"${field}" must be "flood" or "chord".`);
  return mode;
}

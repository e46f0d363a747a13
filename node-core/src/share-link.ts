// Share links: one URL names a file version (name, Merkle root, size) and how to reach it (a
// holder, the network's metaserver). The VS Code extension opens them through its
// UriHandler and `p2p-node get LINK` downloads them. A link comes from a stranger, so parsing
// checks every field and refuses anything ambiguous (a repeated field, a host with a path in it).
import { isIP } from 'node:net';
import type { Address, Mode, PeerRef, SearchResultEvent } from './events';
import { isFileName, isPeerId } from './wire/fields';
import { isFingerprint } from './wire/identity';

/** Where a link points: `vscode://p2p-network.p2p-network-vscode/download?...` by default. */
export interface ShareLinkTarget {
  /** `vscode`, `vscode-insiders`, ... (the extension passes vscode.env.uriScheme). */
  scheme: string;
  /** The extension id, `publisher.name`. */
  authority: string;
}

export const DEFAULT_LINK_TARGET: ShareLinkTarget = { scheme: 'vscode', authority: 'p2p-network.p2p-network-vscode' };
export const SHARE_LINK_PATH = '/download';
/** Longer text is refused before it is parsed. */
export const MAX_LINK_LENGTH = 4096;

export interface ShareLink {
  name: string;
  /** The version's Merkle root (64 lowercase hex digits), its identity: every chunk is verified against it. */
  root: string;
  /** Bytes (bound into the root as well). */
  size: number;
  /** A peer that shares the file. */
  holder?: PeerRef;
  /** The holder's key fingerprint (64 hex digits): a holder showing another key is not used. */
  fingerprint?: string;
  /** The network's metaserver, so a fresh peer can join and find other holders. */
  metaserver?: Address;
  /** The metaserver's key fingerprint (`mfp`): a metaserver showing another key is not used. */
  metaserverFingerprint?: string;
  mode?: Mode;
}

export class ShareLinkError extends Error {
  constructor(message: string) {
    super(`not a valid share link: ${message}`);
    this.name = 'ShareLinkError';
  }
}

// An older build's links also carry `sha256` (the whole file's digest): an unknown field, ignored.
type Field = 'name' | 'size' | 'root' | 'holder' | 'id' | 'fp' | 'metaserver' | 'mfp' | 'mode';

export function formatShareLink(link: ShareLink, target: ShareLinkTarget = DEFAULT_LINK_TARGET): string {
  const query = new URLSearchParams({ name: link.name, size: String(link.size), root: link.root });
  if (link.holder) {
    query.set('holder', formatAddress(link.holder));
    query.set('id', link.holder.id);
    if (link.fingerprint) query.set('fp', link.fingerprint);
  }
  if (link.metaserver) {
    query.set('metaserver', formatAddress(link.metaserver));
    if (link.metaserverFingerprint) query.set('mfp', link.metaserverFingerprint);
  }
  if (link.mode) query.set('mode', link.mode);
  return `${target.scheme}://${target.authority}${SHARE_LINK_PATH}?${query.toString()}`;
}

/** A file name never contains `/`, so anything with `://` is meant as a link. */
export function isShareLinkText(text: string): boolean {
  return text.includes('://');
}

/** Parses and checks a link; throws ShareLinkError saying what is wrong. Any URI scheme is accepted. */
export function parseShareLink(text: string, authority = DEFAULT_LINK_TARGET.authority): ShareLink {
  if (typeof text !== 'string' || text.length > MAX_LINK_LENGTH)
    throw new ShareLinkError(`expected a URL of at most ${MAX_LINK_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ShareLinkError('it is not a URL');
  }
  if (url.host.toLowerCase() !== authority.toLowerCase() || url.username || url.password)
    throw new ShareLinkError(`it is not addressed to ${authority}`);
  if (url.pathname !== SHARE_LINK_PATH) throw new ShareLinkError(`its path must be ${SHARE_LINK_PATH}`);
  return parseShareLinkQuery(url.searchParams);
}

/** The fields of a link's query (the UriHandler gets the query alone). */
export function parseShareLinkQuery(query: URLSearchParams | string): ShareLink {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const field = (key: Field): string | undefined => {
    const values = params.getAll(key);
    if (values.length > 1) throw new ShareLinkError(`"${key}" is given ${values.length} times`);
    return values[0];
  };
  const name = field('name');
  if (!isFileName(name)) throw new ShareLinkError('"name" must be a plain file name');
  const root = field('root')?.toLowerCase();
  if (!isDigest(root)) throw new ShareLinkError('"root" must be 64 hex digits');
  const size = field('size');
  if (size === undefined || !/^\d{1,16}$/.test(size) || !Number.isSafeInteger(Number(size)))
    throw new ShareLinkError('"size" must be a byte count');
  // names travel in NFC, as the wire and the file store use them
  const link: ShareLink = { name: name.normalize('NFC'), size: Number(size), root };
  const holder = field('holder');
  const id = field('id');
  if ((holder === undefined) !== (id === undefined)) throw new ShareLinkError('"holder" and "id" come together');
  if (holder !== undefined && id !== undefined) {
    if (!isPeerId(id)) throw new ShareLinkError('"id" must be a peer id');
    link.holder = { id, ...parseAddress('holder', holder) };
  }
  const fingerprint = field('fp')?.toLowerCase();
  if (fingerprint !== undefined) {
    if (!link.holder) throw new ShareLinkError('"fp" is the holder\'s key: it needs "holder" and "id"');
    if (!isFingerprint(fingerprint)) throw new ShareLinkError('"fp" must be 64 hex digits');
    link.fingerprint = fingerprint;
  }
  const metaserver = field('metaserver');
  if (metaserver !== undefined) link.metaserver = parseAddress('metaserver', metaserver);
  const metaserverFingerprint = field('mfp')?.toLowerCase();
  if (metaserverFingerprint !== undefined) {
    if (!link.metaserver) throw new ShareLinkError('"mfp" is the metaserver\'s key: it needs "metaserver"');
    if (!isFingerprint(metaserverFingerprint)) throw new ShareLinkError('"mfp" must be 64 hex digits');
    link.metaserverFingerprint = metaserverFingerprint;
  }
  const mode = field('mode');
  if (mode !== undefined) {
    if (mode !== 'flood' && mode !== 'chord') throw new ShareLinkError('"mode" must be flood or chord');
    link.mode = mode;
  }
  if (!link.holder && !link.metaserver) throw new ShareLinkError('it names neither a holder nor a metaserver');
  return link;
}

/** What a search for the link's file would have found: its holder, for a download that skips the search. */
export function linkSearchResult(link: ShareLink): SearchResultEvent | undefined {
  if (!link.holder) return undefined;
  const { name, size, root, holder } = link;
  return { event: 'search-result', name, size, root, holders: [holder] };
}

const isDigest = (v: string | undefined): v is string => v !== undefined && /^[0-9a-f]{64}$/.test(v);

// DNS names (letters, digits, hyphens, dots), IPv4, or IPv6 in brackets: nothing that could
// smuggle a path, a user name or a second address into a dial.
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function parseAddress(key: string, value: string): Address {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new ShareLinkError(`"${key}" must be HOST:PORT`);
  const bracketed = match[1].startsWith('[');
  const host = bracketed ? match[1].slice(1, -1) : match[1];
  const valid = bracketed ? isIP(host) === 6 : isIP(host) === 4 || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
  if (!valid) throw new ShareLinkError(`"${key}" has no valid host`);
  return { host, port };
}

function formatAddress(address: Address): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

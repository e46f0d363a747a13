// What every peer does the same way, whatever its overlay: its metaserver client, the
// checks before a download, the download itself into its store, and the events it answers with.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  DownloadCompleteEvent,
  ErrorEvent,
  FileAddedEvent,
  FileRemovedEvent,
  FilesEvent,
  Mode,
  PeerReadyEvent,
  PeerRef,
  SearchResultEvent,
  PunchEvent,
  ReachabilityEvent,
  RelayCircuitEvent,
} from './events';
import { assertFileName, type FileOrigin, type FileStore } from './files/file-store';
import type { AddressProof } from './metaserver/address-proof';
import { MetaserverClient, type Reachability } from './metaserver/metaserver-client';
import { MetaserverRelay, type InboundStreams } from './relay/relay-route';
import type { PeerOptions } from './peer';
import { download, type DownloadRequest, type DownloadResult } from './transfer/download-session';
import { metaserverPinId, P2PError, STATE_FOLDER, type ChannelSecurity } from './wire';

/** The metaserver client of a peer with `--metaserver`, or undefined without one. */
export function peerMetaserverClient(
  options: PeerOptions,
  security: ChannelSecurity,
  self: PeerRef,
  mode: Mode,
  addressProof: AddressProof,
  relay?: MetaserverRelay,
): MetaserverClient | undefined {
  if (!options.metaserver) return undefined;
  return new MetaserverClient({
    address: options.metaserver,
    self: { id: self.id, host: self.host, port: self.port, mode },
    addressProof,
    key: options.key,
    security,
    expectedKey: options.metaserverKey,
    allowRelay: options.allowRelay,
    relayForOthers: relay?.forOthers,
    heartbeatMs: options.heartbeatMs,
    retryMs: options.metaserverRetryMs ?? options.heartbeatMs,
  });
}

/**
 * A GET of a bad name, or of a name this peer already shares, fails before any network work.
 * Resolves with the name in NFC, as the download and the wire use it.
 */
export async function assertCanDownload(store: FileStore, name: string): Promise<string> {
  const nfc = assertFileName(name);
  if (await store.holds(nfc)) throw new P2PError('FILE_EXISTS', `"${nfc}" is already shared by this peer`, nfc);
  return nfc;
}

/**
 * The versions a GET may try, most held first: those found, or only the one whose root is
 * `version`. None: NOT_FOUND.
 */
export function versionsToTry(name: string, found: SearchResultEvent[], version?: string): SearchResultEvent[] {
  const versions = version ? found.filter((r) => r.root === version) : found;
  if (versions.length > 0) return versions;
  const what = version ? `version ${version.slice(0, 16)}… of "${name}"` : `"${name}"`;
  throw new P2PError('NOT_FOUND', `nobody in the network shares ${what}`, name);
}

/** Where a peer lists the folders it shares besides its own (in its state folder, never shared). */
export function sharedFoldersFile(dir: string): string {
  return join(dir, STATE_FOLDER, 'shared-folders.json');
}

/** Sends the store's file changes into the peer's event stream, and its file list to the metaserver. */
export function followStore(
  store: FileStore,
  emit: (event: FileAddedEvent | FileRemovedEvent, origin?: FileOrigin) => void,
  metaserver: () => MetaserverClient | undefined,
): void {
  store.on('file-added', (event, origin) => {
    metaserver()?.reportFiles(store.names());
    emit(event, origin);
  });
  store.on('file-removed', (event) => {
    metaserver()?.reportFiles(store.names());
    emit(event);
  });
}

export type StoreDownloadRequest = Omit<DownloadRequest, 'downloadsDir' | 'workerSinkFromBytes' | 'chunkTimeoutMs'>;

/** Downloads into the store's Downloads/ with the peer's transfer options, and shares the result. */
export async function downloadIntoStore(
  store: FileStore,
  options: Pick<PeerOptions, 'workerSinkFromBytes' | 'chunkTimeoutMs'>,
  request: StoreDownloadRequest,
): Promise<DownloadResult> {
  const release = store.reserve(request.name);
  try {
    const result = await download({
      ...request,
      downloadsDir: store.downloadsDir,
      workerSinkFromBytes: options.workerSinkFromBytes,
      chunkTimeoutMs: options.chunkTimeoutMs,
    });
    if (!store.adopt(result.path, result.manifest, result.stamp)) {
      await rm(result.path, { force: true });
      throw new P2PError('FILE_EXISTS', `"${request.name}" was shared by this peer during the download`, request.name);
    }
    return result;
  } finally {
    release();
  }
}

export function downloadCompleteEvent(result: DownloadResult): DownloadCompleteEvent {
  const { name, path, bytes, root, sources } = result;
  return { event: 'download-complete', name, path, bytes, root, sources };
}

export function peerReadyEvent(
  self: PeerRef,
  mode: Mode,
  dir: string,
  fingerprint: string,
  nodeId?: string,
  reachability?: Reachability,
): PeerReadyEvent {
  return {
    event: 'ready',
    role: 'peer',
    id: self.id,
    host: self.host,
    port: self.port,
    mode,
    ...(nodeId ? { nodeId } : {}),
    dir,
    fingerprint,
    ...(reachability ?? {}),
  };
}

/** Circuits a peer relays for others at once, and per peer, unless told otherwise. */
const PEER_RELAY_DEFAULTS = { maxCircuits: 16, maxCircuitsPerPeer: 4 };

/**
 * A peer's relay route (attached once its metaserver client exists), punching if `--punch`, and
 * relaying for others if `--relay-for-others`.
 */
export function peerRelayRoute(
  options: PeerOptions,
  emit: (event: PunchEvent | RelayCircuitEvent) => void,
): MetaserverRelay {
  const forOthers = options.relayForOthers && { ...PEER_RELAY_DEFAULTS, ...options.relayForOthers };
  return new MetaserverRelay({ punch: options.punch, onPunch: emit, relayForOthers: forOthers, onRelayed: emit });
}

/**
 * Attaches the peer's relay to its metaserver client and listener (dialing relayed peers, and
 * being reached when it is relayed itself); its reachability after each later registration goes
 * into its event stream (the first one is in the ready event), and so does a re-registration
 * refused for the metaserver's key.
 */
export function attachRelay(
  relay: MetaserverRelay,
  client: MetaserverClient | undefined,
  listener: InboundStreams,
  emit: (event: ReachabilityEvent | ErrorEvent) => void,
): void {
  if (!client) return;
  let first = true;
  client.on('reachability', (status) => {
    if (!first) emit({ event: 'reachability', ...status });
    first = false;
  });
  // named after the metaserver, so that no command waiting for its own answer takes it for one
  const name = metaserverPinId(client.address);
  client.on('refused', (err) => emit({ event: 'error', code: err.code, message: err.message, name }));
  relay.attach(client, listener);
}

export async function filesEvent(store: FileStore): Promise<FilesEvent> {
  return { event: 'files', files: await store.list() };
}

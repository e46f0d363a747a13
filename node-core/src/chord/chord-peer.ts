// A `p2p-node peer --mode chord`: the ring (ChordRing, entered through ring-entry.ts), files on it
// (ChordStorage over the shared FileStore and transfer), the metaserver registration (its reports
// in ring-reports.ts), and the stdin commands, each answered with contract events (events.ts).
// The CLI owns stdin/stdout.
import { EventEmitter } from 'node:events';
import type {
  DownloadCompleteEvent,
  FileAddedEvent,
  FileRemovedEvent,
  FilesEvent,
  LookupEvent,
  NodeEvent,
  PeerReadyEvent,
  PeerRef,
  SearchResultEvent,
  SharedEvent,
  FolderSharedEvent,
  TopologyEvent,
} from '../events';
import { assertFileName, FileStore, type FileOrigin } from '../files/file-store';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import type { PeerDownloadOptions, PeerNode, PeerNodeEvents, PeerOptions, PeerSearchOptions } from '../peer';
import {
  assertCanDownload,
  downloadCompleteEvent,
  filesEvent,
  followStore,
  sharedFoldersFile,
  peerMetaserverClient,
  peerReadyEvent,
  versionsToTry,
  attachRelay,
  peerRelayRoute,
} from '../peer-support';
import { AddressProof } from '../metaserver/address-proof';
import type { MetaserverRelay } from '../relay/relay-route';
import { TrafficMeter } from '../transfer/traffic-meter';
import { serveTransferRequest } from '../transfer/transfer-client';
import { downloadFirstVersion } from '../transfer/try-versions';
import { UploadLimiter } from '../transfer/upload-limiter';
import { ephemeralSecurity, P2PError, toP2PError, type ChannelSecurity } from '../wire';
import { ChordRing } from './chord-ring';
import { StoreFileHost } from './chord-file-host';
import { ChordStorage, DEFAULT_STORAGE_OPTIONS } from './chord-storage';
import { ChordVersions } from './chord-versions';
import { idToHex, keyFromNameOrHex } from './id';
import { timingsFromHeartbeat, type ChordTimings } from './maintenance';
import { toNodeRef, type ChordContact } from './remote';
import { takeRingCopy } from './ring-copy';
import { RingEntry } from './ring-entry';
import { RingReports } from './ring-reports';
import { searchVersions } from './version-search';
import { PauseRequest } from '../transfer/pause';

export interface ChordPeerOptions extends PeerOptions {
  timings?: Partial<ChordTimings>;
  successorListLength?: number;
  /** Copies beyond the owner (default 2). */
  replicas?: number;
  /** Background failures (maintenance, replication): diagnostics, not events. */
  log?: (line: string) => void;
}

/** The chord peer. `heartbeatMs` also paces the chord timers that `timings` does not set (timingsFromHeartbeat). */
export class ChordPeer extends EventEmitter<PeerNodeEvents> implements PeerNode {
  readonly store: FileStore;
  private started:
    | { ring: ChordRing; reports: RingReports; fileHost: StoreFileHost; storage: ChordStorage; versions: ChordVersions }
    | undefined;
  private metaserver: MetaserverClient | undefined;
  private readonly traffic = new TrafficMeter((flows) =>
    this.metaserver?.reportActivity({ t: 'activity-traffic', flows }),
  );
  private readonly operations = new AbortController();
  private readonly addressProof = new AddressProof();
  private stopped = false;
  private readonly emitEvent = (event: NodeEvent): boolean => this.emit('event', event);
  private ended: Promise<void> | undefined;

  private readonly security: ChannelSecurity;
  private readonly relay: MetaserverRelay;

  constructor(private readonly options: ChordPeerOptions) {
    super();
    this.security = options.security ?? ephemeralSecurity(options.id);
    this.relay = peerRelayRoute(options, this.emitEvent);
    this.store = new FileStore(options.dir, { watch: options.watch, foldersFile: sharedFoldersFile(options.dir) });
    followStore(
      this.store,
      (event, origin) => this.onStoreChanged(event, origin),
      () => this.metaserver,
    );
  }

  /** A file that appeared in the folder is placed on the ring as SHARE does; a removed one is no longer re-offered. */
  private onStoreChanged(event: FileAddedEvent | FileRemovedEvent, origin?: FileOrigin): void {
    if (this.stopped) return;
    this.emit('event', event);
    if (!this.started) return;
    if (event.event === 'file-removed') this.started.storage.unpublish(event.name);
    else if (origin === 'folder')
      this.started.storage.put(event.name, this.operations.signal).catch((err: unknown) => {
        if (!this.stopped) this.options.log?.(`chord publish ${event.name}: ${toP2PError(err).message}`);
      });
  }

  /** Listens, registers with the metaserver (refusals reject), joins or starts the ring. */
  async start(): Promise<PeerReadyEvent> {
    const { options, store } = this;
    const log = (task: string, err: unknown): void => options.log?.(`chord ${task}: ${toP2PError(err).message}`);
    await store.open();
    const uploadLimiter = UploadLimiter.forCap(options.maxUploadBytesPerSecond);
    const ring = await ChordRing.start({
      id: options.id,
      host: options.host ?? '127.0.0.1',
      advertise: options.advertise,
      port: options.port ?? 0,
      key: options.key,
      security: this.security,
      relay: this.relay,
      timings: { ...timingsFromHeartbeat(options.heartbeatMs), ...options.timings },
      onError: log,
      onLinkPath: () => this.started?.reports.linksSoon(),
      node: options.successorListLength ? { successorListLength: options.successorListLength } : undefined,
      fallbackRouter: (conn, incoming) => {
        if (incoming.msg.t === 'address-check') {
          this.addressProof.answer(conn, incoming);
          return true;
        }
        if (incoming.msg.t !== 'manifest-get' && incoming.msg.t !== 'chunk-get') return false;
        void serveTransferRequest(store, conn, incoming, uploadLimiter);
        return true;
      },
    });
    const reports = new RingReports(ring, store, this.security, () => this.metaserver, this.emitEvent);
    const fileHost = new StoreFileHost(
      store,
      { ...options, security: this.security, relay: this.relay },
      () => reports.files(),
      (holder, bytes) => this.traffic.add(holder.id, bytes),
    );
    const replicas = options.replicas ?? 2;
    const versions = new ChordVersions(ring, fileHost, replicas, log);
    const storage = new ChordStorage(ring, fileHost, versions, { ...DEFAULT_STORAGE_OPTIONS, replicas }, log);
    this.started = { ring, reports, fileHost, storage, versions };
    let entry: RingEntry;
    try {
      const referrals = await this.register();
      entry = new RingEntry(ring, this.metaserver, this.relay, this.operations.signal, options.log);
      await entry.enter(options.join, referrals);
    } catch (err) {
      await this.close();
      throw err;
    }
    ring.node.on('ring-changed', () => reports.ringChanged());
    entry.keepOnRing();
    reports.ringChanged();
    reports.files();
    void this.publishExisting(log);
    return this.readyEvent();
  }

  /** Files already in --dir at start are shared too: place them on the ring, in the background. */
  private async publishExisting(log: (task: string, err: unknown) => void): Promise<void> {
    for (const name of this.store.names()) {
      if (this.stopped) return;
      await this.require()
        .storage.put(name, this.operations.signal)
        .catch((err: unknown) => {
          if (!this.stopped) log(`publish ${name}`, err);
        });
    }
  }

  get ring(): ChordRing {
    return this.require().ring;
  }

  get storage(): ChordStorage {
    return this.require().storage;
  }

  /** The version records this node keeps (as a name's owner or replica). */
  get versions(): ChordVersions {
    return this.require().versions;
  }

  get self(): ChordContact {
    return this.ring.self;
  }

  readyEvent(): PeerReadyEvent {
    const fingerprint = this.security.identity.fingerprint;
    const nodeId = idToHex(this.self.nodeId);
    return peerReadyEvent(this.self, 'chord', this.store.dir, fingerprint, nodeId, this.metaserver?.reachability);
  }

  /** Registers with the metaserver (if any; refusals reject): its referrals, for RingEntry. */
  private async register(): Promise<PeerRef[]> {
    await this.relay.listenForOthers(this.options.host ?? '127.0.0.1');
    const { security, self, addressProof, relay } = this;
    this.metaserver = peerMetaserverClient(this.options, security, self, 'chord', addressProof, relay);
    attachRelay(this.relay, this.metaserver, this.ring, this.emitEvent);
    this.metaserver?.on('reachability', ({ relayed }) => this.ring.markRelayed(relayed));
    return this.metaserver ? await this.metaserver.register() : [];
  }

  // ---- commands ----

  async lookup(nameOrKey: string): Promise<LookupEvent> {
    const key = keyFromNameOrHex(nameOrKey.trim());
    const { owner, hops } = await this.ring.lookup(key, this.operations.signal);
    return { event: 'lookup', key: idToHex(key), owner: toNodeRef(owner), hops };
  }

  topology(): TopologyEvent {
    return this.ring.topologyEvent();
  }

  files(): Promise<FilesEvent> {
    return filesEvent(this.store);
  }

  /** SHARE: serve it here, then place it on its owner (who replicates it). */
  async share(path: string): Promise<SharedEvent> {
    const shared = await this.store.share(path);
    this.started?.reports.files();
    await this.storage.put(shared.name, this.operations.signal);
    return { event: 'shared', ...shared };
  }

  /** Its files are placed on the ring as they are offered (onStoreChanged), as for the peer's own folder. */
  async shareFolder(path: string): Promise<FolderSharedEvent> {
    return { event: 'folder-shared', ...(await this.store.shareFolder(path)) };
  }

  /**
   * SEARCH: every version of the name, from the records its owner and replicas keep, each
   * listed with the holders whose own manifest proves it (version-search.ts).
   */
  search(query: string, options: PeerSearchOptions = {}): Promise<SearchResultEvent[]> {
    const name = assertFileName(query);
    const { storage, ring, fileHost } = this.require();
    const sources = {
      placement: async (n: string, signal: AbortSignal) => (await storage.holders(n, signal)).holders,
      recordsAt: (node: ChordContact, n: string, signal: AbortSignal) =>
        ring.node.call(node, (r, s) => r.versionsOf(n, AbortSignal.any([s, signal]))),
      versionAt: (n: string, peer: ChordContact, signal: AbortSignal) => fileHost.versionAt(n, peer, signal),
    };
    return searchVersions(sources, name, this.operations.signal, options.onHit);
  }

  /**
   * GET: the version given (`result`, a pick from SEARCH), or else every version found, most
   * held first, until one downloads and verifies (or the ring's copy already here). The getter
   * then serves it and tells the owner.
   */
  async get(query: string, options: PeerDownloadOptions = {}): Promise<DownloadCompleteEvent> {
    const { storage, reports } = this.require();
    const name = assertFileName(query);
    const done = (await takeRingCopy(this.store, storage, name, options)) ?? (await this.download(query, options));
    reports.files();
    // placed as the user's own: a ring copy taken or a download joined is never pruned after
    storage.put(done.name, this.operations.signal).catch((err: unknown) => {
      if (!this.stopped) this.options.log?.(`chord publish ${done.name}: ${toP2PError(err).message}`);
    });
    return done;
  }

  private async download(query: string, options: PeerDownloadOptions): Promise<DownloadCompleteEvent> {
    const name = await assertCanDownload(this.store, query);
    const signal = options.signal ? AbortSignal.any([options.signal, this.operations.signal]) : this.operations.signal;
    const found = options.result ? [options.result] : await this.search(name);
    const versions = versionsToTry(name, found, options.version);
    const { fileHost } = this.require();
    const result = await downloadFirstVersion(versions, (version) =>
      fileHost.download(name, version.holders, signal, options.onProgress, version),
    );
    return downloadCompleteEvent(result);
  }

  /** STOP: hand the keys on, tell the neighbours, leave the metaserver, close. */
  stop(): Promise<void> {
    return this.shutdown({ handOff: true, endRing: (ring) => ring.close() });
  }

  /** Test hook: die without hand-off or goodbye (every socket destroyed at once). */
  crash(): Promise<void> {
    return this.shutdown({ handOff: false, endRing: (ring) => ring.crash() });
  }

  /** Ends at once, without hand-off or goodbye (a failed start, test clean-up). */
  close(): Promise<void> {
    return this.shutdown({ handOff: false, endRing: (ring) => ring.close() });
  }

  /** The one path that ends the peer, whichever way it ends; later calls wait for the first. */
  private shutdown(how: { handOff: boolean; endRing: (ring: ChordRing) => Promise<void> }): Promise<void> {
    this.ended ??= this.release(how.handOff, how.endRing);
    return this.ended;
  }

  /** Hand-off (if graceful), then operations aborted, timers cleared, ring and metaserver closed. */
  private async release(handOff: boolean, endRing: (ring: ChordRing) => Promise<void>): Promise<void> {
    if (handOff && this.started) {
      await this.started.storage.handOffAll();
      await this.started.versions.handOffAll();
      await this.started.ring.leave();
    }
    this.stopped = true;
    // a stop is not a cancel: a GET's .part stays, to be resumed by the next GET
    this.operations.abort(new PauseRequest());
    this.started?.reports.close();
    this.traffic.close();
    if (this.started) {
      await endRing(this.started.ring);
      // Closing the ring aborted the downloads it started (replicas, hand-overs); wait until
      // their files are closed, so nothing writes into the folder after close() resolves.
      await this.started.fileHost.settle();
    }
    await this.store.close();
    await this.relay.close();
    await this.metaserver?.close();
    this.removeAllListeners();
  }

  private require(): NonNullable<ChordPeer['started']> {
    if (!this.started) throw new P2PError('INTERNAL', 'the chord peer is not started');
    return this.started;
  }
}

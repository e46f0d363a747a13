// A `p2p-node peer --mode chord`: the ring (ChordRing), files on it (ChordStorage over the
// shared FileStore and transfer), the metaserver registration and link reports, and the stdin
// commands, each answered with contract events (events.ts). The CLI owns stdin/stdout.
import { EventEmitter } from 'node:events';
import type {
  DownloadCompleteEvent,
  FileAddedEvent,
  FileRemovedEvent,
  FilesEvent,
  LookupEvent,
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
import { idToHex, keyFromNameOrHex, nodeIdOf } from './id';
import type { ChordTimings } from './maintenance';
import { toNodeRef, type ChordContact } from './remote';
import { searchVersions } from './version-search';
import { retrying } from './neighbor-liveness';
import { PauseRequest } from '../transfer/pause';

/** Passes over the referrals before a start fails; the pause before pass n + 1 is n times JOIN_PAUSE_MS. */
const JOIN_ROUNDS = 3;
const JOIN_PAUSE_MS = 300;
/** Refusals a retry cannot change: this node may not be on the ring as it is. */
const JOIN_FATAL: ReadonlySet<string> = new Set([
  'DUPLICATE_ID',
  'AUTH_FAILED',
  'BLOCKED',
  'NOT_TRUSTED',
  'KEY_CHANGED',
  'CANCELLED',
]);

export interface ChordPeerOptions extends PeerOptions {
  timings?: Partial<ChordTimings>;
  successorListLength?: number;
  /** Copies beyond the owner (default 2). */
  replicas?: number;
  /** Background failures (maintenance, replication): diagnostics, not events. */
  log?: (line: string) => void;
}

/** Replication rounds between two meetings of a random referral (ring merge check). */
const MEET_EVERY_REPLICATIONS = 4;

/**
 * The chord peer. `heartbeatMs` also paces the chord timers when `timings` does not set them
 * (stabilize = 1×, fix_fingers = ½×, check_predecessor = 2×, replicas = 3×).
 */
export class ChordPeer extends EventEmitter<PeerNodeEvents> implements PeerNode {
  readonly store: FileStore;
  private started:
    { ring: ChordRing; fileHost: StoreFileHost; storage: ChordStorage; versions: ChordVersions } | undefined;
  private metaserver: MetaserverClient | undefined;
  private readonly traffic = new TrafficMeter((flows) =>
    this.metaserver?.reportActivity({ t: 'activity-traffic', flows }),
  );
  private reportTimer: NodeJS.Timeout | undefined;
  private links = new Map<string, PeerRef>();
  private readonly operations = new AbortController();
  private readonly addressProof = new AddressProof();
  private stopped = false;
  private ended: Promise<void> | undefined;

  private readonly security: ChannelSecurity;
  private readonly relay: MetaserverRelay;

  constructor(private readonly options: ChordPeerOptions) {
    super();
    this.security = options.security ?? ephemeralSecurity(options.id);
    this.relay = peerRelayRoute(options, (event) => this.emit('event', event));
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
      onLinkPath: () => this.reportLinksSoon(),
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
    const fileHost = new StoreFileHost(
      store,
      { ...options, security: this.security, relay: this.relay },
      () => this.reportFiles(),
      (holder, bytes) => this.traffic.add(holder.id, bytes),
    );
    const replicas = options.replicas ?? 2;
    const versions = new ChordVersions(ring, fileHost, replicas, log);
    const storage = new ChordStorage(ring, fileHost, versions, { ...DEFAULT_STORAGE_OPTIONS, replicas }, log);
    this.started = { ring, fileHost, storage, versions };
    try {
      await this.enterRing();
    } catch (err) {
      await this.close();
      throw err;
    }
    ring.node.on('ring-changed', () => this.ringChanged());
    if (this.metaserver) {
      ring.every('rejoin', ring.replicateMs, () => this.rejoinIfIsolated());
      ring.every('meet', MEET_EVERY_REPLICATIONS * ring.replicateMs, () => this.meetAReferral());
    }
    this.ringChanged();
    this.reportFiles();
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

  /**
   * A node that lost every successor and its predecessor (more consecutive deaths than its
   * successor list covers, or a partition) is a ring of one; the metaserver knows who else is
   * out there, so it joins through them again.
   */
  private async rejoinIfIsolated(): Promise<void> {
    const { ring } = this.require();
    if (!ring.node.successors.isEmpty() || ring.node.predecessor || !this.metaserver?.connected) return;
    const referrals = this.noteRelayed(await this.metaserver.referrals([this.self.id]));
    for (const ref of referrals) {
      try {
        await ring.node.join({ id: ref.id, host: ref.host, port: ref.port, nodeId: nodeIdOf(ref.host, ref.port) });
        this.options.log?.(`chord: was alone, rejoined through ${ref.id}`);
        return;
      } catch {
        // a flood peer, a dead one, or one that is on our own (one-node) ring: try the next
      }
    }
  }

  /**
   * The metaserver may see nodes of another ring (peers that joined through `--join`, a ring
   * that formed while it was down): meeting one of its referrals now and then merges the rings.
   */
  private async meetAReferral(): Promise<void> {
    const { ring } = this.require();
    if (ring.node.isAlone() || !this.metaserver?.connected) return;
    const referrals = this.noteRelayed(await this.metaserver.referrals([this.self.id]));
    const pick = referrals[Math.floor(Math.random() * referrals.length)];
    if (pick && (await ring.meet(pick))) this.options.log?.(`chord: ${pick.id} is on another ring, merging`);
  }

  /** Referrals the metaserver admitted as relayed are dialed through the relay from the first try. */
  private noteRelayed(referrals: PeerRef[]): PeerRef[] {
    for (const ref of referrals) if (ref.relayed) this.relay.reachedThroughRelay(ref);
    return referrals;
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

  /** Registers with the metaserver (if any), then joins through --join, a referral, or starts a ring. */
  private async enterRing(): Promise<void> {
    const { join } = this.options;
    await this.relay.listenForOthers(this.options.host ?? '127.0.0.1');
    const { security, self, addressProof, relay } = this;
    this.metaserver = peerMetaserverClient(this.options, security, self, 'chord', addressProof, relay);
    attachRelay(this.relay, this.metaserver, this.ring, (event) => this.emit('event', event));
    this.metaserver?.on('reachability', ({ relayed }) => this.ring.markRelayed(relayed));
    const referrals = this.noteRelayed(this.metaserver ? await this.metaserver.register() : []);
    if (join) {
      await this.ring.begin(join);
      // The referrals may be on another ring than the --join address: merge with it.
      for (const ref of referrals.slice(0, 2)) void this.ring.meet(ref);
      return;
    }
    if (referrals.length === 0) return this.ring.begin();
    // A slow or settling ring (lookups timing out, answers its neighbours contradict for a moment)
    // gets more passes; a refusal about who we are does not.
    const policy = {
      when: (err: unknown) => !JOIN_FATAL.has(toP2PError(err).code),
      tries: JOIN_ROUNDS,
      backoffMs: JOIN_PAUSE_MS,
      signal: this.operations.signal,
    };
    try {
      await retrying(() => this.joinThroughAny(referrals), policy);
    } catch (err) {
      if (!policy.when(err)) throw err;
      throw new P2PError(
        'PEER_UNREACHABLE',
        `could not join the ring through any referral: ${toP2PError(err).message}`,
      );
    }
  }

  /** One pass over the referrals; rejects with the last failure. */
  private async joinThroughAny(referrals: PeerRef[]): Promise<void> {
    let lastError: unknown;
    for (const ref of referrals) {
      // A referral may be a flood peer (the metaserver serves both): it refuses chord-step.
      try {
        return await this.ring.begin(ref);
      } catch (err) {
        lastError = err;
        if (JOIN_FATAL.has(toP2PError(err).code)) throw err;
        // A lone node may have joined us meanwhile (it rejoins through the metaserver): its ring is ours.
        if (!this.ring.node.isAlone()) return this.ring.begin();
      }
    }
    throw lastError;
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
    this.reportFiles();
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
    const { storage } = this.require();
    const done = (await this.takeRingCopy(assertFileName(query), options)) ?? (await this.download(query, options));
    this.reportFiles();
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

  /**
   * A GET of a name the ring placed a copy of here: that copy, if it is the version asked for,
   * becomes the user's download at once (verified when it was fetched); another version asked
   * for replaces it (a node keeps one file per name).
   */
  private async takeRingCopy(name: string, options: PeerDownloadOptions): Promise<DownloadCompleteEvent | undefined> {
    const { storage } = this.require();
    if (!storage.holdsForRing(name)) return undefined;
    const manifest = await this.store.manifest(name).catch(() => undefined);
    const path = this.store.pathOf(name);
    const wanted = options.result ?? options.version;
    const isWanted =
      manifest &&
      (wanted === undefined || (typeof wanted === 'string' ? wanted === manifest.root : wanted.root === manifest.root));
    if (!manifest || !path || !isWanted) {
      await storage.dropRingCopy(name);
      return undefined;
    }
    const { size: bytes, root } = manifest;
    return { event: 'download-complete', name, path, bytes, root, sources: [] };
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
    clearTimeout(this.reportTimer);
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

  // ---- reporting ----

  private ringChanged(): void {
    if (this.stopped) return;
    const now = new Map(this.ring.topologyEvent().neighbors.map((p) => [p.id, p]));
    for (const [id, p] of this.links) if (!now.has(id)) this.emit('event', { event: 'neighbor-down', ...p });
    for (const [id, p] of now) if (!this.links.has(id)) this.emit('event', { event: 'neighbor-up', ...p });
    this.links = now;
    this.reportLinksSoon();
  }

  /** Ring changes and path changes come in bursts (stabilize, then notify): report once they settle. */
  private reportLinksSoon(): void {
    if (this.stopped || !this.started || !this.metaserver || this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      if (this.stopped) return;
      const { neighbors, relayed, chord } = this.ring.topologyView();
      // Every ring link is TLS with a pinned key (a link presenting another key is refused),
      // so the pin is the key the link presented; a plaintext bench link has none.
      const keys = neighbors.map((id) => this.security.trust.pinned(id) ?? '');
      this.metaserver?.reportLinks({ neighbors, chord, keys: keys.every(Boolean) ? keys : undefined, relayed });
    }, 100);
  }

  private reportFiles(): void {
    this.metaserver?.reportFiles(this.store.names());
  }
}

function timingsFromHeartbeat(heartbeatMs: number | undefined): Partial<ChordTimings> {
  if (!heartbeatMs) return {};
  return {
    stabilizeMs: heartbeatMs,
    fixFingersMs: Math.max(10, Math.round(heartbeatMs / 2)),
    checkPredecessorMs: 2 * heartbeatMs,
    replicateMs: 3 * heartbeatMs,
  };
}

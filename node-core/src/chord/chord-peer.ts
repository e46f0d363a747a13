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
} from '../peer-support';
import { AddressProof } from '../metaserver/address-proof';
import { TrafficMeter } from '../transfer/traffic-meter';
import { fetchManifest, serveTransferRequest } from '../transfer/transfer-client';
import { UploadLimiter } from '../transfer/upload-limiter';
import { dial, ephemeralSecurity, P2PError, toP2PError, type ChannelSecurity } from '../wire';
import { ChordRing } from './chord-ring';
import { StoreFileHost } from './chord-file-host';
import { ChordStorage, DEFAULT_STORAGE_OPTIONS } from './chord-storage';
import { idToHex, keyFromNameOrHex, nodeIdOf } from './id';
import type { ChordTimings } from './maintenance';
import { toNodeRef, type ChordContact } from './remote';

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
  private started: { ring: ChordRing; fileHost: StoreFileHost; storage: ChordStorage } | undefined;
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

  constructor(private readonly options: ChordPeerOptions) {
    super();
    this.security = options.security ?? ephemeralSecurity(options.id);
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
      timings: { ...timingsFromHeartbeat(options.heartbeatMs), ...options.timings },
      onError: log,
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
      { ...options, security: this.security },
      () => this.reportFiles(),
      (holder, bytes) => this.traffic.add(holder.id, bytes),
    );
    const storage = new ChordStorage(
      ring,
      fileHost,
      { ...DEFAULT_STORAGE_OPTIONS, replicas: options.replicas ?? 2 },
      log,
    );
    this.started = { ring, fileHost, storage };
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
    const referrals = await this.metaserver.referrals([this.self.id]);
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
    const referrals = await this.metaserver.referrals([this.self.id]);
    const pick = referrals[Math.floor(Math.random() * referrals.length)];
    if (pick && (await ring.meet(pick))) this.options.log?.(`chord: ${pick.id} is on another ring, merging`);
  }

  get ring(): ChordRing {
    return this.require().ring;
  }

  get storage(): ChordStorage {
    return this.require().storage;
  }

  get self(): ChordContact {
    return this.ring.self;
  }

  readyEvent(): PeerReadyEvent {
    const fingerprint = this.security.identity.fingerprint;
    return peerReadyEvent(this.self, 'chord', this.store.dir, fingerprint, idToHex(this.self.nodeId));
  }

  /** Registers with the metaserver (if any), then joins through --join, a referral, or starts a ring. */
  private async enterRing(): Promise<void> {
    const { join } = this.options;
    this.metaserver = peerMetaserverClient(this.options, this.security, this.self, 'chord', this.addressProof);
    const referrals: PeerRef[] = this.metaserver ? await this.metaserver.register() : [];
    if (join) {
      await this.ring.begin(join);
      // The referrals may be on another ring than the --join address: merge with it.
      for (const ref of referrals.slice(0, 2)) void this.ring.meet(ref);
      return;
    }
    let lastError: unknown;
    for (const ref of referrals) {
      // A referral may be a flood peer (the metaserver serves both): it refuses chord-step.
      try {
        return await this.ring.begin(ref);
      } catch (err) {
        lastError = err;
      }
    }
    if (referrals.length > 0)
      throw new P2PError(
        'PEER_UNREACHABLE',
        `could not join the ring through any referral: ${toP2PError(lastError).message}`,
      );
    return this.ring.begin();
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

  /** SEARCH: the owner (or a replica) answers with the manifest. */
  async search(query: string, options: PeerSearchOptions = {}): Promise<SearchResultEvent[]> {
    const name = assertFileName(query);
    const { holders } = await this.storage.holders(name, this.operations.signal);
    const serving: PeerRef[] = [];
    let found: { size: number; sha256: string; root: string } | undefined;
    for (const h of holders) {
      try {
        const conn = await dial(h, {
          key: this.options.key,
          security: this.security,
          expectId: h.id,
          signal: this.operations.signal,
        });
        conn.setHandler(() => undefined);
        try {
          const m = await fetchManifest(conn, name, this.operations.signal);
          if (found && (m.sha256 !== found.sha256 || m.root !== found.root)) continue;
          found ??= { size: m.size, sha256: m.sha256, root: m.root };
          const holder = { id: h.id, host: h.host, port: h.port };
          serving.push(holder);
          options.onHit?.({ event: 'search-hit', name, size: m.size, sha256: m.sha256, root: m.root, holder });
        } finally {
          conn.close();
        }
      } catch {
        // not held there (yet) or unreachable: the other holders may answer
      }
    }
    if (!found) return [];
    const { size, sha256, root } = found;
    return [{ event: 'search-result', name, size, sha256, root, holders: serving }];
  }

  /** GET: look the key up (unless given a result), then download from the owner and its replicas at once. */
  async get(query: string, options: PeerDownloadOptions = {}): Promise<DownloadCompleteEvent> {
    const name = await assertCanDownload(this.store, query);
    const signal = options.signal ? AbortSignal.any([options.signal, this.operations.signal]) : this.operations.signal;
    const holders = options.result?.holders ?? (await this.storage.holders(name, signal)).holders;
    const wanted = options.result;
    const result = await this.require().fileHost.download(
      name,
      holders.map(({ id, host, port }) => ({ id, host, port })),
      signal,
      {
        onProgress: options.onProgress,
        version: wanted && { root: wanted.root, sha256: wanted.sha256, size: wanted.size },
      },
    );
    this.reportFiles();
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
      await this.started.ring.leave();
    }
    this.stopped = true;
    this.operations.abort();
    clearTimeout(this.reportTimer);
    this.traffic.close();
    if (this.started) {
      await endRing(this.started.ring);
      // Closing the ring aborted the downloads it started (replicas, hand-overs); wait until
      // their files are closed, so nothing writes into the folder after close() resolves.
      await this.started.fileHost.settle();
    }
    await this.store.close();
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
    // Ring changes come in bursts (stabilize, then notify): report once they settle.
    if (this.metaserver && !this.reportTimer) {
      this.reportTimer = setTimeout(() => {
        this.reportTimer = undefined;
        const view = this.ring.topologyView();
        this.metaserver?.reportLinks(view.neighbors, view.chord);
      }, 100);
    }
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

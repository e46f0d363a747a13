// A `p2p-node peer --mode chord`: the ring (ChordRing), files on it (ChordStorage over the
// shared FileStore and transfer), the metaserver registration and link reports, and the stdin
// commands, each answered with contract events (events.ts). The CLI owns stdin/stdout.
import { EventEmitter } from 'node:events';
import type {
  Address,
  DownloadCompleteEvent,
  FilesEvent,
  LookupEvent,
  NodeEvent,
  PeerReadyEvent,
  PeerRef,
  SearchResultEvent,
  SharedEvent,
  TopologyEvent,
} from '../events';
import { assertFileName, FileStore } from '../files/file-store';
import { MetaserverClient } from '../metaserver/metaserver-client';
import { TrafficMeter } from '../transfer/traffic-meter';
import { fetchManifest, serveTransferRequest } from '../transfer/transfer-client';
import { UploadLimiter } from '../transfer/upload-limiter';
import { dial, P2PError, toP2PError } from '../wire';
import { ChordRing } from './chord-ring';
import { StoreFileHost } from './chord-file-host';
import { ChordStorage, DEFAULT_STORAGE_OPTIONS } from './chord-storage';
import { idToHex, keyFromNameOrHex, nodeIdOf } from './id';
import type { ChordTimings } from './maintenance';
import { toNodeRef, type ChordPeer } from './remote';

export interface ChordPeerOptions {
  id: string;
  host?: string;
  /** The host other nodes are told to dial (default: host; see advertised-host.ts for 0.0.0.0). */
  advertise?: string;
  port?: number;
  dir: string;
  key?: string;
  metaserver?: Address;
  /** `--join HOST:PORT`: a node already on the ring. */
  join?: Address;
  timings?: Partial<ChordTimings>;
  /**
   * `--heartbeat-ms`: the metaserver heartbeat, and the base of the chord timers when `timings`
   * does not set them (stabilize = 1×, fix_fingers = ½×, check_predecessor = 2×, replicas = 3×).
   */
  heartbeatMs?: number;
  successorListLength?: number;
  /** Copies beyond the owner (default 2). */
  replicas?: number;
  /** Background failures (maintenance, replication): diagnostics, not events. */
  log?: (line: string) => void;
  /** `--max-upload`: chunk bytes per second this node sends, to all getters together (default: no cap). */
  maxUploadBytesPerSecond?: number;
}

export interface ChordPeerEvents {
  /** Spontaneous events: neighbour (successor/predecessor) changes, download progress. */
  event: [NodeEvent];
}

export interface ChordDownloadOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number) => void;
  /** Skip the lookup: download this version from these holders. */
  result?: SearchResultEvent;
}

/** Same shape as FloodPeer (constructor, start, share/search/get/topology/stop, 'event'), plus lookup. */
export class ChordPeerNode extends EventEmitter<ChordPeerEvents> {
  readonly store: FileStore;
  private started: { ring: ChordRing; fileHost: StoreFileHost; storage: ChordStorage } | undefined;
  private metaserver: MetaserverClient | undefined;
  private readonly traffic = new TrafficMeter((flows) =>
    this.metaserver?.reportActivity({ t: 'activity-traffic', flows }),
  );
  private reportTimer: NodeJS.Timeout | undefined;
  private links = new Map<string, PeerRef>();
  private readonly operations = new AbortController();
  private stopped = false;

  constructor(private readonly options: ChordPeerOptions) {
    super();
    this.store = new FileStore(options.dir);
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
      timings: { ...timingsFromHeartbeat(options.heartbeatMs), ...options.timings },
      onError: log,
      node: options.successorListLength ? { successorListLength: options.successorListLength } : undefined,
      fallbackRouter: (conn, incoming) => {
        if (incoming.msg.t !== 'manifest-get' && incoming.msg.t !== 'chunk-get') return false;
        void serveTransferRequest(store, conn, incoming, uploadLimiter);
        return true;
      },
    });
    const fileHost = new StoreFileHost(
      store,
      options.key,
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
    if (this.metaserver) ring.every('rejoin', ring.replicateMs, () => this.rejoinIfIsolated());
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

  get ring(): ChordRing {
    return this.require().ring;
  }

  get storage(): ChordStorage {
    return this.require().storage;
  }

  get self(): ChordPeer {
    return this.ring.self;
  }

  readyEvent(): PeerReadyEvent {
    const { id, host, port, nodeId } = this.self;
    return {
      event: 'ready',
      role: 'peer',
      id,
      host,
      port,
      mode: 'chord',
      nodeId: idToHex(nodeId),
      dir: this.store.dir,
    };
  }

  /** Registers with the metaserver (if any), then joins through --join, a referral, or starts a ring. */
  private async enterRing(): Promise<void> {
    const { metaserver, join, key, id } = this.options;
    let referrals: PeerRef[] = [];
    if (metaserver) {
      this.metaserver = new MetaserverClient({
        address: metaserver,
        key,
        self: { id, host: this.self.host, port: this.self.port, mode: 'chord' },
        heartbeatMs: this.options.heartbeatMs,
        retryMs: this.options.heartbeatMs,
      });
      referrals = await this.metaserver.register();
    }
    if (join) return this.ring.begin(join);
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

  async files(): Promise<FilesEvent> {
    return { event: 'files', files: await this.store.list() };
  }

  /** SHARE: serve it here, then place it on its owner (who replicates it). */
  async share(path: string): Promise<SharedEvent> {
    const shared = await this.store.share(path);
    this.reportFiles();
    await this.storage.put(shared.name, this.operations.signal);
    return { event: 'shared', ...shared };
  }

  /** SEARCH: the owner (or a replica) answers with the manifest. */
  async search(name: string): Promise<SearchResultEvent[]> {
    assertFileName(name);
    const { holders } = await this.storage.holders(name, this.operations.signal);
    const serving: PeerRef[] = [];
    let found: { size: number; sha256: string } | undefined;
    for (const h of holders) {
      try {
        const conn = await dial(h, { key: this.options.key, signal: this.operations.signal });
        conn.setHandler(() => undefined);
        try {
          const m = await fetchManifest(conn, name, this.operations.signal);
          if (found && m.sha256 !== found.sha256) continue;
          found ??= { size: m.size, sha256: m.sha256 };
          serving.push({ id: h.id, host: h.host, port: h.port });
        } finally {
          conn.close();
        }
      } catch {
        // not held there (yet) or unreachable: the other holders may answer
      }
    }
    if (!found) return [];
    return [{ event: 'search-result', name, size: found.size, sha256: found.sha256, holders: serving }];
  }

  /** GET: look the key up, then download from the owner and its replicas at once. */
  async get(name: string, options: ChordDownloadOptions = {}): Promise<DownloadCompleteEvent> {
    assertFileName(name);
    if (this.store.has(name)) throw new P2PError('FILE_EXISTS', `"${name}" is already shared by this peer`, name);
    const signal = options.signal ? AbortSignal.any([options.signal, this.operations.signal]) : this.operations.signal;
    const holders = options.result?.holders ?? (await this.storage.holders(name, signal)).holders;
    const result = await this.require().fileHost.download(
      name,
      holders.map(({ id, host, port }) => ({ id, host, port })),
      signal,
      options.onProgress,
      options.result?.sha256,
    );
    this.reportFiles();
    return {
      event: 'download-complete',
      name,
      path: result.path,
      bytes: result.bytes,
      sha256: result.sha256,
      sources: result.sources,
    };
  }

  /** STOP: hand the keys on, tell the neighbours, leave the metaserver, close. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.started) {
      await this.started.storage.handOffAll();
      await this.started.ring.leave();
    }
    await this.close();
  }

  /** Test hook: die without hand-off or goodbye (every socket destroyed at once). */
  crash(): Promise<void> {
    return this.shutdown((ring) => ring.crash());
  }

  close(): Promise<void> {
    return this.shutdown((ring) => ring.close());
  }

  /** The one path that ends the peer: operations aborted, timers cleared, ring and metaserver closed. */
  private async shutdown(endRing: (ring: ChordRing) => Promise<void>): Promise<void> {
    if (this.stopped) return;
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
    await this.metaserver?.close();
    this.removeAllListeners();
  }

  private require(): NonNullable<ChordPeerNode['started']> {
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

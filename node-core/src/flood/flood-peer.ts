// A flood-mode peer: its listening socket, its shared files, its overlay links, its searches
// and downloads, and its registration with the metaserver. Everything the CLI shows comes out
// of the 'event' stream (the --json contract of events.ts) or the methods' results.
import { advertisedHost } from '../advertised-host';
import { EventEmitter } from 'node:events';
import type {
  Address,
  DownloadCompleteEvent,
  FilesEvent,
  NodeEvent,
  PeerReadyEvent,
  PeerRef,
  SearchResultEvent,
  SharedEvent,
  FolderSharedEvent,
  TopologyEvent,
} from '../events';
import { assertFileName, FileStore } from '../files/file-store';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import type { PeerDownloadOptions, PeerNode, PeerNodeEvents, PeerOptions } from '../peer';
import {
  assertCanDownload,
  downloadCompleteEvent,
  downloadIntoStore,
  filesEvent,
  followStore,
  sharedFoldersFile,
  peerMetaserverClient,
  peerReadyEvent,
  versionsToTry,
  attachRelay,
  peerRelayRoute,
} from '../peer-support';
import type { MetaserverRelay } from '../relay/relay-route';
import { AddressProof } from '../metaserver/address-proof';
import { serveTransferRequest } from '../transfer/transfer-client';
import { TrafficMeter } from '../transfer/traffic-meter';
import { downloadFirstVersion } from '../transfer/try-versions';
import { UploadLimiter } from '../transfer/upload-limiter';
import { PauseRequest, abortedDownloadError } from '../transfer/pause';
import {
  dial,
  ephemeralSecurity,
  P2PError,
  WireServer,
  type ChannelSecurity,
  type Connection,
  type Incoming,
} from '../wire';
import { FloodOverlay, type HitMessage, type QueryMessage } from './flood-overlay';
import { answerQuery, FloodSearches } from './flood-searches';
import { DEFAULT_TTL, queryFloodEvent } from './query-guard';
import type { SearchOptions } from './search-collector';
import { TransferActivity } from './transfer-activity';

export interface FloodPeerOptions extends PeerOptions {
  /** Where downloads go; default Downloads/ inside dir. */
  downloadsDir?: string;
  maxNeighbors?: number;
  ttl?: number;
  targetLinks?: number;
  /** A neighbour silent this long is considered dead. */
  peerTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  search?: SearchOptions;
  chunkSize?: number;
}

/** Heartbeats a neighbour may miss before it counts as dead (a loaded machine delays a few). */
const MISSED_HEARTBEATS = 5;

/** How long start() waits for the first joins before reporting ready. */
const READY_JOIN_WAIT_MS = 1000;

export class FloodPeer extends EventEmitter<PeerNodeEvents> implements PeerNode {
  readonly store: FileStore;
  private readonly server: WireServer;
  private readonly uploadLimiter: UploadLimiter | undefined;
  private overlay: FloodOverlay | undefined;
  private metaserver: MetaserverClient | undefined;
  private readonly traffic = new TrafficMeter((flows) =>
    this.metaserver?.reportActivity({ t: 'activity-traffic', flows }),
  );
  private readonly relay: MetaserverRelay;
  private readonly searches: FloodSearches;
  private readonly downloads = new Set<AbortController>();
  private readonly outbound = new Set<Connection>();
  private readonly addressProof = new AddressProof();
  private self: PeerRef | undefined;
  private stopping = false;
  private readonly security: ChannelSecurity;
  private ended: Promise<void> | undefined;

  constructor(private readonly options: FloodPeerOptions) {
    super();
    this.security = options.security ?? ephemeralSecurity(options.id);
    this.searches = new FloodSearches(options.search, options.ttl ?? DEFAULT_TTL);
    this.relay = peerRelayRoute(options, (event) => this.emit('event', event));
    this.store = new FileStore(options.dir, {
      chunkSize: options.chunkSize,
      downloadsDir: options.downloadsDir,
      watch: options.watch,
      foldersFile: sharedFoldersFile(options.dir),
    });
    followStore(
      this.store,
      (event) => this.emit('event', event),
      () => this.metaserver,
    );
    this.uploadLimiter = UploadLimiter.forCap(options.maxUploadBytesPerSecond);
    this.server = new WireServer({
      key: options.key,
      security: this.security,
      idleTimeoutMs: this.peerTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    });
    this.server.on('connection', (conn) => conn.setHandler((incoming) => this.handle(conn, incoming)));
  }

  get id(): string {
    return this.options.id;
  }

  get address(): PeerRef {
    if (!this.self) throw new Error('FloodPeer is not started');
    return { ...this.self };
  }

  /** Query messages sent by this peer so far (benchmarks: messages per query). */
  get queriesSent(): number {
    return this.overlay?.queriesSent ?? 0;
  }

  private get peerTimeoutMs(): number {
    return this.options.peerTimeoutMs ?? (this.options.heartbeatMs ?? 2000) * MISSED_HEARTBEATS;
  }

  /**
   * Opens the store, listens, registers (refusals such as DUPLICATE_ID reject) and joins.
   * Resolves with the ready event once the first join attempt is over.
   */
  async start(): Promise<PeerReadyEvent> {
    const { options } = this;
    await this.store.open();
    const bound = await this.server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    const self: PeerRef = { id: options.id, host: advertisedHost(bound.host, options.advertise), port: bound.port };
    this.self = self;
    const seeds: Array<PeerRef | Address> = options.join ? [options.join] : [];
    try {
      seeds.push(...(await this.register(bound.host, self)));
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    const overlay = this.startOverlay(self);
    // Joining goes on in the background; ready waits for it only briefly, so a referral that
    // hangs (a stopped process accepts TCP but never handshakes) cannot delay the ready event.
    let readyTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      overlay.start(seeds),
      new Promise<void>((resolve) => {
        readyTimer = setTimeout(resolve, READY_JOIN_WAIT_MS);
      }),
    ]);
    clearTimeout(readyTimer);
    const fingerprint = this.security.identity.fingerprint;
    return peerReadyEvent(self, 'flood', this.store.dir, fingerprint, undefined, this.metaserver?.reachability);
  }

  /** Registers with the metaserver, if any (refusals reject); resolves with its referrals. */
  private async register(listenHost: string, self: PeerRef): Promise<PeerRef[]> {
    const { options } = this;
    await this.relay.listenForOthers(listenHost);
    this.metaserver = peerMetaserverClient(options, this.security, self, 'flood', this.addressProof, this.relay);
    attachRelay(this.relay, this.metaserver, this.server, (event) => this.emit('event', event));
    // a relayed peer says so wherever it names itself (hits, joins), so others dial it through the relay
    this.metaserver?.on('reachability', ({ relayed }) => {
      if (this.self && relayed) this.self.relayed = true;
      else delete this.self?.relayed;
    });
    if (!this.metaserver) return [];
    this.metaserver.reportFiles(this.store.names());
    try {
      return await this.metaserver.register();
    } catch (err) {
      // with a peer to join, a metaserver that is down is not fatal: register when it is back
      if (!(options.join && err instanceof P2PError && err.code === 'METASERVER_UNREACHABLE')) throw err;
      this.metaserver.registerLater();
      return [];
    }
  }

  /** The overlay, its events turned into the peer's and into link reports to the metaserver. */
  private startOverlay(self: PeerRef): FloodOverlay {
    const { options } = this;
    const overlay = new FloodOverlay({
      self,
      maxNeighbors: options.maxNeighbors ?? 4,
      targetLinks: options.targetLinks ?? 2,
      heartbeatMs: options.heartbeatMs ?? 2000,
      connect: (address) => this.connect(address, this.peerTimeoutMs),
      referrals: (exclude) =>
        this.metaserver?.referrals(exclude) ?? Promise.reject(new P2PError('METASERVER_UNREACHABLE', 'no metaserver')),
    });
    this.overlay = overlay;
    overlay.on('neighbor-up', (ref) => this.onLinksChanged({ event: 'neighbor-up', ...ref }));
    overlay.on('neighbor-down', (ref) => this.onLinksChanged({ event: 'neighbor-down', ...ref }));
    overlay.on('link-path', () => this.reportLinks());
    overlay.on('query-flood', (ref) => this.emit('event', queryFloodEvent(ref)));
    this.metaserver?.on('mend', (peer) => this.overlay?.mend(peer));
    return overlay;
  }

  neighbors(): PeerRef[] {
    return this.overlay?.neighbors() ?? [];
  }

  topology(): TopologyEvent {
    return { event: 'topology', neighbors: this.neighbors() };
  }

  files(): Promise<FilesEvent> {
    return filesEvent(this.store);
  }

  async share(path: string): Promise<SharedEvent> {
    const info = await this.store.share(path);
    this.metaserver?.reportFiles(this.store.names());
    return { event: 'shared', ...info };
  }

  async shareFolder(path: string): Promise<FolderSharedEvent> {
    return { event: 'folder-shared', ...(await this.store.shareFolder(path)) };
  }

  /** Floods a search; resolves with one result per file version found (empty: not found). */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResultEvent[]> {
    const name = assertFileName(query);
    const overlay = this.requireOverlay();
    return this.searches.run(overlay, this.address, name, options, (msg) => this.metaserver?.reportActivity(msg));
  }

  /** Searches (unless given a result) and downloads into the downloads folder, verified. */
  async get(query: string, options: PeerDownloadOptions = {}): Promise<DownloadCompleteEvent> {
    const name = await assertCanDownload(this.store, query);
    const found = options.result ? [options.result] : await this.search(name, { signal: options.signal });
    if (options.signal?.aborted) throw abortedDownloadError(name, options.signal);
    const versions = versionsToTry(name, found, options.version);
    const result = versions[0];
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.downloads.add(controller);
    const activity = new TransferActivity(
      (msg) => this.metaserver?.reportActivity(msg),
      result.holders[0].id,
      this.address.id,
      name,
    );
    try {
      const done = await downloadFirstVersion(versions, (version) =>
        downloadIntoStore(this.store, this.options, {
          name,
          root: version.root,
          size: version.size,
          holders: version.holders,
          connect: (holder) => this.connect(holder, 0),
          signal: controller.signal,
          onReceived: (holder, bytes) => this.traffic.add(holder.id, bytes),
          onProgress: (bytes, total, bySource) => {
            options.onProgress?.(bytes, total, bySource);
            activity.progress(bytes, total);
          },
        }),
      );
      this.metaserver?.reportFiles(this.store.names());
      activity.done(done.bytes, done.sources[0]);
      return downloadCompleteEvent(done);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.downloads.delete(controller);
    }
  }

  /**
   * Leaves: goodbye to neighbours and the metaserver, then closes every socket and timer.
   * `abrupt`: no goodbyes, as if the process were killed (tests and benches of churn).
   */
  stop({ abrupt = false } = {}): Promise<void> {
    return this.shutdown(abrupt);
  }

  /** The one path that ends the peer (stop, a failed start); later calls wait for the first. */
  private shutdown(abrupt = false): Promise<void> {
    this.ended ??= this.release(abrupt);
    return this.ended;
  }

  private async release(abrupt: boolean): Promise<void> {
    this.stopping = true;
    this.searches.cancelAll();
    // a stop is not a cancel: the .part stays to be resumed by the next GET
    for (const controller of this.downloads) controller.abort(new PauseRequest());
    this.traffic.close();
    await this.overlay?.close(abrupt);
    await this.relay.close();
    await this.metaserver?.close(abrupt);
    for (const conn of this.outbound) conn.close();
    await this.server.close();
    await this.store.close();
  }

  private requireOverlay(): FloodOverlay {
    if (!this.overlay || this.stopping) throw new P2PError('INTERNAL', 'the peer is not running');
    return this.overlay;
  }

  /** A PeerRef's id is the one the remote must prove; a bare address (`--join`) may be anyone. */
  private async connect(address: Address | PeerRef, idleTimeoutMs: number): Promise<Connection> {
    if (this.stopping) throw new P2PError('CANCELLED', 'the peer is stopping');
    const conn = await dial(address, {
      key: this.options.key,
      security: this.security,
      expectId: 'id' in address ? (address as PeerRef).id : undefined,
      relay: this.relay,
      idleTimeoutMs,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
    });
    this.outbound.add(conn);
    conn.once('close', () => this.outbound.delete(conn));
    conn.setHandler((incoming) => this.handle(conn, incoming));
    if (this.stopping) conn.close();
    return conn;
  }

  private onLinksChanged(event: NodeEvent): void {
    this.reportLinks();
    this.emit('event', event);
  }

  private reportLinks(): void {
    if (this.overlay) this.metaserver?.reportLinks(this.overlay.linkReport());
  }

  /** The one dispatcher for every connection this peer has, inbound or outbound. */
  private handle(conn: Connection, incoming: Incoming): void {
    const { msg } = incoming;
    switch (msg.t) {
      case 'join':
        return this.overlay
          ? this.overlay.handleJoin(conn, incoming)
          : void conn.replyError(incoming, new P2PError('PEER_UNREACHABLE', 'not ready')).catch(() => undefined);
      case 'query':
        return this.onQuery(conn, msg);
      case 'hit':
        return this.onHit(conn, msg);
      case 'neighbors-get':
        return this.overlay?.handleNeighborsGet(conn, incoming);
      case 'address-check':
        return this.addressProof.answer(conn, incoming);
      case 'split':
        return this.overlay?.handleSplit(conn);
      case 'handover':
        return this.overlay?.handleHandover(conn, msg.peer);
      case 'manifest-get':
      case 'chunk-get':
        void serveTransferRequest(this.store, conn, incoming, this.uploadLimiter);
        return;
      case 'goodbye':
        if (this.overlay) this.overlay.handleGoodbye(conn);
        else conn.close();
        return;
      case 'ping':
      case 'ok':
        return;
      default:
        conn.close(new P2PError('PROTOCOL', `a flood peer does not handle "${msg.t}"`), true);
    }
  }

  private onQuery(conn: Connection, msg: QueryMessage): void {
    if (!this.overlay?.handleQuery(conn, msg)) return;
    if (!this.store.has(msg.name) || msg.origin.id === this.options.id) return;
    void answerQuery(this.store, conn, msg, this.address).catch(() => undefined);
  }

  /** Our own search's hit, or one to pass back towards its searcher; only from neighbours. */
  private onHit(conn: Connection, msg: HitMessage): void {
    if (!this.overlay?.isNeighbor(conn)) return;
    if (!this.searches.collect(msg)) this.overlay.routeHit(conn, msg);
  }
}

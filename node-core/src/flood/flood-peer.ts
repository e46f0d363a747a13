// A flood-mode peer: its listening socket, its shared files, its overlay links, its searches
// and downloads, and its registration with the metaserver. Everything the CLI shows comes out
// of the 'event' stream (the --json contract of events.ts) or the methods' results.
import { advertisedHost } from '../advertised-host';
import { randomBytes } from 'node:crypto';
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
  TopologyEvent,
} from '../events';
import { assertFileName, FileStore } from '../files/file-store';
import { MetaserverClient } from '../metaserver/metaserver-client';
import { download } from '../transfer/download-session';
import { serveTransferRequest } from '../transfer/transfer-client';
import { TrafficMeter } from '../transfer/traffic-meter';
import { UploadLimiter } from '../transfer/upload-limiter';
import { dial, P2PError, WireServer, type Connection, type Incoming } from '../wire';
import { FloodOverlay, type QueryMessage } from './flood-overlay';
import { SearchCollector, type SearchOptions } from './search-collector';

export interface FloodPeerOptions {
  id: string;
  host?: string;
  /** The host other peers are told to dial (default: host; see advertised-host.ts for 0.0.0.0). */
  advertise?: string;
  port?: number;
  dir: string;
  /** Where downloads go; default Downloads/ inside dir. */
  downloadsDir?: string;
  metaserver?: Address;
  /** Join this peer directly (with or without a metaserver). */
  join?: Address;
  key?: string;
  maxNeighbors?: number;
  ttl?: number;
  targetLinks?: number;
  heartbeatMs?: number;
  /** A neighbour silent this long is considered dead. */
  peerTimeoutMs?: number;
  metaserverRetryMs?: number;
  handshakeTimeoutMs?: number;
  search?: SearchOptions;
  chunkSize?: number;
  /** Downloads from this size up are written and hashed in worker threads (default 32 MiB). */
  workerSinkFromBytes?: number;
  /** `--max-upload`: chunk bytes per second this peer sends, to all getters together (default: no cap). */
  maxUploadBytesPerSecond?: number;
  /** A downloaded chunk may take this long with nothing arriving on its link (default 30 s; tests shorten it). */
  chunkTimeoutMs?: number;
}

/** Heartbeats a neighbour may miss before it counts as dead (a loaded machine delays a few). */
const MISSED_HEARTBEATS = 5;

/** How long start() waits for the first joins before reporting ready. */
const READY_JOIN_WAIT_MS = 1000;

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number) => void;
  /** Skip the search: download from these holders. */
  result?: SearchResultEvent;
}

export interface FloodPeerEvents {
  /** Spontaneous events: neighbour changes and non-fatal errors. */
  event: [NodeEvent];
}

export class FloodPeer extends EventEmitter<FloodPeerEvents> {
  readonly store: FileStore;
  private readonly server: WireServer;
  private readonly uploadLimiter: UploadLimiter | undefined;
  private readonly traffic = new TrafficMeter((flows) =>
    this.metaserver?.reportActivity({ t: 'activity-traffic', flows }),
  );
  private overlay: FloodOverlay | undefined;
  private metaserver: MetaserverClient | undefined;
  private readonly searches = new Map<string, SearchCollector>();
  private readonly downloads = new Set<AbortController>();
  private readonly outbound = new Set<Connection>();
  private self: PeerRef | undefined;
  private stopping = false;

  constructor(private readonly options: FloodPeerOptions) {
    super();
    this.store = new FileStore(options.dir, options.chunkSize, options.downloadsDir);
    this.uploadLimiter = UploadLimiter.forCap(options.maxUploadBytesPerSecond);
    this.server = new WireServer({
      key: options.key,
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
    this.self = { id: options.id, host: advertisedHost(bound.host, options.advertise), port: bound.port };
    const seeds: Array<PeerRef | Address> = options.join ? [options.join] : [];
    try {
      if (options.metaserver) {
        this.metaserver = new MetaserverClient({
          address: options.metaserver,
          self: { ...this.self, mode: 'flood' },
          key: options.key,
          heartbeatMs: options.heartbeatMs,
          retryMs: options.metaserverRetryMs,
        });
        this.metaserver.reportFiles(this.store.names());
        try {
          seeds.push(...(await this.metaserver.register()));
        } catch (err) {
          // with a peer to join, a metaserver that is down is not fatal: register when it is back
          if (!(options.join && err instanceof P2PError && err.code === 'METASERVER_UNREACHABLE')) throw err;
          this.metaserver.registerLater();
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.overlay = new FloodOverlay({
      self: this.self,
      maxNeighbors: options.maxNeighbors ?? 4,
      targetLinks: options.targetLinks ?? 2,
      heartbeatMs: options.heartbeatMs ?? 2000,
      connect: (address) => this.connect(address, this.peerTimeoutMs),
      referrals: (exclude) =>
        this.metaserver?.referrals(exclude) ?? Promise.reject(new P2PError('METASERVER_UNREACHABLE', 'no metaserver')),
    });
    this.overlay.on('neighbor-up', (ref) => this.onLinksChanged({ event: 'neighbor-up', ...ref }));
    this.overlay.on('neighbor-down', (ref) => this.onLinksChanged({ event: 'neighbor-down', ...ref }));
    // Joining goes on in the background; ready waits for it only briefly, so a referral that
    // hangs (a stopped process accepts TCP but never handshakes) cannot delay the ready event.
    let readyTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.overlay.start(seeds),
      new Promise<void>((resolve) => {
        readyTimer = setTimeout(resolve, READY_JOIN_WAIT_MS);
      }),
    ]);
    clearTimeout(readyTimer);
    return {
      event: 'ready',
      role: 'peer',
      id: options.id,
      host: this.self.host,
      port: this.self.port,
      mode: 'flood',
      dir: this.store.dir,
    };
  }

  neighbors(): PeerRef[] {
    return this.overlay?.neighbors() ?? [];
  }

  topology(): TopologyEvent {
    return { event: 'topology', neighbors: this.neighbors() };
  }

  async files(): Promise<FilesEvent> {
    return { event: 'files', files: await this.store.list() };
  }

  async share(path: string): Promise<SharedEvent> {
    const info = await this.store.share(path);
    this.metaserver?.reportFiles(this.store.names());
    return { event: 'shared', ...info };
  }

  /** Floods a search; resolves with one result per file version found (empty: not found). */
  async search(name: string, options: SearchOptions = {}): Promise<SearchResultEvent[]> {
    assertFileName(name);
    const overlay = this.requireOverlay();
    const qid = randomBytes(12).toString('hex');
    const collector = new SearchCollector(name, { ...this.options.search, ...options });
    this.searches.set(qid, collector);
    try {
      const self = this.address;
      overlay.originate({ t: 'query', qid, name, ttl: this.options.ttl ?? 7, origin: self, path: [self.id] });
      this.metaserver?.reportActivity({ t: 'activity-search', origin: self.id, name, qid, path: [self.id] });
      return await collector.wait();
    } finally {
      this.searches.delete(qid);
      overlay.endQuery(qid);
    }
  }

  /** Searches (unless given a result) and downloads into the downloads folder, verified. */
  async get(name: string, options: DownloadOptions = {}): Promise<DownloadCompleteEvent> {
    assertFileName(name);
    if (this.store.has(name)) throw new P2PError('FILE_EXISTS', `"${name}" is already shared by this peer`, name);
    const result = options.result ?? (await this.search(name, { signal: options.signal }))[0];
    if (options.signal?.aborted) throw new P2PError('CANCELLED', `download of "${name}" cancelled`, name);
    if (!result) throw new P2PError('NOT_FOUND', `nobody in the network shares "${name}"`, name);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.downloads.add(controller);
    const self = this.address;
    let lastReport = 0;
    try {
      const done = await download({
        name,
        sha256: result.sha256,
        holders: result.holders,
        downloadsDir: this.store.downloadsDir,
        connect: (holder) => this.connect(holder, 0),
        signal: controller.signal,
        workerSinkFromBytes: this.options.workerSinkFromBytes,
        chunkTimeoutMs: this.options.chunkTimeoutMs,
        onReceived: (holder, bytes) => this.traffic.add(holder.id, bytes),
        onProgress: (bytes, total) => {
          options.onProgress?.(bytes, total);
          const now = Date.now();
          if (now - lastReport >= 250 || bytes === total) {
            lastReport = now;
            this.metaserver?.reportActivity({
              t: 'activity-transfer',
              from: result.holders[0].id,
              to: self.id,
              name,
              bytes,
              total,
              done: false,
            });
          }
        },
      });
      this.store.adopt(done.path, done.manifest, done.stamp);
      this.metaserver?.reportFiles(this.store.names());
      this.metaserver?.reportActivity({
        t: 'activity-transfer',
        from: done.sources[0] ?? result.holders[0].id,
        to: self.id,
        name,
        bytes: done.bytes,
        total: done.bytes,
        done: true,
      });
      return {
        event: 'download-complete',
        name,
        path: done.path,
        bytes: done.bytes,
        sha256: done.sha256,
        sources: done.sources,
      };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.downloads.delete(controller);
    }
  }

  /** Leaves: goodbye to neighbours and the metaserver, then closes every socket and timer. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const collector of this.searches.values()) collector.cancel();
    for (const controller of this.downloads) controller.abort();
    this.traffic.close();
    await this.overlay?.close();
    await this.metaserver?.close();
    for (const conn of this.outbound) conn.close();
    await this.server.close();
    await this.store.close();
  }

  private requireOverlay(): FloodOverlay {
    if (!this.overlay || this.stopping) throw new P2PError('INTERNAL', 'the peer is not running');
    return this.overlay;
  }

  private async connect(address: Address, idleTimeoutMs: number): Promise<Connection> {
    if (this.stopping) throw new P2PError('CANCELLED', 'the peer is stopping');
    const conn = await dial(address, {
      key: this.options.key,
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
    this.metaserver?.reportLinks(this.neighbors().map((n) => n.id));
    this.emit('event', event);
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
      case 'hit': {
        this.searches.get(msg.qid)?.addHit(msg.size, msg.sha256, msg.holder);
        void conn.reply(incoming, { t: 'ok' }).catch(() => undefined);
        return;
      }
      case 'neighbors-get':
        return this.overlay?.handleNeighborsGet(conn, incoming);
      case 'split':
        return this.overlay?.handleSplit(conn);
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
    void this.answerQuery(msg).catch(() => undefined);
  }

  /** Holders answer the searcher directly, on a short-lived connection to its listen address. */
  private async answerQuery(msg: QueryMessage): Promise<void> {
    const manifest = await this.store.manifest(msg.name);
    const conn = await this.connect(msg.origin, 0);
    try {
      await conn.request(
        { t: 'hit', qid: msg.qid, name: msg.name, size: manifest.size, sha256: manifest.sha256, holder: this.address },
        { timeoutMs: 5000 },
      );
    } finally {
      conn.close();
    }
  }
}

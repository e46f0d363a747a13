// ChordStorage's view of the peer's files, over the shared FileStore and the verified chunked
// transfer (transfer/download-session.ts): what this node serves, and fetching a file into
// Downloads/ (.part, per-chunk SHA-256, rename when whole) so it is served from then on.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileStore } from '../files/file-store';
import type { PeerOptions } from '../peer';
import { downloadIntoStore } from '../peer-support';
import type { DownloadRequest, DownloadResult } from '../transfer/download-session';
import { fetchManifest } from '../transfer/transfer-client';
import { dial, P2PError, type ChannelSecurity, type Connection, type RelayRoute } from '../wire';
import type { PeerRef } from '../events';
import type { ChordFileHost } from './chord-storage';
import type { ChordContact, VersionClaim } from './remote';
import { untilAborted } from './until-aborted';

type ProgressListener = NonNullable<DownloadRequest['onProgress']>;

/** A download running for a name, and everyone who waits on it and wants its progress. */
interface RunningDownload {
  result: Promise<DownloadResult>;
  watchers: Set<ProgressListener>;
}

export class StoreFileHost implements ChordFileHost {
  /** One download per name at a time: a GET and a replica fetch of the same file share it (one .part). */
  private readonly inFlight = new Map<string, RunningDownload>();

  constructor(
    private readonly store: FileStore,
    /** The network key and key pair, and the transfer options every download of this peer uses. */
    private readonly options: Pick<PeerOptions, 'key' | 'workerSinkFromBytes' | 'chunkTimeoutMs'> & {
      security: ChannelSecurity;
      relay?: RelayRoute;
    },
    /** A file was added to or removed from the store (the metaserver's file list follows). */
    private readonly onStored: () => void = () => undefined,
    /** File bytes received from a holder (traffic for the topology page). */
    private readonly onReceived?: DownloadRequest['onReceived'],
  ) {}

  /** Resolves once no download is running (after an abort, their files are closed). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()].map((d) => d.result));
  }

  names(): string[] {
    return this.store.names();
  }

  has(name: string): boolean {
    return this.store.has(name);
  }

  async holdsSameVersion(name: string, peer: ChordContact, signal: AbortSignal): Promise<boolean> {
    const ours = await this.store.manifest(name);
    return (await this.versionAt(name, peer, signal))?.root === ours.root;
  }

  async versionHere(name: string): Promise<VersionClaim | undefined> {
    const manifest = await this.store.manifest(name).catch(() => undefined);
    return manifest && { size: manifest.size, root: manifest.root };
  }

  async versionAt(name: string, peer: ChordContact, signal: AbortSignal): Promise<VersionClaim | undefined> {
    const { key, security, relay } = this.options;
    const conn = await dial(peer, { key, security, relay, expectId: peer.id || undefined, signal }).catch(
      () => undefined,
    );
    if (!conn) return undefined;
    conn.setHandler(() => undefined);
    try {
      const { size, root } = await fetchManifest(conn, name, signal);
      return { size, root };
    } catch {
      return undefined; // not held there (NOT_SHARED), or a manifest that does not add up
    } finally {
      conn.close();
    }
  }

  /** Only a copy the ring put in Downloads/ is deleted; anything else is only no longer served. */
  async drop(name: string): Promise<void> {
    const path = this.store.withdraw(name);
    if (path && dirname(path) === this.store.downloadsDir) await rm(path, { force: true });
    this.onStored();
  }

  async fetch(name: string, sources: ChordContact[], signal: AbortSignal): Promise<void> {
    await this.download(
      name,
      sources.map(({ id, host, port }) => ({ id, host, port })),
      signal,
    );
  }

  /**
   * Downloads from the given holders (all tried at once by the transfer) and shares the result.
   * `version`: the one wanted (without it, the first holder's manifest chooses). A call for a
   * name already downloading here waits on that download, with its progress; its own `signal`
   * ends only its wait.
   */
  async download(
    name: string,
    holders: PeerRef[],
    signal: AbortSignal,
    onProgress?: DownloadRequest['onProgress'],
    version?: VersionClaim,
  ): Promise<DownloadResult> {
    let running = this.inFlight.get(name);
    if (!running) {
      const watchers = new Set<ProgressListener>();
      const report: ProgressListener = (...progress) => {
        for (const watcher of watchers) watcher(...progress);
      };
      const result = this.downloadNow(name, holders, signal, report, version).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, (running = { result, watchers }));
    }
    if (onProgress) running.watchers.add(onProgress);
    try {
      const result = await untilAborted(running.result, signal);
      // A download of the name already running (a ring copy) may have fetched another version.
      if (version && result.root !== version.root)
        throw new P2PError('DOWNLOAD_FAILED', `another version of "${name}" was being downloaded here`, name);
      return result;
    } finally {
      if (onProgress) running.watchers.delete(onProgress);
    }
  }

  private async downloadNow(
    name: string,
    holders: PeerRef[],
    signal: AbortSignal,
    onProgress?: DownloadRequest['onProgress'],
    version?: VersionClaim,
  ): Promise<DownloadResult> {
    const opened: Connection[] = [];
    try {
      const result = await downloadIntoStore(this.store, this.options, {
        name,
        ...(version && { root: version.root, size: version.size }),
        holders,
        signal,
        connect: async (holder, s) => {
          const { key, security, relay } = this.options;
          const conn = await dial(holder, { key, security, relay, expectId: holder.id || undefined, signal: s });
          conn.setHandler(() => undefined);
          opened.push(conn);
          return conn;
        },
        onProgress,
        onReceived: this.onReceived,
      });
      this.onStored();
      return result;
    } finally {
      for (const conn of opened) conn.close();
    }
  }
}

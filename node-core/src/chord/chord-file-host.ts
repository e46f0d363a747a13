// ChordStorage's view of the peer's files, over the shared FileStore and the verified chunked
// transfer (transfer/download-session.ts): what this node serves, and fetching a file into
// Downloads/ (.part, per-chunk SHA-256, rename when whole) so it is served from then on.
import type { FileStore } from '../files/file-store';
import { download, type DownloadResult } from '../transfer/download-session';
import { dial, type Connection } from '../wire';
import type { PeerRef } from '../events';
import type { ChordFileHost } from './chord-storage';
import type { ChordPeer } from './remote';

export class StoreFileHost implements ChordFileHost {
  /** One download per name at a time: a GET and a replica fetch of the same file share it (one .part). */
  private readonly inFlight = new Map<string, Promise<DownloadResult>>();

  constructor(
    private readonly store: FileStore,
    private readonly key: string | undefined,
    /** A file was added to the store (the metaserver's file list follows). */
    private readonly onStored: () => void = () => undefined,
    /** File bytes received from a holder (traffic for the topology page). */
    private readonly onReceived?: (holder: PeerRef, bytes: number) => void,
  ) {}

  /** Resolves once no download is running (after an abort, their files are closed). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  names(): string[] {
    return this.store.names();
  }

  has(name: string): boolean {
    return this.store.has(name);
  }

  async fetch(name: string, sources: ChordPeer[], signal: AbortSignal): Promise<void> {
    await this.download(
      name,
      sources.map(({ id, host, port }) => ({ id, host, port })),
      signal,
    );
  }

  /** Downloads from the given holders (all tried at once by the transfer) and shares the result. */
  download(
    name: string,
    holders: PeerRef[],
    signal: AbortSignal,
    onProgress?: (bytes: number, total: number) => void,
    sha256?: string,
  ): Promise<DownloadResult> {
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.downloadNow(name, holders, signal, onProgress, sha256).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  private async downloadNow(
    name: string,
    holders: PeerRef[],
    signal: AbortSignal,
    onProgress?: (bytes: number, total: number) => void,
    sha256?: string,
  ): Promise<DownloadResult> {
    const opened: Connection[] = [];
    try {
      const result = await download({
        name,
        sha256,
        holders,
        downloadsDir: this.store.downloadsDir,
        signal,
        connect: async (holder, s) => {
          const conn = await dial(holder, { key: this.key, signal: s });
          conn.setHandler(() => undefined);
          opened.push(conn);
          return conn;
        },
        onProgress,
        onReceived: this.onReceived,
      });
      this.store.adopt(result.path, result.manifest, result.stamp);
      this.onStored();
      return result;
    } finally {
      for (const conn of opened) conn.close();
    }
  }
}

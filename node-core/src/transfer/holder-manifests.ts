// The start of a download: every holder is asked for its manifest at once, and the download
// starts with the first one that serves the chosen version (its root and size);
// holders that answer later join as they come in. So a holder that stalls on its manifest delays
// nobody, and a manifest whose chunk digests do not produce the chosen root is never used.
import type { PeerRef } from '../events';
import type { FileManifest } from '../files/manifest';
import { P2PError, toP2PError, type Connection } from '../wire';
import { fetchManifest } from './transfer-client';

/** What a download asks for: a name and, from its search result, the version it chose. */
export interface WantedVersion {
  name: string;
  /** The Merkle root the search reported; without it (a GET by name only), the first manifest's root is chosen. */
  root?: string;
  size?: number;
}

export interface ServingHolder {
  ref: PeerRef;
  conn: Connection;
}

export class HolderManifests {
  private chosen: FileManifest | undefined;
  private readonly serving: ServingHolder[] = [];
  private listener: ((holder: ServingHolder) => void) | undefined;
  private lastError: unknown;
  /** Set once every holder answered and none served the wanted version. */
  private failure: P2PError | undefined;
  private firstWaiter: { resolve: (m: FileManifest) => void; reject: (err: P2PError) => void } | undefined;
  /** Resolves once every holder has answered or failed. */
  readonly settled: Promise<void>;

  constructor(
    private readonly wanted: WantedVersion,
    holders: PeerRef[],
    connect: (holder: PeerRef) => Promise<Connection>,
    signal: AbortSignal,
  ) {
    const attempts = holders.map(async (ref) => {
      try {
        const conn = await connect(ref);
        const manifest = await fetchManifest(conn, wanted.name, signal).catch((err: unknown) => {
          conn.close();
          throw err;
        });
        if (this.accepts(manifest)) this.add(manifest, { ref, conn });
        else conn.close();
      } catch (err) {
        this.lastError = err;
      }
    });
    this.settled = Promise.all(attempts).then(() => this.noneChosen());
  }

  /** The chosen version's manifest, as soon as one holder has served it. */
  first(): Promise<FileManifest> {
    if (this.chosen) return Promise.resolve(this.chosen);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.firstWaiter = { resolve, reject };
    });
  }

  /** Calls `listener` for each holder serving the chosen version: those in so far, then each newcomer. */
  onHolder(listener: (holder: ServingHolder) => void): void {
    this.listener = listener;
    for (const holder of this.serving) listener(holder);
  }

  /** The holders serving the chosen version so far. */
  get holders(): readonly ServingHolder[] {
    return this.serving;
  }

  private accepts(m: FileManifest): boolean {
    const { root, size } = this.chosen ?? this.wanted;
    return (!root || m.root === root) && (size === undefined || m.size === size);
  }

  private add(manifest: FileManifest, holder: ServingHolder): void {
    this.chosen ??= manifest;
    this.serving.push(holder);
    this.firstWaiter?.resolve(this.chosen);
    this.firstWaiter = undefined;
    this.listener?.(holder);
  }

  private noneChosen(): void {
    if (this.chosen) return;
    const { name } = this.wanted;
    this.failure = this.lastError
      ? toP2PError(this.lastError, 'DOWNLOAD_FAILED')
      : new P2PError('VERIFY_FAILED', `no holder serves "${name}" with the expected Merkle root`, name);
    this.firstWaiter?.reject(this.failure);
    this.firstWaiter = undefined;
  }
}

// Tells its owner when a shared folder may have changed: fs.watch on each folder, a burst of
// events coalesced into one call, and a periodic call as a safety net (fs.watch can miss events,
// and does not see a folder replaced under it). A folder can be muted for a while: one being
// written into by a download raises an event per write() call, thousands per GiB.
import { watch, type FSWatcher } from 'node:fs';

export interface FolderWatcherOptions {
  /** Events within this long are one change. */
  debounceMs?: number;
  /** A rescan this often even without events (0: never). */
  rescanMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 50;
export const DEFAULT_RESCAN_MS = 5000;

interface WatchedFolder {
  recursive: boolean;
  /** Undefined while muted, or when the folder could not be watched. */
  watcher?: FSWatcher;
  /** Mutes not yet lifted. */
  mutes: number;
}

export class FolderWatcher {
  private readonly folders = new Map<string, WatchedFolder>();
  private debounceTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    folders: readonly string[],
    private readonly onChange: () => void,
    private readonly options: FolderWatcherOptions = {},
  ) {
    for (const folder of folders) this.add(folder);
    const rescanMs = options.rescanMs ?? DEFAULT_RESCAN_MS;
    if (rescanMs > 0) {
      this.rescanTimer = setInterval(() => this.onChange(), rescanMs);
      this.rescanTimer.unref();
    }
  }

  /** Watches one more folder (`recursive`: its sub-folders too). */
  add(folder: string, recursive = false): void {
    if (this.closed || this.folders.has(folder)) return;
    const entry: WatchedFolder = { recursive, mutes: 0 };
    this.folders.set(folder, entry);
    this.startWatch(folder, entry);
  }

  /**
   * Stops the events of `folder` (the periodic call goes on) until the returned function is
   * called; mutes nest. Unmuted, it counts as changed.
   */
  mute(folder: string): () => void {
    const entry = this.folders.get(folder);
    if (!entry) return () => undefined;
    entry.mutes++;
    entry.watcher?.close();
    entry.watcher = undefined;
    let lifted = false;
    return () => {
      if (lifted) return;
      lifted = true;
      if (--entry.mutes > 0 || this.folders.get(folder) !== entry) return;
      this.startWatch(folder, entry);
      this.changed();
    };
  }

  private startWatch(folder: string, entry: WatchedFolder): void {
    if (this.closed || entry.mutes > 0) return;
    try {
      const watcher = watch(folder, { persistent: false, recursive: entry.recursive }, () => this.changed());
      // a folder that vanishes or cannot be watched is left to the periodic rescan
      watcher.on('error', () => watcher.close());
      entry.watcher = watcher;
    } catch {
      // not watchable here (permissions, inotify limits): the rescan still covers it
    }
  }

  /** One call for a burst of events, `debounceMs` after the first. */
  private changed(): void {
    if (this.closed || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      if (!this.closed) this.onChange();
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.rescanTimer);
    for (const entry of this.folders.values()) entry.watcher?.close();
    this.folders.clear();
  }
}

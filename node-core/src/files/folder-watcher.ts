// Tells its owner when a shared folder may have changed: fs.watch on each folder, a burst of
// events coalesced into one call, and a periodic call as a safety net (fs.watch can miss events,
// and does not see a folder replaced under it).
import { watch, type FSWatcher } from 'node:fs';

export interface FolderWatcherOptions {
  /** Events within this long are one change. */
  debounceMs?: number;
  /** A rescan this often even without events (0: never). */
  rescanMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 50;
export const DEFAULT_RESCAN_MS = 5000;

export class FolderWatcher {
  private readonly watchers: FSWatcher[] = [];
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
    if (this.closed) return;
    try {
      const watcher = watch(folder, { persistent: false, recursive }, () => this.changed());
      // a folder that vanishes or cannot be watched is left to the periodic rescan
      watcher.on('error', () => watcher.close());
      this.watchers.push(watcher);
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
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }
}

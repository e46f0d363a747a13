// Open read handles of shared files, kept while chunks are being served and closed after a
// short idle period, so serving a 256-chunk file costs one open(), not 256.
import { open, type FileHandle } from 'node:fs/promises';

interface OpenFile {
  handle: Promise<FileHandle>;
  users: number;
  idleTimer?: NodeJS.Timeout;
}

export class OpenFiles {
  private readonly files = new Map<string, OpenFile>();

  constructor(private readonly idleMs = 2000) {}

  /** Runs `use` with a read handle of `path`, opening it or reusing an open one. */
  async with<T>(path: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
    let file = this.files.get(path);
    if (!file) {
      file = { handle: open(path, 'r'), users: 0 };
      this.files.set(path, file);
      file.handle.catch(() => this.files.delete(path));
    }
    clearTimeout(file.idleTimer);
    file.users++;
    try {
      return await use(await file.handle);
    } finally {
      file.users--;
      if (file.users === 0 && this.files.get(path) === file) {
        file.idleTimer = setTimeout(() => this.evict(path, file), this.idleMs);
        file.idleTimer.unref();
      } else if (file.users === 0) this.evict(path, file); // forgotten while in use: its last user closes it
    }
  }

  /** Forgets a path (the file changed or stopped being shared); closes once unused. */
  forget(path: string): void {
    const file = this.files.get(path);
    if (file && file.users === 0) this.evict(path, file);
    else this.files.delete(path);
  }

  async close(): Promise<void> {
    const all = [...this.files.entries()];
    this.files.clear();
    await Promise.all(
      all.map(([, f]) => (clearTimeout(f.idleTimer), f.handle.then((h) => h.close()).catch(() => undefined))),
    );
  }

  private evict(path: string, file: OpenFile): void {
    if (this.files.get(path) === file) this.files.delete(path);
    clearTimeout(file.idleTimer);
    void file.handle.then((h) => h.close()).catch(() => undefined);
  }
}

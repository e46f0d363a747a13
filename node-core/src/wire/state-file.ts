// A node's small state files (pins, deny-list): JSON, readable by the owner only, replaced
// whole through a temporary file so a crash never leaves half a file under the real name.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export class StateFileWriter {
  private writing: Promise<void> = Promise.resolve();
  private queued = false;

  /** `snapshot` is read when the write runs, so a burst of changes costs one write. */
  constructor(
    private readonly file: string | undefined,
    private readonly snapshot: () => unknown,
  ) {}

  save(): void {
    const file = this.file;
    if (!file || this.queued) return;
    this.queued = true;
    this.writing = this.writing.then(async () => {
      this.queued = false;
      const aside = `${file}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(aside, JSON.stringify(this.snapshot(), null, 1), { mode: 0o600 });
        await rename(aside, file);
      } catch {
        // the state stays in memory; the next change tries again
      }
    });
  }

  /** Resolves once every change saved so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }
}

// What a shared folder holds right now: its plain files (no `.part`, no sub-folders, no name a
// peer could not ask for), each under its name in Unicode NFC with the size+mtime stamp the
// manifest cache compares.
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isFileName } from '../wire';

export interface ListedFile {
  path: string;
  /** `${size}:${mtimeMs}`. */
  stamp: string;
}

/** Names compare in NFC: a file named in NFD on disk is found by an NFC search and vice versa. */
export function sharedName(name: string): string {
  return name.normalize('NFC');
}

export function stampOf(info: { size: number; mtimeMs: number }): string {
  return `${info.size}:${info.mtimeMs}`;
}

/** The stamp of a plain file at `path`, or undefined if there is none. */
export async function fileStamp(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? stampOf(info) : undefined;
}

/**
 * The shareable files of `folders`, by NFC name. The first folder wins a name found twice, and
 * within a folder the first of two spellings of one name (sorted) wins.
 */
export async function listSharedFiles(folders: readonly string[]): Promise<Map<string, ListedFile>> {
  const found = new Map<string, ListedFile>();
  for (const folder of folders) {
    const entries: Dirent[] = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isFile() || entry.name.endsWith('.part') || !isFileName(entry.name)) continue;
      const name = sharedName(entry.name);
      if (found.has(name)) continue;
      const path = join(folder, entry.name);
      const stamp = await fileStamp(path);
      if (stamp) found.set(name, { path, stamp });
    }
  }
  return found;
}

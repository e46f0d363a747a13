// What a shared folder holds right now: its plain files (no `.part`, no name a peer could not ask
// for), each under its name in Unicode NFC with the size+mtime stamp the manifest cache compares.
// The peer's own folders are read flat; a folder shared with SHARE is read with its sub-folders,
// hidden entries (dot files, .git) left out.
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
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

/** Files a shared folder tree may hold: more is more likely a mistake (a home folder) than a share. */
export const MAX_TREE_FILES = 2000;

/**
 * The shareable files of `folders` (flat) then of `trees` (with sub-folders, at most
 * MAX_TREE_FILES each), by NFC name. The first folder wins a name found twice, and within a
 * folder the first of two spellings of one name (sorted) wins.
 */
export async function listSharedFiles(
  folders: readonly string[],
  trees: readonly string[] = [],
): Promise<Map<string, ListedFile>> {
  const found = new Map<string, ListedFile>();
  for (const folder of folders) await addFiles(found, folder, await filesIn(folder));
  for (const tree of trees) await addFiles(found, tree, (await filesUnder(tree)).slice(0, MAX_TREE_FILES));
  return found;
}

async function addFiles(found: Map<string, ListedFile>, folder: string, relativePaths: string[]): Promise<void> {
  for (const relativePath of relativePaths) {
    const fileName = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    if (fileName.endsWith('.part') || !isFileName(fileName)) continue;
    const name = sharedName(fileName);
    if (found.has(name)) continue;
    const path = join(folder, relativePath);
    const stamp = await fileStamp(path);
    if (stamp) found.set(name, { path, stamp });
  }
}

/** The plain files directly in `folder`, sorted. */
async function filesIn(folder: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

/** The plain files under `folder` as relative paths, sorted, without hidden entries or what lies under them. */
export async function filesUnder(folder: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      relative(folder, join(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join('/'),
    )
    .filter((path) => !path.split('/').some((part) => part.startsWith('.')))
    .sort();
}

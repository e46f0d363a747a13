// The folders a peer shares besides its own, kept in its state folder so they are shared again
// after a restart: a JSON array of absolute paths.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';

export async function readFolderList(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '[]');
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    return []; // a damaged list is dropped rather than stopping the peer
  }
  return Array.isArray(saved) ? saved.filter((p): p is string => typeof p === 'string' && isAbsolute(p)) : [];
}

/** Written to a temporary name, then renamed: a crash never leaves half a list. */
export async function writeFolderList(file: string, folders: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(folders, null, 1), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

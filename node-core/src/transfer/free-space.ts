// Before a download writes anything: is there room for it? A peer claiming a huge file is then
// refused up front with a clear error, instead of filling the disk.
import { statfs } from 'node:fs/promises';
import { P2PError } from '../wire';

/** Throws `NO_SPACE` if the file system holding `dir` has fewer than `bytes` free for us. */
export async function assertFreeSpace(dir: string, bytes: number, name: string): Promise<void> {
  if (bytes <= 0) return;
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < bytes)
    throw new P2PError('NO_SPACE', `"${name}" needs ${mib(bytes)} but ${dir} has only ${mib(free)} free`, name);
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

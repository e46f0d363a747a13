// A GET on a chord peer first looks at the copy the ring placed here (as a name's owner or
// replica): one rule, apart from the peer, for when that copy may become the user's download.
import type { DownloadCompleteEvent } from '../events';
import type { FileStore } from '../files/file-store';
import type { PeerDownloadOptions } from '../peer';
import type { ChordStorage } from './chord-storage';

/**
 * A GET of a name the ring placed a copy of here: that copy, if it is the version asked for,
 * becomes the user's download at once (verified when it was fetched); another version asked
 * for replaces it (a node keeps one file per name).
 */
export async function takeRingCopy(
  store: FileStore,
  storage: ChordStorage,
  name: string,
  options: PeerDownloadOptions,
): Promise<DownloadCompleteEvent | undefined> {
  if (!storage.holdsForRing(name)) return undefined;
  const manifest = await store.manifest(name).catch(() => undefined);
  const path = store.pathOf(name);
  const wanted = options.result?.root ?? options.version;
  if (!manifest || !path || (wanted !== undefined && wanted !== manifest.root)) {
    await storage.dropRingCopy(name);
    return undefined;
  }
  const { size: bytes, root } = manifest;
  return { event: 'download-complete', name, path, bytes, root, sources: [] };
}

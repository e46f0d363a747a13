// Downloading what a share link names: from the link's holder first, and when that holder is
// gone or no longer serves that version, from whoever a search in the network finds with the
// same Merkle root and SHA-256. Either way every chunk is verified against the link's root and
// the whole file against its SHA-256 before it gets its name.
import type { DownloadCompleteEvent, SearchResultEvent } from './events';
import type { ShareLink } from './share-link';
import { linkSearchResult } from './share-link';
import { P2PError, toP2PError } from './wire';

export interface LinkRoutes<T extends Pick<DownloadCompleteEvent, 'root' | 'sha256'>> {
  /** Downloads from these holders, accepting only `result`'s version (root, SHA-256, size). */
  downloadFrom(result: SearchResultEvent): Promise<T>;
  /** Searches the network for the link's file name (may join a network first). */
  search(): Promise<SearchResultEvent[]>;
}

/** Errors that no other holder would change: give up instead of searching. */
const FINAL_CODES = new Set(['FILE_EXISTS', 'CANCELLED', 'PAUSED', 'BAD_NAME', 'AUTH_FAILED', 'NO_SPACE']);

export async function downloadByLink<T extends Pick<DownloadCompleteEvent, 'root' | 'sha256'>>(
  link: ShareLink,
  routes: LinkRoutes<T>,
): Promise<T> {
  const direct = linkSearchResult(link);
  let holderError: P2PError | undefined;
  if (direct) {
    try {
      return checked(link, await routes.downloadFrom(direct));
    } catch (err) {
      holderError = toP2PError(err, 'DOWNLOAD_FAILED');
      if (FINAL_CODES.has(holderError.code)) throw holderError;
    }
  }
  const found = (await routes.search()).find(
    (result) => result.root === link.root && result.sha256 === link.sha256 && result.holders.length > 0,
  );
  if (!found) {
    const why = holderError ? ` (its holder ${direct?.holders[0]?.id}: ${holderError.message})` : '';
    throw new P2PError('NOT_FOUND', `no peer serves this version of "${link.name}"${why}`, link.name);
  }
  return checked(link, await routes.downloadFrom({ ...found, size: link.size }));
}

/** The download verified a version; this makes sure it is the link's (a shared in-flight download may not be). */
function checked<T extends Pick<DownloadCompleteEvent, 'root' | 'sha256'>>(link: ShareLink, done: T): T {
  if (done.root !== link.root || done.sha256 !== link.sha256)
    throw new P2PError(
      'VERIFY_FAILED',
      `the file downloaded is not the version the link names (root ${done.root})`,
      link.name,
    );
  return done;
}

// Downloading what a share link names: from the link's holder first, and when that holder is
// gone or no longer serves that version, from whoever a search in the network finds with the
// same SHA-256. Either way the file is verified against the link's digest before it gets its name.
import type { SearchResultEvent } from './events';
import type { ShareLink } from './share-link';
import { linkSearchResult } from './share-link';
import { P2PError, toP2PError } from './wire';

export interface LinkRoutes<T> {
  /** Downloads from these holders, accepting only `result.sha256`. */
  downloadFrom(result: SearchResultEvent): Promise<T>;
  /** Searches the network for the link's file name (may join a network first). */
  search(): Promise<SearchResultEvent[]>;
}

/** Errors that no other holder would change: give up instead of searching. */
const FINAL_CODES = new Set(['FILE_EXISTS', 'CANCELLED', 'BAD_NAME', 'AUTH_FAILED']);

export async function downloadByLink<T>(link: ShareLink, routes: LinkRoutes<T>): Promise<T> {
  const direct = linkSearchResult(link);
  let holderError: P2PError | undefined;
  if (direct) {
    try {
      return await routes.downloadFrom(direct);
    } catch (err) {
      holderError = toP2PError(err, 'DOWNLOAD_FAILED');
      if (FINAL_CODES.has(holderError.code)) throw holderError;
    }
  }
  const found = (await routes.search()).find((result) => result.sha256 === link.sha256 && result.holders.length > 0);
  if (!found) {
    const why = holderError ? ` (its holder ${direct?.holders[0]?.id}: ${holderError.message})` : '';
    throw new P2PError('NOT_FOUND', `no peer serves this version of "${link.name}"${why}`, link.name);
  }
  return routes.downloadFrom(found);
}

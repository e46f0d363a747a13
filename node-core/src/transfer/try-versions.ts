// A search may find several versions of one name (Merkle root and size), some of them
// put forward by liars. A GET tries them in order (most holders first); a version whose holders
// all fail or lie gives way to the next, so a liar's version cannot stand in for the honest one.
import type { SearchResultEvent } from '../events';
import { P2PError } from '../wire';

/** Failures that another version would not cure. */
const FINAL_CODES = new Set(['CANCELLED', 'FILE_EXISTS', 'NO_SPACE', 'BAD_NAME']);

export async function downloadFirstVersion<T>(
  versions: readonly SearchResultEvent[],
  attempt: (version: SearchResultEvent) => Promise<T>,
): Promise<T> {
  let lastError: unknown;
  for (const version of versions) {
    try {
      return await attempt(version);
    } catch (err) {
      if (!(err instanceof P2PError) || FINAL_CODES.has(err.code)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

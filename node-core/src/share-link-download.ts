// Downloading what a share link names: from the link's holder first, and when that holder is
// gone or no longer serves that version, from whoever a search in the network finds with the
// same Merkle root. Either way every chunk is verified against a manifest whose chunk digests
// produce the link's root before the file gets its name. A link that names the holder's key
// (`fp`) is used only with a holder that shows that key.
import type { DownloadCompleteEvent, PeerRef, SearchResultEvent } from './events';
import type { ShareLink } from './share-link';
import { linkSearchResult } from './share-link';
import { dial, ephemeralSecurity, P2PError, toP2PError, TrustStore, type ChannelSecurity } from './wire';

export interface LinkRoutes<T extends Pick<DownloadCompleteEvent, 'root'>> {
  /** Downloads from these holders, accepting only `result`'s version (root, size). */
  downloadFrom(result: SearchResultEvent): Promise<T>;
  /** Searches the network for the link's file name (may join a network first). */
  search(): Promise<SearchResultEvent[]>;
  /**
   * For a link with `fp`, when downloadFrom's own dials do not check it: rejects unless the
   * holder shows that key (see checkHolderKey).
   */
  checkHolderKey?(holder: PeerRef, fingerprint: string): Promise<void>;
}

/** Errors that no other holder would change: give up instead of searching. */
const FINAL_CODES = new Set(['FILE_EXISTS', 'CANCELLED', 'PAUSED', 'BAD_NAME', 'AUTH_FAILED', 'NO_SPACE']);

export async function downloadByLink<T extends Pick<DownloadCompleteEvent, 'root'>>(
  link: ShareLink,
  routes: LinkRoutes<T>,
): Promise<T> {
  const direct = linkSearchResult(link);
  let holderError: P2PError | undefined;
  if (direct) {
    try {
      if (link.fingerprint) await routes.checkHolderKey?.(direct.holders[0]!, link.fingerprint);
      return checked(link, await routes.downloadFrom(direct));
    } catch (err) {
      holderError = toP2PError(err, 'DOWNLOAD_FAILED');
      if (FINAL_CODES.has(holderError.code)) throw holderError;
    }
  }
  const found = (await routes.search()).find((result) => result.root === link.root && result.holders.length > 0);
  const holders = found ? await withLinkKey(link, found.holders, routes) : [];
  if (!found || holders.length === 0) {
    const why = holderError ? ` (its holder ${direct?.holders[0]?.id}: ${holderError.message})` : '';
    throw new P2PError('NOT_FOUND', `no peer serves this version of "${link.name}"${why}`, link.name);
  }
  return checked(link, await routes.downloadFrom({ ...found, holders, size: link.size }));
}

/** The link's holder, found again (at another address, say), is used only if it shows the link's key. */
async function withLinkKey<T extends Pick<DownloadCompleteEvent, 'root'>>(
  link: ShareLink,
  holders: PeerRef[],
  routes: LinkRoutes<T>,
): Promise<PeerRef[]> {
  const named = holders.find((h) => h.id === link.holder?.id);
  if (!named || !link.fingerprint || !routes.checkHolderKey) return holders;
  const shows = await routes.checkHolderKey(named, link.fingerprint).then(
    () => true,
    () => false,
  );
  return shows ? holders : holders.filter((h) => h !== named);
}

/** The download verified a version; this makes sure it is the link's (a shared in-flight download may not be). */
function checked<T extends Pick<DownloadCompleteEvent, 'root'>>(link: ShareLink, done: T): T {
  if (done.root !== link.root)
    throw new P2PError(
      'VERIFY_FAILED',
      `the file downloaded is not the version the link names (root ${done.root})`,
      link.name,
    );
  return done;
}

/**
 * Dials `holder` and rejects (KEY_CHANGED) unless it shows `fingerprint`, checked before our
 * hello: the link's key is pinned in a throw-away trust store, never in the caller's pins, so a
 * link cannot spoil what this node knows of that id. `as`: the caller's key and id (default: an
 * anonymous one), so a holder with a `--trust` list sees who asks.
 */
export async function checkHolderKey(
  holder: PeerRef,
  fingerprint: string,
  options: { key?: string; as?: Omit<ChannelSecurity, 'trust'>; signal?: AbortSignal } = {},
): Promise<void> {
  const own = options.as ?? ephemeralSecurity('');
  const security: ChannelSecurity = { ...own, trust: TrustStore.inMemory() };
  security.trust.admit(holder.id, fingerprint);
  const conn = await dial(holder, { key: options.key, security, expectId: holder.id, signal: options.signal });
  conn.close();
}

// `p2p-node get LINK`: download the file a share link names into --dir, each chunk verified
// against a manifest whose chunk digests produce the link's Merkle root, then exit (0 done,
// 1 failed; a bad link is a usage error, 2). The link's holder is asked directly; only if it
// fails does a temporary peer join the network (through the link's metaserver, else its holder)
// to search for other holders, and leave again. A link with the holder's key (`fp`) pins it for
// this run: a holder at that address with another key is not used, nor a metaserver without `mfp`'s.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DownloadCompleteEvent, SearchResultEvent } from '../events';
import { downloadByLink } from '../share-link-download';
import { download } from '../transfer/download-session';
import { dial, loadNodeSecurity, type ChannelSecurity, type Connection } from '../wire';
import type { GetArgs } from './args';
import { errorEvent } from './errors';
import type { EventOutput } from './output';
import type { PeerNode } from '../peer';
import { downloadCompleteEvent } from '../peer-support';
import { createPeerNode } from './peer-node';

const PROGRESS_EVERY_MS = 200;

export async function runGet(args: GetArgs, out: EventOutput): Promise<number> {
  const cancel = new AbortController();
  const onSignal = (): void => cancel.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const searcher = new TemporarySearcher(args);
  try {
    await mkdir(args.dir, { recursive: true });
    // this run's own pins (in memory), under the --trust allow-list if one is given
    const security = await loadNodeSecurity({ id: '', trustFile: args.trust });
    const { holder, fingerprint } = args.link;
    if (holder && fingerprint) security.trust.admit(holder.id, fingerprint);
    const done = await downloadByLink(args.link, {
      downloadFrom: (result) => downloadInto(args, security, result, cancel.signal, out),
      search: () => searcher.search(),
    });
    out.emit(done);
    return 0;
  } catch (err) {
    out.emit(errorEvent(err, 'DOWNLOAD_FAILED', args.link.name));
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await searcher.close();
  }
}

/** Downloads straight from the holders into --dir: no peer of ours is needed for that. */
async function downloadInto(
  args: GetArgs,
  security: ChannelSecurity,
  result: SearchResultEvent,
  signal: AbortSignal,
  out: EventOutput,
): Promise<DownloadCompleteEvent> {
  const { name } = args.link;
  const opened: Connection[] = [];
  let last = 0;
  try {
    const done = await download({
      name,
      root: result.root,
      size: result.size,
      holders: result.holders,
      downloadsDir: args.dir,
      signal,
      connect: async (holder, dialSignal) => {
        const conn = await dial(holder, { key: args.key, security, expectId: holder.id, signal: dialSignal });
        conn.setHandler(() => undefined);
        opened.push(conn);
        return conn;
      },
      onProgress: (bytes, total) => {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS && bytes < total) return;
        last = now;
        out.emit({ event: 'download-progress', name, bytes, total });
      },
    });
    return downloadCompleteEvent(done);
  } finally {
    for (const conn of opened) conn.close();
  }
}

/** A peer with an empty folder of its own, started only when a search is needed. */
class TemporarySearcher {
  private node: PeerNode | undefined;
  private dir: string | undefined;

  constructor(private readonly args: GetArgs) {}

  async search(): Promise<SearchResultEvent[]> {
    const { link } = this.args;
    this.dir = await mkdtemp(join(tmpdir(), 'p2p-get-'));
    const id = `get-${randomBytes(4).toString('hex')}`;
    const security = await loadNodeSecurity({ id, trustFile: this.args.trust });
    this.node = createPeerNode(
      {
        id,
        mode: link.mode ?? 'flood',
        host: this.args.host,
        port: 0,
        dir: this.dir,
        metaserver: link.metaserver,
        metaserverKey: link.metaserverFingerprint
          ? { fingerprint: link.metaserverFingerprint, source: 'the share link' }
          : undefined,
        join: link.metaserver ? undefined : link.holder,
        maxNeighbors: 4,
        ttl: 7,
        key: this.args.key,
        heartbeatMs: this.args.heartbeatMs,
      },
      security,
    );
    await this.node.start();
    return this.node.search(link.name);
  }

  async close(): Promise<void> {
    await this.node?.stop().catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

// Moves the TransferList: starts each download on its peer (GET), pauses (PAUSE: the .part
// stays), resumes and retries (GET again, which re-verifies the .part and fetches the rest),
// cancels (CANCEL, or for a paused one the .part removed here). The list is the one record of
// transfers; this class owns the AbortController of each running one.

import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadCompleteEvent } from '@node-core/events';
import { peerId } from '../commands/pickPeer';
import type { ManagedNode } from '../nodes/managedNode';
import type { NodeManager } from '../nodes/nodeManager';
import { DownloadCancelled, DownloadPaused, downloadFile, pauseDownload } from '../nodes/peerOperations';
import { transferId, type Transfer, type TransferList, type VersionChoice } from './transferList';

export class TransferController {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly manager: NodeManager,
    readonly list: TransferList,
  ) {}

  /**
   * Downloads `name` with `node`, tracked in the list. Resolves with the finished download, or
   * undefined when it was paused or cancelled (the list says which); a failure rejects.
   * `which`: the version picked from a search (its root), or the share link naming `name`.
   */
  async download(
    node: ManagedNode,
    name: string,
    which: VersionChoice = {},
  ): Promise<DownloadCompleteEvent | undefined> {
    const peer = peerId(node);
    const id = transferId(peer, name);
    const transfer = this.list.start(peer, name, which);
    if (!transfer) throw new Error(`Peer ${peer} is already downloading "${name}".`);
    const controller = new AbortController();
    this.running.set(id, controller);
    try {
      const done = await downloadFile(node, name, {
        link: transfer.link,
        signal: controller.signal,
        version: transfer.version,
        onProgress: ({ bytes, total, sources }) => this.list.progress(id, bytes, total, sources),
      });
      this.list.completed(id, done);
      return done;
    } catch (error) {
      if (error instanceof DownloadPaused) this.list.paused(id, error.bytes, error.total);
      else if (error instanceof DownloadCancelled) this.list.cancelled(id);
      // the peer stopped under it: a stop keeps the .part, so this is a pause, not a failure
      else if (node.status !== 'running') this.list.paused(id);
      else {
        this.list.failed(id, error instanceof Error ? error.message : String(error));
        throw error;
      }
      return undefined;
    } finally {
      this.running.delete(id);
    }
  }

  /** Asks the peer to stop the download, keeping its .part; the list turns paused on its answer. */
  pause(transfer: Transfer): void {
    if (transfer.state !== 'active') throw new Error(`"${transfer.name}" is ${transfer.state}, not downloading.`);
    pauseDownload(this.runningPeer(transfer), transfer.name);
  }

  /** Resume (paused) and retry (failed, cancelled) are both a new GET of the same name. */
  resume(transfer: Transfer): Promise<DownloadCompleteEvent | undefined> {
    if (transfer.state === 'active') throw new Error(`"${transfer.name}" is already downloading.`);
    return this.download(this.runningPeer(transfer), transfer.name, { link: transfer.link, version: transfer.version });
  }

  async cancel(transfer: Transfer): Promise<void> {
    const running = this.running.get(transfer.id);
    if (running) {
      running.abort(); // downloadFile sends CANCEL; the peer removes the .part
      return;
    }
    if (transfer.state !== 'paused') throw new Error(`"${transfer.name}" is ${transfer.state}; nothing to cancel.`);
    const dir = this.manager.peer(transfer.peer)?.info?.dir;
    if (dir) await unlink(join(dir, 'Downloads', `${transfer.name}.part`)).catch(() => undefined);
    this.list.cancelled(transfer.id);
  }

  dispose(): void {
    // the peers stop with the window, and a stop keeps each .part: nothing to cancel here
    this.running.clear();
  }

  private runningPeer(transfer: Transfer): ManagedNode {
    const node = this.manager.peer(transfer.peer);
    if (!node || node.status !== 'running')
      throw new Error(`Peer ${transfer.peer} is not running in this window; join again with that id to go on.`);
    return node;
  }
}

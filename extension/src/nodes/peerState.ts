// What the extension knows about one running peer, rebuilt from its `--json` events: its
// neighbours, the files it shares, and its downloads in progress. The network view draws
// this; nothing here talks to the process.

import type { NodeEvent, PeerRef, SharedFileInfo } from '@node-core/events';

export interface DownloadInProgress {
  name: string;
  bytes: number;
  total: number;
}

export class PeerState {
  private readonly neighborsById = new Map<string, PeerRef>();
  private readonly filesByName = new Map<string, SharedFileInfo>();
  private readonly downloadsByName = new Map<string, DownloadInProgress>();
  private finished = 0;

  get neighbors(): PeerRef[] {
    return [...this.neighborsById.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get sharedFiles(): SharedFileInfo[] {
    return [...this.filesByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get downloads(): DownloadInProgress[] {
    return [...this.downloadsByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Downloads this peer finished (verified) since it started. */
  get finishedDownloads(): number {
    return this.finished;
  }

  /** Applies one event; returns whether anything the views show changed. */
  apply(event: NodeEvent): boolean {
    switch (event.event) {
      case 'neighbor-up':
        this.neighborsById.set(event.id, { id: event.id, host: event.host, port: event.port });
        return true;
      case 'neighbor-down':
        return this.neighborsById.delete(event.id);
      case 'topology':
        // A full answer to TOPO replaces what we pieced together from up/down events.
        this.neighborsById.clear();
        for (const n of event.neighbors ?? []) this.neighborsById.set(n.id, { id: n.id, host: n.host, port: n.port });
        return true;
      case 'files':
        this.filesByName.clear();
        for (const f of event.files ?? []) this.filesByName.set(f.name, sharedFileInfo(f));
        return true;
      case 'shared':
        this.filesByName.set(event.name, sharedFileInfo(event));
        return true;
      case 'folder-shared':
        for (const f of event.files) this.filesByName.set(f.name, sharedFileInfo(f));
        return true;
      case 'file-added':
        // new in the peer's folder, changed, or downloaded (node-core/src/events.ts)
        this.filesByName.set(event.name, sharedFileInfo(event));
        return true;
      case 'file-removed':
        return this.filesByName.delete(event.name);
      case 'download-progress':
        this.downloadsByName.set(event.name, { name: event.name, bytes: event.bytes, total: event.total });
        return true;
      case 'download-paused':
        return this.downloadsByName.delete(event.name);
      case 'download-complete':
        this.downloadsByName.delete(event.name);
        this.finished++;
        // A finished download is shared from then on (node-core/README.md, `files/file-store.ts`).
        this.filesByName.set(event.name, {
          name: event.name,
          size: event.bytes,
          root: event.root,
        });
        return true;
      case 'error':
        return event.name !== undefined && this.downloadsByName.delete(event.name);
      default:
        return false;
    }
  }

  /** A download the user started: show it at 0 % before the first progress event arrives. */
  downloadStarted(name: string): void {
    if (!this.downloadsByName.has(name)) this.downloadsByName.set(name, { name, bytes: 0, total: 0 });
  }

  downloadEnded(name: string): boolean {
    return this.downloadsByName.delete(name);
  }

  clear(): void {
    this.neighborsById.clear();
    this.filesByName.clear();
    this.downloadsByName.clear();
    this.finished = 0;
  }
}

/** Only the file's fields, not the event's (path, event name). */
function sharedFileInfo({ name, size, root }: SharedFileInfo): SharedFileInfo {
  return { name, size, root };
}

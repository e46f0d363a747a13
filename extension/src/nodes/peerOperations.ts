// The request/answer conversations with a running peer over its stdin/stdout: share a file,
// search the network, download a file. Each sends one command line and waits for the events
// that answer it (README.md, "Command-line"). No `vscode` import: the commands add the UI.

import { basename } from 'node:path';
import type {
  DownloadCompleteEvent,
  DownloadProgressEvent,
  FolderSharedEvent,
  NodeEvent,
  SharedEvent,
} from '@node-core/events';
import { mergeSearchResult, type NetworkFile } from '../search/searchResults';
import { describeNodeError, NodeError } from './errorMessages';
import type { ManagedNode } from './managedNode';
import { requestOf } from './nodeRequest';

/** Hashing a large file takes a while; a share that has not answered by then is stuck. */
const SHARE_TIMEOUT_MS = 60_000;
/** A folder's files are all hashed before the answer: allow for a large folder. */
const FOLDER_SHARE_TIMEOUT_MS = 15 * 60_000;
/** A download that makes no progress at all for this long is reported as failed. */
const DOWNLOAD_TIMEOUT_MS = 60 * 60_000;

function errorFor(node: ManagedNode, code: string, message: string, name?: string): NodeError {
  return new NodeError(
    describeNodeError(code, message, { node: node.launch.label, name, metaserver: node.launch.metaserver }),
    node.key,
  );
}

/** `SHARE <path>`: resolves with the `shared` event (name, size, root, path). */
export function shareFile(node: ManagedNode, path: string): Promise<SharedEvent> {
  const name = basename(path);
  return requestOf<SharedEvent>(
    node,
    `SHARE ${path}`,
    (event) => {
      if (event.event === 'shared' && (event.path === path || event.name === name)) return event;
      if (event.event === 'error' && (event.name === undefined || event.name === name || event.name === path))
        return errorFor(node, event.code, event.message, name);
      return undefined;
    },
    SHARE_TIMEOUT_MS,
  );
}

/** `SHARE <folder>`: resolves with the `folder-shared` event (the folder and the files it offers now). */
export function shareFolder(node: ManagedNode, path: string): Promise<FolderSharedEvent> {
  return requestOf<FolderSharedEvent>(
    node,
    `SHARE ${path}`,
    (event) => {
      if (event.event === 'folder-shared' && event.path === path) return event;
      if (event.event === 'error' && (event.name === undefined || event.name === path))
        return errorFor(node, event.code, event.message, path);
      return undefined;
    },
    FOLDER_SHARE_TIMEOUT_MS,
  );
}

export interface SearchOptions {
  /** How long to wait for a first answer. */
  timeoutMs: number;
  /** After an answer, how long to wait for more holders before calling the search done. */
  settleMs: number;
  signal?: AbortSignal;
  /** The results so far, each time a holder's answer (`search-hit`) or a final result adds to them. */
  onUpdate?: (files: NetworkFile[]) => void;
}

/**
 * `SEARCH <name>`: collects `search-hit` events (one holder each, as they arrive) and the final
 * `search-result` events until the node says `not-found`, or no new answer came for `settleMs`
 * after the last one, or `timeoutMs` passed without any answer.
 */
export function searchNetwork(node: ManagedNode, name: string, options: SearchOptions): Promise<NetworkFile[]> {
  const foundBy = node.info?.id ?? node.key;
  // node-core compares and reports names in Unicode NFC
  const wanted = name.normalize('NFC').toLowerCase();
  return new Promise<NetworkFile[]>((resolve, reject) => {
    let results: NetworkFile[] = [];
    let timer = setTimeout(() => finish(), options.timeoutMs);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      events.dispose();
      exit.dispose();
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(results);
    };
    const onAbort = (): void => finish(new Error('Cancelled.'));
    const events = node.onEvent((event: NodeEvent) => {
      const answer =
        event.event === 'search-hit' ? { ...event, event: 'search-result' as const, holders: [event.holder] } : event;
      if (answer.event === 'search-result' && answer.name.normalize('NFC').toLowerCase().includes(wanted)) {
        results = mergeSearchResult(results, answer, foundBy);
        options.onUpdate?.(results);
        clearTimeout(timer);
        timer = setTimeout(() => finish(), options.settleMs);
      } else if (event.event === 'not-found' && event.name.normalize('NFC').toLowerCase() === wanted) {
        finish();
      } else if (
        event.event === 'error' &&
        event.name?.normalize('NFC').toLowerCase() === wanted &&
        event.code !== 'NOT_FOUND'
      ) {
        finish(errorFor(node, event.code, event.message, name));
      }
    });
    const exit = node.onExit(() => finish(new Error(`${node.launch.label} stopped during the search.`)));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      node.send(`SEARCH ${name}`);
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** `PAUSE <name>`: the running GET of that name answers with `download-paused` (see downloadFile). */
export function pauseDownload(node: ManagedNode, name: string): void {
  node.send(`PAUSE ${name}`);
}

export interface DownloadOptions {
  onProgress?(progress: DownloadProgressEvent): void;
  /** A share link naming this file: the peer downloads that version from its holder. */
  link?: string;
  /** The version picked from a search (its Merkle root): `GET <name> <root>`. */
  version?: string;
  /** Aborting sends `CANCEL <name>` to the node, which removes its partial file. */
  signal?: AbortSignal;
}

/** How long a cancelled download waits for the node to confirm. */
const CANCEL_CONFIRM_MS = 2000;

/** What became of a cancelled download, as far as the node told us. */
export type CancelOutcome = 'cancelled' | 'already-finished' | 'unsupported';

const CANCEL_MESSAGES: Record<CancelOutcome, (name: string) => string> = {
  cancelled: (name) => `Download of "${name}" cancelled; no partial file is kept under its name.`,
  'already-finished': (name) => `The download of "${name}" had already ended when the cancel reached the peer.`,
  unsupported: (name) =>
    `The peer could not cancel "${name}" (its p2p-node has no CANCEL command); ` +
    'the download goes on in the background and is still verified before it gets its name.',
};

export class DownloadCancelled extends Error {
  constructor(
    readonly fileName: string,
    readonly outcome: CancelOutcome,
  ) {
    super(CANCEL_MESSAGES[outcome](fileName));
    this.name = 'DownloadCancelled';
  }
}

/** The peer stopped the download on `PAUSE <name>`; its `.part` stays, and the next GET resumes it. */
export class DownloadPaused extends Error {
  constructor(
    readonly fileName: string,
    readonly bytes: number,
    readonly total: number,
  ) {
    super(`Download of "${fileName}" paused; it resumes from where it stopped.`);
    this.name = 'DownloadPaused';
  }
}

/**
 * `GET <name>`: resolves with `download-complete` (the final path, bytes, hash, sources); rejects
 * with DownloadPaused after a `PAUSE <name>`, DownloadCancelled after the signal aborts.
 */
export async function downloadFile(
  node: ManagedNode,
  name: string,
  options: DownloadOptions = {},
): Promise<DownloadCompleteEvent> {
  node.peerState?.downloadStarted(name);
  const progress = node.onEvent((event) => {
    if (event.event === 'download-progress' && event.name === name) options.onProgress?.(event);
  });
  try {
    const answer = node.waitFor<DownloadCompleteEvent | NodeError | DownloadPaused>(
      (event) => {
        if (event.event === 'download-complete' && event.name === name) return event;
        if (event.event === 'download-paused' && event.name === name)
          return new DownloadPaused(name, event.bytes, event.total);
        if (event.event === 'error' && event.name === name) return errorFor(node, event.code, event.message, name);
        if (event.event === 'not-found' && event.name === name) return errorFor(node, 'NOT_FOUND', '', name);
        return undefined;
      },
      DOWNLOAD_TIMEOUT_MS,
      options.signal,
    );
    node.send(`GET ${options.link ?? (options.version ? `${name} ${options.version}` : name)}`);
    let result: DownloadCompleteEvent | NodeError | DownloadPaused;
    try {
      result = await answer;
    } catch (error) {
      if (options.signal?.aborted) throw new DownloadCancelled(name, await cancelOnNode(node, name));
      throw error;
    }
    if (result instanceof NodeError || result instanceof DownloadPaused) throw result;
    return result;
  } finally {
    progress.dispose();
    node.peerState?.downloadEnded(name);
  }
}

/** Sends `CANCEL <name>` and waits (briefly) for the node to say what happened. */
async function cancelOnNode(node: ManagedNode, name: string): Promise<CancelOutcome> {
  if (node.status !== 'running') return 'cancelled'; // the process is gone, and its download with it
  const outcome = node.waitFor<CancelOutcome>((event) => {
    if (event.event === 'error' && event.code === 'CANCELLED' && event.name === name) return 'cancelled';
    // No GET of that name in progress any more: it completed or failed just before.
    if (event.event === 'error' && event.code === 'NOT_FOUND' && event.name === name) return 'already-finished';
    if (event.event === 'download-complete' && event.name === name) return 'already-finished';
    // An unknown command is reported without a name (a GET's own errors carry one).
    if (event.event === 'error' && event.code === 'BAD_COMMAND' && event.name === undefined) return 'unsupported';
    return undefined;
  }, CANCEL_CONFIRM_MS);
  node.send(`CANCEL ${name}`);
  return outcome.catch((): CancelOutcome => 'unsupported');
}

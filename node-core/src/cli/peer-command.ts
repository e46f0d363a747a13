// `p2p-node peer`: start a peer, print its events, run its stdin commands until STOP or a
// signal. Commands run concurrently (a long GET does not block TOPO).
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ErrorEvent, KeyChangedEvent, NodeEvent, PeerReadyEvent, PeerRef } from '../events';
import { loadNodeSecurity, STATE_FOLDER, type ChannelSecurity } from '../wire';
import { withDiscoveredMetaserver } from './discover-metaserver';
import type { PeerArgs } from './peer-args';
import { errorEvent } from './errors';
import { runUntilStopped } from './line-input';
import type { EventOutput } from './output';
import type { PeerNode } from '../peer';
import { createPeerNode } from './peer-node';
import { HELP_LINES, splitVersionPick, type StdinCommand } from './stdin-commands';
import { reportKeyChanges, runTrustCommand } from './trust-commands';
import { isPaused, PauseRequest } from '../transfer/pause';
import { P2PError } from '../wire';
import { isShareLinkText, parseShareLink, ShareLinkError, type ShareLink } from '../share-link';
import { checkHolderKey, downloadByLink } from '../share-link-download';

const PROGRESS_EVERY_MS = 200;

type HolderKeyCheck = (holder: PeerRef, fingerprint: string, signal: AbortSignal) => Promise<void>;

export async function runPeer(given: PeerArgs, out: EventOutput): Promise<number> {
  if (given.id === '') {
    out.emit({ event: 'error', code: 'EMPTY_ID', message: 'a peer id must not be empty' });
    return 1;
  }
  let args: PeerArgs;
  let discovered: PeerReadyEvent['discovered'];
  let security;
  try {
    ({ args, discovered } = await withDiscoveredMetaserver(given, out));
    security = await loadNodeSecurity({ id: args.id, folder: join(args.dir, STATE_FOLDER), trustFile: args.trust });
  } catch (err) {
    out.emit(errorEvent(err));
    return 1;
  }
  const node = createPeerNode(args, security);
  // Links form while start() runs; their events wait so that "ready" is always the first line.
  let early: NodeEvent[] | undefined = [];
  const show = (event: NodeEvent): void => {
    out.emit(event);
    if (event.event === 'neighbor-up' || event.event === 'neighbor-down') out.emit(node.topology());
  };
  node.on('event', (event) => (early ? early.push(event) : show(event)));
  reportKeyChanges(security, (event) => (early ? early.push(event) : out.emit(event)));
  try {
    out.emit({ ...(await node.start()), ...(discovered && { discovered }) });
    const queued = early;
    early = undefined;
    queued.forEach(show);
  } catch (err) {
    out.emit(startFailure(err, early ?? []));
    await node.stop().catch(() => undefined);
    return 1;
  }
  const downloads = new Map<string, AbortController>();
  const holderKey: HolderKeyCheck = (holder, fingerprint, signal) =>
    checkHolderKey(holder, fingerprint, { key: args.key, as: security, signal });
  return runUntilStopped(
    {
      onCommand: (command) => void runCommand(node, command, out, downloads, args.dir, security, holderKey),
      onBadLine: (message) => out.emit({ event: 'error', code: 'BAD_COMMAND', message }),
      shutdown: () =>
        node
          .stop()
          .then(() => security.trust.flush())
          .then(
            () => 0,
            (err: unknown) => {
              out.emit(errorEvent(err));
              return 1;
            },
          ),
    },
    out,
  );
}

/**
 * The error event of a start that failed; refused for the metaserver's changed key, it carries
 * both keys (from the `key-changed` event held back while starting), so a caller can offer to trust it.
 */
function startFailure(err: unknown, heldBack: readonly NodeEvent[]): ErrorEvent {
  const event = errorEvent(err);
  if (event.code !== 'KEY_CHANGED') return event;
  // the change this refusal names (its message carries the new key)
  const change = heldBack.find(
    (e): e is KeyChangedEvent =>
      e.event === 'key-changed' && e.metaserver !== undefined && event.message.includes(e.newFingerprint),
  );
  if (!change) return event;
  const { id, oldFingerprint, newFingerprint, metaserver } = change;
  return { ...event, keyChange: { id, oldFingerprint, newFingerprint, metaserver } };
}

/** Runs one command; `downloads` holds the GETs in progress by name, for PAUSE and CANCEL. */
async function runCommand(
  node: PeerNode,
  command: StdinCommand,
  out: EventOutput,
  downloads: Map<string, AbortController>,
  dir: string,
  security: ChannelSecurity,
  holderKey: HolderKeyCheck,
): Promise<void> {
  const { arg } = command;
  try {
    switch (command.name) {
      case 'TOPO':
        return out.emit(node.topology());
      case 'FILES':
        return out.emit(await node.files());
      case 'SHARE':
        // a relative path is taken from the peer's folder, as the store does
        return out.emit(await ((await isFolder(resolve(dir, arg))) ? node.shareFolder(arg) : node.share(arg)));
      case 'SEARCH': {
        const results = await node.search(arg, { onHit: (hit) => out.emit(hit) });
        if (results.length === 0) return out.emit({ event: 'not-found', name: arg });
        for (const result of results) out.emit(result);
        return;
      }
      case 'GET':
        return await runGet(node, arg, out, downloads, holderKey);
      case 'PAUSE':
      case 'CANCEL': {
        const controller = downloads.get(arg);
        if (!controller)
          return out.emit({
            event: 'error',
            code: 'NOT_FOUND',
            message: `no download of "${arg}" in progress`,
            name: arg,
          });
        // the GET then reports download-paused, or error CANCELLED, for this name
        controller.abort(command.name === 'PAUSE' ? new PauseRequest() : undefined);
        return;
      }
      case 'LOOKUP':
        if (!node.lookup)
          return out.emit({
            event: 'error',
            code: 'BAD_COMMAND',
            message: 'LOOKUP is a chord command; this peer runs in flood mode',
          });
        return out.emit(await node.lookup(arg));
      case 'BLOCK':
      case 'TRUST':
        return out.emit(runTrustCommand(security, command));
      case 'HELP':
        return out.emit({ event: 'help', commands: HELP_LINES });
      case 'STOP':
        return;
    }
  } catch (err) {
    out.emit(errorEvent(err, 'INTERNAL', arg || undefined));
  }
}

/**
 * GET (a version picked by its Merkle root, or the most held one): progress at most every
 * PROGRESS_EVERY_MS, then download-complete, or download-paused after a PAUSE. The argument may be
 * a share link: its events, PAUSE and CANCEL then use the file name it names.
 */
async function runGet(
  node: PeerNode,
  arg: string,
  out: EventOutput,
  downloads: Map<string, AbortController>,
  holderKey: HolderKeyCheck,
): Promise<void> {
  const target = getTarget(arg);
  if ('error' in target) return out.emit({ event: 'error', code: 'BAD_COMMAND', message: target.error });
  const { name, link, version } = target;
  if (downloads.has(name))
    return out.emit({ event: 'error', code: 'BAD_COMMAND', message: `"${name}" is already being downloaded`, name });
  const controller = new AbortController();
  downloads.set(name, controller);
  let last = 0;
  const progress = { bytes: 0, total: 0 };
  const options = {
    signal: controller.signal,
    version,
    onProgress: (bytes: number, total: number, bySource?: Readonly<Record<string, number>>) => {
      Object.assign(progress, { bytes, total });
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && bytes < total) return;
      last = now;
      out.emit({ event: 'download-progress', name, bytes, total, ...(bySource && { sources: { ...bySource } }) });
    },
  };
  try {
    const done = link
      ? await downloadByLink(link, {
          downloadFrom: (result) => node.get(name, { ...options, result }),
          search: () => node.search(name),
          checkHolderKey: (holder, fingerprint) => holderKey(holder, fingerprint, controller.signal),
        })
      : await node.get(name, options);
    return out.emit(done);
  } catch (err) {
    // PAUSE, or the peer stopping (which keeps the .part as a pause does)
    if (isPaused(controller.signal) || (err instanceof P2PError && err.code === 'PAUSED'))
      return out.emit({ event: 'download-paused', name, ...progress });
    return out.emit(errorEvent(err, 'INTERNAL', name));
  } finally {
    downloads.delete(name);
  }
}

/** A GET's argument: a file name (and a version pick), or a share link (checked here, as any input from a user). */
function getTarget(arg: string): { name: string; link?: ShareLink; version?: string } | { error: string } {
  if (!isShareLinkText(arg)) return splitVersionPick(arg);
  try {
    const link = parseShareLink(arg);
    return { name: link.name, link };
  } catch (err) {
    if (err instanceof ShareLinkError) return { error: err.message };
    throw err;
  }
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

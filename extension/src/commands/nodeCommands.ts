// Starting and stopping nodes: P2P: Start/Stop Metadata Server, Join/Leave Network, and Start
// Demo Network. Each prompts for what its argument object does not give, and returns what it made.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Mode } from '@node-core/events';
import { isWildcardHost } from '@node-core/advertised-host';
import type { NodeInfo } from '../nodes/nodeInfo';
import { trustedRejoin } from '../nodes/metaserverKeyRefusal';
import type { PeerOptions } from '../nodes/nodeArgs';
import { offerTrustAndJoin } from '../views/keyChangeNotifier';
import { readSettings } from '../settings';
import {
  ArgumentError,
  argumentObject,
  isRecord,
  parseDemoArgs,
  parseJoinArgs,
  parseStartMetaserverArgs,
  peerIdProblem,
  portProblem,
  type JoinArgs,
} from './commandArgs';
import { isScripted, registerP2PCommand, reportError, required, ShownToUser } from './commandRunner';
import { pickMetaserver } from './pickMetaserver';
import { peerId, pickPeer } from './pickPeer';
import type { P2PServices } from './services';

export interface DemoNetwork {
  metaserver: NodeInfo;
  peers: NodeInfo[];
}

export function registerNodeCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.startMetadataServer', (arg) => startMetadataServer(services, arg));
  registerP2PCommand(services, 'p2p.stopMetadataServer', () => stopMetadataServer(services));
  registerP2PCommand(services, 'p2p.joinNetwork', (arg) => joinNetwork(services, arg));
  registerP2PCommand(services, 'p2p.leaveNetwork', (arg) => leaveNetwork(services, arg));
  registerP2PCommand(services, 'p2p.startDemoNetwork', (arg) => startDemoNetwork(services, arg));
}

async function startMetadataServer(services: P2PServices, arg: unknown): Promise<NodeInfo> {
  const settings = readSettings();
  const fields = argumentObject(arg);
  const args = fields ? parseStartMetaserverArgs(fields) : {};
  let port = args.port;
  if (port === undefined && !fields) {
    const text = await vscode.window.showInputBox({
      title: 'P2P: Start Metadata Server',
      prompt: `TCP port on ${settings.metaserverHost} (0: the system picks a free one)`,
      value: String(settings.metaserverPort),
      validateInput: portProblem,
    });
    port = Number(required(text));
  }
  const info = await services.manager.startMetaserver(
    {
      host: args.host ?? settings.metaserverHost,
      port: port ?? settings.metaserverPort,
      httpPort: args.httpPort ?? settings.metaserverHttpPort,
      maxPeers: args.maxPeers,
      announce: args.announce ?? settings.metaserverAnnounce,
      networkName: args.networkName ?? settings.networkName,
      identityDir: metaserverFolder(services),
    },
    await services.keys.get(),
  );
  if (!fields)
    void vscode.window.showInformationMessage(`P2P: metadata server listening on ${info.host}:${info.port}.`);
  return info;
}

/**
 * The metaserver's key pair, kept across starts: peers pin its key under its address and refuse
 * another one there. (The peers' keys it meets stay per run, as before.)
 */
function metaserverFolder(services: P2PServices): string {
  return join(services.context.globalStorageUri.fsPath, 'metaserver');
}

async function stopMetadataServer(services: P2PServices): Promise<boolean> {
  if (!services.manager.metaserver) {
    void vscode.window.showInformationMessage('P2P: no metadata server runs in this window.');
    return false;
  }
  await services.manager.stop('metaserver');
  return true;
}

export async function joinNetwork(services: P2PServices, arg: unknown): Promise<NodeInfo> {
  const settings = readSettings();
  const fields = argumentObject(arg);
  const given: JoinArgs = fields ? parseJoinArgs(fields) : {};
  const scripted = fields !== undefined;
  const id = given.id ?? (scripted ? undefined : await promptPeerId(services));
  if (id === undefined) throw new ArgumentError('"id" is required: the peer\'s name in the network.');
  const metaserver = given.join
    ? undefined
    : (given.metaserver ??
      (scripted
        ? defaultMetaserver(services)
        : await pickMetaserver(
            defaultMetaserver(services),
            services.manager.metaserver?.info ? "this window's metadata server" : 'from the settings',
            settings.discoveryInterfaces,
          )));
  const dir = given.dir ?? (scripted ? await privatePeerFolder(services, id) : await promptFolder(services, id));
  const mode: Mode = given.mode ?? (scripted ? settings.defaultMode : await promptMode(settings.defaultMode));
  const advertise = given.advertise ?? settings.peerAdvertise;
  if (advertise !== undefined && isWildcardHost(advertise)) {
    throw new ArgumentError(
      `"${advertise}" cannot be announced to other peers: ` +
        'set p2p.peer.advertise (or "advertise") to an address they can dial.',
    );
  }
  const info = await startPeer(services, {
    id,
    metaserver,
    metaserverFingerprint: given.metaserverFingerprint,
    discoverInterfaces: settings.discoveryInterfaces,
    join: given.join,
    dir,
    mode,
    host: given.host ?? settings.peerHost,
    advertise,
    port: given.port,
    maxNeighbors: given.maxNeighbors ?? settings.maxNeighbors,
    ttl: given.ttl ?? settings.ttl,
    maxUploadMiBPerSecond: settings.maxUploadMiBPerSecond,
    allowRelay: given.allowRelay ?? settings.allowRelay,
    punch: settings.punch,
  });
  if (!scripted) announceJoined(info);
  return info;
}

/**
 * Starts a peer. Refused for its metaserver's new key, it shows the key-change warning instead of
 * the error, offering to join again trusting that key; not awaited, so a restore goes on meanwhile.
 */
async function startPeer(services: P2PServices, options: PeerOptions): Promise<NodeInfo> {
  try {
    return await services.manager.startPeer(options, await services.keys.get());
  } catch (error) {
    const rejoin = trustedRejoin(error, options);
    if (!rejoin) throw error;
    void offerTrustAndJoin(options.id, rejoin.change, async () => {
      try {
        announceJoined(await services.manager.startPeer(rejoin.options, await services.keys.get()));
      } catch (again) {
        await reportError(services, again);
      }
    });
    throw new ShownToUser((error as Error).message);
  }
}

function announceJoined(info: NodeInfo): void {
  void vscode.window.showInformationMessage(`P2P: peer ${info.id} joined at ${info.host}:${info.port} (${info.mode}).`);
}

async function leaveNetwork(services: P2PServices, arg: unknown): Promise<{ id: string } | undefined> {
  // From the view's inline action the argument is the tree element; scripted, `{id}` or the id.
  let id: string | undefined;
  if (typeof arg === 'string') id = arg;
  else if (isRecord(arg) && arg.kind === 'peer' && isRecord(arg.node) && typeof arg.node.key === 'string')
    id = arg.node.key.replace(/^peer:/, '');
  else if (isRecord(arg) && typeof arg.id === 'string') id = arg.id;
  const node = await pickPeer(services.manager, id, {
    includeStopped: true,
    placeHolder: 'Which peer leaves the network?',
    scripted: isScripted(arg),
  });
  const leaving = peerId(node);
  await services.manager.stop(node.key);
  services.searchResults.forgetPeer(leaving);
  return { id: leaving };
}

async function startDemoNetwork(services: P2PServices, arg: unknown): Promise<DemoNetwork> {
  const settings = readSettings();
  const fields = argumentObject(arg);
  const args = fields ? parseDemoArgs(fields) : {};
  const count = args.peers ?? settings.demoPeers;
  const mode = args.mode ?? settings.defaultMode;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'P2P: starting a demo network' },
    async (progress) => {
      const running = services.manager.metaserver;
      const metaserver =
        running?.status === 'running' && running.info
          ? running.info
          : // Port 0 by default: a demo must not fail because 5000 is taken.
            await services.manager.startMetaserver(
              {
                host: settings.metaserverHost,
                port: args.port ?? 0,
                httpPort: settings.metaserverHttpPort,
                identityDir: metaserverFolder(services),
              },
              await services.keys.get(),
            );
      const peers: NodeInfo[] = [];
      for (let n = 1; peers.length < count; n++) {
        const id = `demo-${n}`;
        if (services.manager.peer(id)) continue;
        progress.report({ message: `peer ${id} (${peers.length + 1} of ${count})`, increment: 100 / count });
        const dir = join(services.context.globalStorageUri.fsPath, 'demo', id);
        await mkdir(dir, { recursive: true });
        await writeFile(
          join(dir, `hello-from-${id}.txt`),
          `Hello from ${id}, a ${mode} peer of the P2P demo network.\n`,
        );
        peers.push(await joinNetwork(services, { id, metaserver: `${metaserver.host}:${metaserver.port}`, dir, mode }));
      }
      if (!fields) {
        void vscode.window
          .showInformationMessage(
            `P2P: demo network running: metadata server ${metaserver.host}:${metaserver.port} ` +
              `and ${count} ${mode} peers.`,
            'Show Topology',
          )
          .then((choice) => {
            if (choice) void vscode.commands.executeCommand('p2p.showTopology');
          });
      }
      return { metaserver, peers };
    },
  );
}

function defaultMetaserver(services: P2PServices): string {
  const running = services.manager.metaserver?.info;
  if (running) return `${running.host}:${running.port}`;
  const settings = readSettings();
  return `${settings.metaserverHost}:${settings.metaserverPort}`;
}

async function promptPeerId(services: P2PServices): Promise<string> {
  let n = services.manager.peers.length + 1;
  while (services.manager.peer(`peer-${n}`)) n++;
  const id = await vscode.window.showInputBox({
    title: 'P2P: Join Network (1/4)',
    prompt: 'Peer id: its name in the network, unique',
    value: `peer-${n}`,
    validateInput: (value) =>
      peerIdProblem(value) ??
      (services.manager.peer(value) ? 'This window already runs a peer with that id.' : undefined),
  });
  return required(id);
}

async function promptFolder(services: P2PServices, id: string): Promise<string> {
  type FolderPick = vscode.QuickPickItem & { folder?: string; choose?: boolean };
  const items: FolderPick[] = [
    ...(vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => ({
        label: `$(root-folder) ${f.name}`,
        description: 'workspace folder',
        detail: f.uri.fsPath,
        folder: f.uri.fsPath,
      })),
    {
      label: `$(folder-library) Private folder for ${id}`,
      description: "in the extension's storage",
      detail: join(services.context.globalStorageUri.fsPath, 'peers', id),
      folder: '',
    },
    { label: '$(folder-opened) Choose a folder…', choose: true },
  ];
  const picked = required(
    await vscode.window.showQuickPick(items, {
      title: 'P2P: Join Network (3/4)',
      placeHolder: 'Folder the peer shares (downloads go to Downloads/ inside it)',
    }),
  );
  if (picked.choose) {
    const chosen = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Share this folder',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    return required(chosen?.[0]).fsPath;
  }
  return picked.folder ? picked.folder : privatePeerFolder(services, id);
}

async function promptMode(defaultMode: Mode): Promise<Mode> {
  const modes: Array<vscode.QuickPickItem & { mode: Mode }> = [
    { label: 'flood', description: 'unstructured overlay, searches flood with a TTL', mode: 'flood' },
    { label: 'chord', description: 'structured ring, lookups in O(log N) hops', mode: 'chord' },
  ];
  modes.sort((a) => (a.mode === defaultMode ? -1 : 1));
  return required(
    await vscode.window.showQuickPick(modes, { title: 'P2P: Join Network (4/4)', placeHolder: 'Overlay' }),
  ).mode;
}

async function privatePeerFolder(services: P2PServices, id: string): Promise<string> {
  const dir = join(services.context.globalStorageUri.fsPath, 'peers', id);
  await mkdir(dir, { recursive: true });
  return dir;
}

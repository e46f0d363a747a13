// The `p2p.*` settings (package.json, contributes.configuration), read when a command needs
// them so changes apply to the next node without reloading the window.

import * as vscode from 'vscode';
import type { Mode } from '@node-core/events';

export interface P2PSettings {
  metaserverHost: string;
  metaserverPort: number;
  metaserverHttpPort: number;
  defaultMode: Mode;
  maxNeighbors: number;
  ttl: number;
  downloadsFolder: string;
  demoPeers: number;
  /** Where peers started here listen; undefined: the CLI's default, 127.0.0.1 (this machine only). */
  peerHost: string | undefined;
  /** The address those peers announce to others; undefined: the CLI derives it from the bind host. */
  peerAdvertise: string | undefined;
  /** Peers the metaserver cannot dial back (behind NAT) are reached through its relay (`--allow-relay`). */
  allowRelay: boolean;
  /** Two peers behind NAT try a hole punch (a direct link) before the relay (`--punch`). */
  punch: boolean;
  /** MiB/s a peer sends at most (`--max-upload`); undefined: no cap. */
  maxUploadMiBPerSecond: number | undefined;
  /** Start the nodes of the last session again when the window opens. */
  restoreOnStartup: boolean;
  /** Announce the metadata server on the LAN even when it listens on loopback only. */
  metaserverAnnounce: boolean;
  /** The display name a metadata server announces; undefined: the CLI's (from the machine's name). */
  networkName: string | undefined;
  /** IPv4 addresses of the interfaces Join Network looks for networks on; undefined: all. */
  discoveryInterfaces: string[] | undefined;
}

export function readSettings(): P2PSettings {
  const config = vscode.workspace.getConfiguration('p2p');
  const mode = config.get<string>('defaultMode', 'flood');
  return {
    metaserverHost: config.get<string>('metaserver.host', '127.0.0.1') || '127.0.0.1',
    metaserverPort: config.get<number>('metaserver.port', 5000),
    metaserverHttpPort: config.get<number>('metaserver.httpPort', 0),
    defaultMode: mode === 'chord' ? 'chord' : 'flood',
    maxNeighbors: config.get<number>('maxNeighbors', 4),
    ttl: config.get<number>('ttl', 7),
    downloadsFolder: config.get<string>('downloadsFolder', ''),
    demoPeers: config.get<number>('demo.peers', 5),
    peerHost: hostSetting(config.get<string>('peer.host', '')),
    peerAdvertise: hostSetting(config.get<string>('peer.advertise', '')),
    allowRelay: config.get<boolean>('peer.allowRelay', true) !== false,
    punch: config.get<boolean>('peer.punch', true) !== false,
    maxUploadMiBPerSecond: uploadCap(config.get<number>('maxUploadMiBPerSecond', 0)),
    restoreOnStartup: config.get<boolean>('restoreOnStartup', true) !== false,
    metaserverAnnounce: config.get<boolean>('metaserver.announce', false) === true,
    networkName: hostSetting(config.get<string>('metaserver.networkName', '')),
    discoveryInterfaces: addressList(config.get<unknown>('discovery.interfaces', [])),
  };
}

/** Empty (or blank) means "not set": the CLI's own default applies. */
function hostSetting(value: string | undefined): string | undefined {
  const host = typeof value === 'string' ? value.trim() : '';
  return host === '' ? undefined : host;
}

/** An empty (or malformed) list means "every interface". */
function addressList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const addresses = value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
  return addresses.length > 0 ? addresses : undefined;
}

/** 0 (or nonsense) means no cap; a cap below the CLI's floor of 1 MiB/s is raised to it. */
function uploadCap(value: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.max(1, value) : undefined;
}

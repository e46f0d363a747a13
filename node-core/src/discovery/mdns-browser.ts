// Looking for metaservers on the LAN: PTR queries for the service type on each chosen interface
// (at once, then after 1 s, 2 s, 4 s, ... up to a minute apart, RFC 6762 §5.2), and every answer
// through readAnnouncements. What strangers can make us keep is bounded: at most MAX_NETWORKS
// networks, each for at most MAX_KEEP_S seconds unless announced again; a goodbye removes one.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANNOUNCE_TTL_S, readAnnouncements, SERVICE_TYPE, type FoundNetwork } from './dns-sd';
import type { MdnsInterface } from './interfaces';
import { openLinks, type MdnsLink } from './mdns-link';

export const MAX_NETWORKS = 32;
const MAX_KEEP_S = ANNOUNCE_TTL_S;
const FIRST_REQUERY_MS = 1000;
const MAX_REQUERY_MS = 60_000;

export interface BrowseOptions {
  interfaces: readonly MdnsInterface[];
  /** The mDNS UDP port: 5353 except in tests that want their own. */
  mdnsPort?: number;
}

interface BrowserEvents {
  /** The list changed: a network was found, announced again with other details, or left. */
  change: [networks: FoundNetwork[]];
}

export class MdnsBrowser extends EventEmitter<BrowserEvents> {
  private readonly table = new Map<string, { network: FoundNetwork; expiresAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly links: MdnsLink[]) {
    super();
    for (const link of links) link.on('response', (packet, source) => this.heard(readAnnouncements(packet, source)));
  }

  /** Opens a link per interface (those that fail are left out) and sends the first query. */
  static async start(options: BrowseOptions): Promise<MdnsBrowser> {
    const { links, failures } = await openLinks(options.interfaces, options.mdnsPort);
    if (links.length === 0) {
      throw new Error(`mDNS: could not listen on any interface${failures.length ? ` (${failures.join('; ')})` : ''}`);
    }
    const browser = new MdnsBrowser(links);
    browser.query(FIRST_REQUERY_MS);
    return browser;
  }

  /** The networks heard and not expired, by name then address. */
  get networks(): FoundNetwork[] {
    const now = Date.now();
    for (const [key, entry] of this.table) if (entry.expiresAt <= now) this.table.delete(key);
    return [...this.table.values()]
      .map((e) => e.network)
      .sort((a, b) => a.name.localeCompare(b.name) || a.host.localeCompare(b.host) || a.port - b.port);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.timer);
      this.removeAllListeners();
      await Promise.all(this.links.map((l) => l.close()));
    })();
    return this.closing;
  }

  private query(nextInMs: number): void {
    if (this.closing) return;
    for (const link of this.links) void link.query(SERVICE_TYPE);
    this.timer = setTimeout(() => this.query(Math.min(nextInMs * 2, MAX_REQUERY_MS)), nextInMs);
  }

  private heard(found: FoundNetwork[]): void {
    let changed = false;
    const now = Date.now();
    for (const network of found) {
      const known = this.table.get(network.key);
      if (network.ttl === 0) {
        changed = this.table.delete(network.key) || changed;
        continue;
      }
      if (!known && this.networks.length >= MAX_NETWORKS) continue;
      const expiresAt = now + Math.min(network.ttl, MAX_KEEP_S) * 1000;
      this.table.set(network.key, { network, expiresAt });
      changed ||= !known || !sameNetwork(known.network, network);
    }
    if (changed) this.emit('change', this.networks);
  }
}

function sameNetwork(a: FoundNetwork, b: FoundNetwork): boolean {
  return a.name === b.name && a.port === b.port && a.needsKey === b.needsKey;
}

/** Browses for `durationMs` (or until `signal` aborts) and returns what was found. */
export async function browseNetworks(
  options: BrowseOptions & { durationMs: number; signal?: AbortSignal },
): Promise<FoundNetwork[]> {
  const browser = await MdnsBrowser.start(options);
  try {
    await sleep(options.durationMs, undefined, { signal: options.signal }).catch(() => undefined);
    return browser.networks;
  } finally {
    await browser.close();
  }
}

// Homes behind NAT, in network namespaces: a "public" segment (a bridge in the metaserver's
// namespace, 10.78.0.0/24) and N homes, each behind its own router namespace that masquerades
// (nftables) the home's 10.78.(i+1).0/24 onto the public segment and drops whatever nobody inside
// asked for, as home routers do. A home can dial out; nobody can dial in. Used by the NAT test and
// the punch bench. Needs root (or `sudo -n`) and nft; close() removes everything.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NodeEvent } from '@node-core/events';
import { CliProcess } from '../cli-process';
import { NetnsLab } from './netns-lab';

const run = promisify(execFile);

export const PUBLIC_ADDRESS = '10.78.0.1';
const routerAddress = (i: number): string => `10.78.0.${11 + i}`;
const homeAddress = (i: number, host: number): string => `10.78.${i + 1}.${host}`;

export interface Home {
  /** The namespace a home peer runs in. */
  ns: string;
  /** That peer's address inside the home. */
  address: string;
  /** The home router's public address: what others see of the home. */
  router: string;
}

export interface NatPeer {
  proc: CliProcess;
  ready: Extract<NodeEvent, { event: 'ready' }>;
  dir: string;
}

export class NatLab {
  private constructor(
    readonly netns: NetnsLab,
    /** The public segment's namespace (the metaserver and reachable peers). */
    readonly pub: string,
    readonly homes: Home[],
    /** The `p2p-node` script every process of the lab runs. */
    private readonly cli: string,
  ) {}

  /** The public segment and `count` homes behind NAT; a half-made lab is removed before the error is thrown. */
  static async create(count: number, cli: string): Promise<NatLab> {
    const netns = await NetnsLab.bare();
    try {
      await run('nft', ['--version']).catch(() => {
        throw new Error('NAT lab: nft is missing (apt-get install nftables; npm test installs it)');
      });
      const pub = await netns.namespace('pub');
      await netns.ip('-n', pub, 'link', 'add', 'br0', 'type', 'bridge');
      await netns.ip('-n', pub, 'link', 'set', 'br0', 'up');
      await netns.addAddress(pub, 'br0', `${PUBLIC_ADDRESS}/24`);
      const homes: Home[] = [];
      for (let i = 0; i < count; i++) homes.push(await buildHome(netns, pub, i));
      return new NatLab(netns, pub, homes, cli);
    } catch (err) {
      await netns.close();
      throw err;
    }
  }

  /** A metaserver on the public segment; resolves with it and its ready event. */
  async metaserver(extra: string[] = []) {
    const proc = this.netns.startCli(this.pub, this.cli, [
      'metaserver',
      '--host',
      PUBLIC_ADDRESS,
      '--port',
      '0',
      '--json',
      ...extra,
    ]);
    const ready = await proc.next('ready', () => true, 20_000);
    if (ready.role !== 'metaserver') throw new Error('not a metaserver');
    return { proc, ready };
  }

  /**
   * A peer in namespace `ns` at `host`, registered with the metaserver at `metaserverPort`,
   * sharing `files` from its own folder under `root`.
   */
  async peer(
    where: { ns: string; host: string; root: string; metaserverPort: number },
    id: string,
    files: Record<string, Buffer> = {},
    extra: string[] = [],
  ): Promise<NatPeer> {
    const dir = join(where.root, id);
    await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const proc = this.netns.startCli(where.ns, this.cli, [
      'peer',
      '--id',
      id,
      '--host',
      where.host,
      '--metaserver',
      `${PUBLIC_ADDRESS}:${where.metaserverPort}`,
      '--dir',
      dir,
      '--json',
      ...extra,
    ]);
    const ready = await proc.next('ready', () => true, 20_000);
    if (ready.role !== 'peer') throw new Error(`${id} is not a peer`);
    return { proc, ready, dir };
  }

  /** Established TCP connections from namespace `ns` to `address` (`ss` lines, empty when none). */
  established(ns: string, address: string): Promise<string> {
    return this.netns.inNs(ns, 'ss', '-Htn', 'state', 'established', 'dst', address);
  }

  close(): Promise<void> {
    return this.netns.close();
  }
}

async function buildHome(netns: NetnsLab, pub: string, i: number): Promise<Home> {
  const name = String.fromCharCode(97 + i);
  const router = await netns.namespace(`r${name}`);
  const ns = await netns.namespace(`h${name}`);
  await netns.link(pub, `r${name}0`, router, 'wan');
  await netns.ip('-n', pub, 'link', 'set', `r${name}0`, 'master', 'br0');
  await netns.addAddress(router, 'wan', `${routerAddress(i)}/24`);
  await netns.link(router, 'lan', ns, 'eth0');
  await netns.addAddress(router, 'lan', `${homeAddress(i, 1)}/24`);
  await netns.addAddress(ns, 'eth0', `${homeAddress(i, 2)}/24`);
  await netns.ip('-n', ns, 'route', 'add', 'default', 'via', homeAddress(i, 1));
  await netns.inNs(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  await netns.inNs(router, 'nft', 'add', 'table', 'ip', 'nat');
  await netns.inNs(router, 'nft', 'add chain ip nat post { type nat hook postrouting priority 100 ; }');
  await netns.inNs(router, 'nft', 'add', 'rule', 'ip', 'nat', 'post', 'oifname', 'wan', 'masquerade');
  // as home routers do: what nobody inside asked for is dropped, not answered
  await netns.inNs(router, 'nft', 'add', 'table', 'ip', 'filter');
  await netns.inNs(router, 'nft', 'add chain ip filter input { type filter hook input priority 0 ; }');
  await netns.inNs(router, 'nft', 'add rule ip filter input iifname wan ct state new drop');
  return { ns, address: homeAddress(i, 2), router: routerAddress(i) };
}

// Hosts for tests: network namespaces on one bridge (a 'hub' namespace acting as the switch),
// addresses PREFIX.1, PREFIX.2, ... /24 living only inside them, loopback up in each; or, from
// `bare()`, namespaces and veth links a test wires itself (routers, NAT). Nothing is
// made in the caller's namespace. Needs root (CI is root) or passwordless sudo, else it fails and
// says so. close() kills what still runs in the namespaces and removes them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CliProcess } from '../cli-process';

const run = promisify(execFile);

/** [] when root, ['sudo', '-n'] when passwordless sudo works; throws a clear message otherwise. */
export async function privilege(): Promise<string[]> {
  if (process.getuid?.() === 0) return [];
  const sudo = await run('sudo', ['-n', 'true']).then(
    () => true,
    () => false,
  );
  if (sudo) return ['sudo', '-n'];
  throw new Error(
    'netns test: creating network namespaces needs root. ' +
      'Run `npm test` as root (as CI does) or with passwordless sudo (`sudo -n true` must work).',
  );
}

export class NetnsLab {
  readonly hosts: string[];
  private readonly hub: string;
  private readonly created: string[] = [];
  private readonly procs: Array<{ kill(): Promise<void> }> = [];

  private constructor(
    private readonly sudo: string[],
    count: number,
    private readonly prefix: string,
  ) {
    const tag = `p2p${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    this.hub = `${tag}-hub`;
    this.hosts = Array.from({ length: count }, (_, i) => `${tag}-h${i + 1}`);
  }

  /** `count` hosts on `prefix`.0/24 (e.g. '10.77.0'); a half-made lab is removed before the error is thrown. */
  static async create(count: number, prefix: string): Promise<NetnsLab> {
    const lab = new NetnsLab(await privilege(), count, prefix);
    try {
      await lab.build();
    } catch (err) {
      await lab.close();
      throw err;
    }
    return lab;
  }

  /** No hosts: the test makes its own namespaces (`namespace`, `link`, `addAddress`). */
  static async bare(): Promise<NetnsLab> {
    return new NetnsLab(await privilege(), 0, '');
  }

  /** A new namespace named TAG-`name`, loopback up; returns its full name. close() removes it. */
  async namespace(name: string): Promise<string> {
    const ns = `${this.hub.replace(/-hub$/, '')}-${name}`;
    await this.ip('netns', 'add', ns);
    this.created.push(ns);
    await this.ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair made inside `a` with its other end moved into `b`, both up. */
  async link(a: string, aName: string, b: string, bName: string): Promise<void> {
    await this.ip('-n', a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b);
    await this.ip('-n', a, 'link', 'set', aName, 'up');
    await this.ip('-n', b, 'link', 'set', bName, 'up');
  }

  async addAddress(ns: string, dev: string, cidr: string): Promise<void> {
    await this.ip('-n', ns, 'addr', 'add', cidr, 'dev', dev);
  }

  /** Host i's address (0-based). */
  address(i: number): string {
    return `${this.prefix}.${i + 1}`;
  }

  ip(...args: string[]): Promise<string> {
    const [command, ...rest] = [...this.sudo, 'ip', ...args];
    return run(command, rest).then((r) => r.stdout);
  }

  inNs(ns: string, ...command: string[]): Promise<string> {
    return this.ip('netns', 'exec', ns, ...command);
  }

  /** `p2p-node` (the script at `cli`) with `args`, inside namespace `ns`; killed by close(). */
  startCli(ns: string, cli: string, args: string[]): CliProcess {
    const proc = new CliProcess(cli, args, {}, [...this.sudo, 'ip', 'netns', 'exec', ns]);
    this.procs.push(proc);
    return proc;
  }

  /** Node with `nodeArgs` inside namespace `ns`; killed by close(). */
  spawnNode(ns: string, nodeArgs: string[]): ChildProcess {
    const [command, ...argv] = [...this.sudo, 'ip', 'netns', 'exec', ns, process.execPath, ...nodeArgs];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push({
      kill: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
    });
    return child;
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => p.kill()));
    for (const ns of this.created.splice(0).reverse()) {
      // anything still running in the namespace goes first, then the namespace (and its links)
      const pids = (await this.ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean);
      if (pids.length > 0) {
        const [command, ...rest] = [...this.sudo, 'kill', '-9', ...pids];
        await run(command, rest).catch(() => undefined);
      }
      await this.ip('netns', 'del', ns).catch(() => undefined);
    }
  }

  private async build(): Promise<void> {
    for (const ns of [this.hub, ...this.hosts]) {
      await this.ip('netns', 'add', ns);
      this.created.push(ns);
    }
    await this.ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    await this.ip('-n', this.hub, 'link', 'set', 'br0', 'up');
    for (const [i, ns] of this.hosts.entries()) {
      // both veth ends are made inside our namespaces: nothing appears in the caller's
      await this.ip('-n', this.hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await this.ip('-n', this.hub, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      await this.ip('-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0');
      await this.ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await this.ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  }
}

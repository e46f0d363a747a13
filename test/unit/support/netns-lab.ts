// Network namespaces for tests: made under a unique tag, each command run as root (or through
// `sudo -n`), and everything removed in close(): processes first, then the namespaces with
// their links. Addresses live only inside the namespaces; the caller's interfaces are never touched.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CliProcess } from '../cli-process';

const run = promisify(execFile);

/** [] when root, ['sudo', '-n'] when passwordless sudo works; throws a clear message otherwise. */
export async function privilege(what: string): Promise<string[]> {
  if (process.getuid?.() === 0) return [];
  const sudo = await run('sudo', ['-n', 'true']).then(
    () => true,
    () => false,
  );
  if (sudo) return ['sudo', '-n'];
  throw new Error(
    `${what}: creating network namespaces needs root. ` +
      'Run `npm test` as root (as CI does) or with passwordless sudo (`sudo -n true` must work).',
  );
}

export class NetnsLab {
  readonly tag = `p2p${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  private readonly created: string[] = [];
  private readonly procs: CliProcess[] = [];

  private constructor(private readonly sudo: string[]) {}

  static async open(what: string): Promise<NetnsLab> {
    return new NetnsLab(await privilege(what));
  }

  /** Runs a command as root in the caller's namespace (only `ip` with `-n`/`netns` is used). */
  async root(command: string, ...args: string[]): Promise<string> {
    const [head, ...rest] = [...this.sudo, command, ...args];
    return (await run(head, rest)).stdout;
  }

  ip(...args: string[]): Promise<string> {
    return this.root('ip', ...args);
  }

  /** Runs `command` inside namespace `ns`. */
  inNs(ns: string, ...command: string[]): Promise<string> {
    return this.ip('netns', 'exec', ns, ...command);
  }

  /** A new namespace named TAG-`name`, its loopback up; returns its full name. */
  async namespace(name: string): Promise<string> {
    const ns = `${this.tag}-${name}`;
    await this.ip('netns', 'add', ns);
    this.created.push(ns);
    await this.ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair made inside `a` with one end moved to `b`: both ends are ours, nothing appears in the caller's. */
  async link(a: string, aName: string, b: string, bName: string): Promise<void> {
    await this.ip('-n', a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b);
    await this.ip('-n', a, 'link', 'set', aName, 'up');
    await this.ip('-n', b, 'link', 'set', bName, 'up');
  }

  async address(ns: string, dev: string, cidr: string): Promise<void> {
    await this.ip('-n', ns, 'addr', 'add', cidr, 'dev', dev);
  }

  /** Starts a CLI process inside `ns`; close() kills it. */
  start(script: string, ns: string, args: string[]): CliProcess {
    const proc = new CliProcess(script, args, {}, [...this.sudo, 'ip', 'netns', 'exec', ns]);
    this.procs.push(proc);
    return proc;
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => p.kill()));
    for (const ns of this.created.splice(0).reverse()) {
      // anything still running in the namespace goes first, then the namespace (and its links)
      const pids = (await this.ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean);
      if (pids.length > 0) await this.root('kill', '-9', ...pids).catch(() => undefined);
      await this.ip('netns', 'del', ns).catch(() => undefined);
    }
  }
}

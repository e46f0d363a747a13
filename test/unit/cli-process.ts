// Drives `p2p-node` child processes the way a user's script would: spawn, write stdin lines,
// read `--json` events from stdout. The CLI is bundled from source once per run (esbuild), so
// the test exercises the current code without depending on someone's dist/ folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parseNodeEvent, type NodeEvent } from '@node-core/events';

let bundleDir: string | undefined;

/** Bundles node-core/src/cli/main.ts, and the worker threads it starts, to a temp folder; returns the CLI's path. */
export async function bundleCli(): Promise<string> {
  bundleDir ??= await mkdtemp(join(tmpdir(), 'p2p-cli-'));
  return bundleCliOf(join(__dirname, '..', '..'), bundleDir);
}

/** Bundles the CLI and its worker threads of the checkout at `root` into `outdir`; returns the CLI's path. */
export async function bundleCliOf(root: string, outdir: string): Promise<string> {
  const workers = (await import(pathToFileURL(join(root, 'scripts', 'node-core-workers.mjs')).href)) as {
    nodeCoreWorkerEntries: (root: string) => Record<string, string>;
  };
  await build({
    entryPoints: { 'p2p-node': join(root, 'node-core/src/cli/main.ts'), ...workers.nodeCoreWorkerEntries(root) },
    outdir,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    external: ['bufferutil', 'utf-8-validate'],
  });
  return join(outdir, 'p2p-node.js');
}

export async function removeCliBundle(): Promise<void> {
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
}

/** `p2p-node peer` arguments as the CLI tests run a peer: JSON events, 200 ms heartbeats. */
export function peerArgs(id: string, dir: string, metaserver: string, extra: string[] = []): string[] {
  return ['peer', '--id', id, '--dir', dir, '--metaserver', metaserver, '--json', '--heartbeat-ms', '200', ...extra];
}

export class CliProcess {
  readonly child: ChildProcess;
  readonly events: NodeEvent[] = [];
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  /** `launcher`: a command that runs node for us, e.g. `['ip', 'netns', 'exec', NS]` (it must exec node in place). */
  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}, launcher: string[] = []) {
    const [command, ...argv] = launcher.length > 0 ? [...launcher, process.execPath] : [process.execPath];
    this.child = spawn(command, [...argv, script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, P2P_NETWORK_KEY: '', ...env },
    });
    let buffered = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.lines.push(line);
        const event = parseNodeEvent(line);
        if (event) this.events.push(event);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Waits for an event (after `from` events) matching `match`; throws after `ms`. */
  async next<E extends NodeEvent['event']>(
    event: E,
    match: (e: Extract<NodeEvent, { event: E }>) => boolean = () => true,
    ms = 8000,
    from = 0,
  ): Promise<Extract<NodeEvent, { event: E }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events
        .slice(from)
        .find(
          (e): e is Extract<NodeEvent, { event: E }> =>
            e.event === event && match(e as Extract<NodeEvent, { event: E }>),
        );
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `no "${event}" event within ${ms} ms; events: ${JSON.stringify(this.events).slice(-1500)} ` +
            `stderr: ${this.stderr.slice(-500)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Kills the process if it is still running and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

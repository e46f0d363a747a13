// The large-transfer bench's baselines: the CLI as it was at a git commit (e.g. `main` before a
// change), bundled from that commit's sources into a temp folder, so one run can set an earlier
// getter beside today's on the same holders and the same file, minutes apart rather than days.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCliOf } from '../test/unit/cli-process';

const REPO = resolve(__dirname, '..');

export interface BaselineCli {
  /** The git ref it was built from, as given. */
  ref: string;
  /** Its p2p-node.js, with its worker bundles beside it. */
  cli: string;
  dispose(): Promise<void>;
}

/** Runs `command`, its stdout piped into `into` when given; rejects on a non-zero exit. */
function run(command: string, args: string[], cwd: string, into?: { command: string; args: string[] }): Promise<void> {
  return new Promise((done, fail) => {
    const first = spawn(command, args, { cwd, stdio: ['ignore', into ? 'pipe' : 'ignore', 'inherit'] });
    const second = into && spawn(into.command, into.args, { cwd, stdio: ['pipe', 'ignore', 'inherit'] });
    if (second && first.stdout && second.stdin) first.stdout.pipe(second.stdin);
    const last = second ?? first;
    first.once('error', fail);
    second?.once('error', fail);
    first.once('exit', (code) => (code === 0 ? undefined : fail(new Error(`${command} exited with ${code}`))));
    last.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${command} exited with ${code}`))));
  });
}

/** Bundles the CLI (and its worker threads) of `ref` from this repository's history. */
export async function buildBaselineCli(ref: string): Promise<BaselineCli> {
  const dir = await mkdtemp(join(tmpdir(), 'p2p-bench-baseline-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await run('git', ['archive', ref], REPO, { command: 'tar', args: ['-x', '-C', dir] });
    // the commit's sources against today's packages (the bundle needs none of them at run time)
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    return { ref, cli: await bundleCliOf(dir, join(dir, 'dist')), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

// Two p2p-node peer processes on loopback, a holder and a getter joined to it, and one timed
// GET between them: what the transfer benches compare against other ways of moving a file.
import { link, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../test/unit/cli-process';
import { cpuMs } from './baseline';

export { writeRandomFile } from './baseline';

const CLI = process.env.P2P_NODE_CLI ?? resolve(__dirname, '../dist/p2p-node.js');

/** A holder and a getter joined to it, both peer processes (of `cli`: this build's by default). */
export async function network(root: string, label: string, env: NodeJS.ProcessEnv, cli = CLI): Promise<CliProcess[]> {
  const dirs = [join(root, `${label}-holder`), join(root, `${label}-getter`)];
  await Promise.all(dirs.map((d) => mkdir(d)));
  const holder = new CliProcess(
    cli,
    ['peer', '--id', 'holder', '--join', '127.0.0.1:1', '--dir', dirs[0], '--json'],
    env,
  );
  const ready = await holder.next('ready', () => true, 60_000);
  const getter = new CliProcess(
    cli,
    ['peer', '--id', 'getter', '--join', `127.0.0.1:${ready.port}`, '--dir', dirs[1], '--json'],
    env,
  );
  await getter.next('neighbor-up', () => true, 10_000);
  return [holder, getter];
}

/**
 * The holder shares `source` under a new name (hashed before the clock starts: a peer keeps
 * sharing what it downloaded, so each GET needs a name the getter does not have), then the getter GETs it.
 */
export async function get(
  procs: CliProcess[],
  source: string,
  name: string,
  expected: string,
): Promise<{ ms: number; holderCpuMs: number; getterCpuMs: number }> {
  const [holder, getter] = procs;
  const copy = join(dirname(source), name);
  await link(source, copy);
  const shared = holder.events.length;
  holder.send(`SHARE ${copy}`);
  await holder.next('shared', () => true, 300_000, shared);
  const [holderBefore, getterBefore] = [cpuMs(holder.child.pid), cpuMs(getter.child.pid)];
  const from = getter.events.length;
  getter.send(`GET ${name}`);
  // from the first chunk on: the search before it (a flood with its grace period) is no transfer
  await getter.next('download-progress', () => true, 60_000, from);
  const started = performance.now();
  const done = await getter.next('download-complete', () => true, 600_000, from);
  const ms = performance.now() - started;
  // read before the clean-up below, whose folder rescan is no part of the GET
  const holderCpuMs = cpuMs(holder.child.pid) - holderBefore;
  const getterCpuMs = cpuMs(getter.child.pid) - getterBefore;
  if (done.sha256 !== expected) throw new Error(`${name}: wrong digest`);
  await rm(done.path);
  await rm(copy);
  return { ms, holderCpuMs, getterCpuMs };
}

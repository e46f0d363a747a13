// Two p2p-node peer processes on loopback, a holder and a getter joined to it, and one timed
// GET between them: what the transfer benches compare against other ways of moving a file.
import { link, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../test/unit/cli-process';
import { completesFile, cpuMs, threadCpuMs, type FileDigests } from './baseline';

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

export interface GetRun {
  ms: number;
  /** CPU time (all threads) of each peer during the GET. */
  holderCpuMs: number;
  getterCpuMs: number;
  /** The getter's threads during the GET: its main thread's CPU, then the others' (busiest first). */
  getterThreads: { main: number; others: number[] };
}

/** Polls a process's threads (a download's worker threads end with it) until stopped; then their CPU since start. */
class ThreadSampler {
  private readonly before: Map<number, number>;
  private readonly last: Map<number, number>;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number | undefined) {
    this.before = threadCpuMs(pid);
    this.last = new Map(this.before);
    this.timer = setInterval(() => this.sample(), 25);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Since start: the main thread's CPU, then the others' (busiest first), in ms. */
  spent(): { main: number; others: number[] } {
    const spent = [...this.last].map(([tid, ms]) => ({ tid, ms: ms - (this.before.get(tid) ?? 0) }));
    const main = spent.find((t) => t.tid === this.pid)?.ms ?? 0;
    const others = spent.filter((t) => t.tid !== this.pid && t.ms > 0).map((t) => t.ms);
    return { main, others: others.sort((a, b) => b - a) };
  }

  private sample(): void {
    for (const [tid, ms] of threadCpuMs(this.pid)) this.last.set(tid, ms);
  }
}

/**
 * The holder shares `source` under a new name (hashed before the clock starts: a peer keeps
 * sharing what it downloaded, so each GET needs a name the getter does not have), then the getter GETs it.
 */
export async function get(procs: CliProcess[], source: string, name: string, expected: FileDigests): Promise<GetRun> {
  const [holder, getter] = procs;
  const copy = join(dirname(source), name);
  await link(source, copy);
  const shared = holder.events.length;
  holder.send(`SHARE ${copy}`);
  await holder.next('shared', () => true, 300_000, shared);
  const [holderBefore, getterBefore] = [cpuMs(holder.child.pid), cpuMs(getter.child.pid)];
  const threads = new ThreadSampler(getter.child.pid);
  let timed: Omit<GetRun, 'getterThreads'> & { done: { path: string; root?: unknown; sha256?: unknown } };
  try {
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
    timed = { ms, holderCpuMs, getterCpuMs, done };
  } finally {
    threads.stop();
  }
  const { done, ...run } = timed;
  if (!completesFile(done, expected)) throw new Error(`${name}: wrong digest`);
  await rm(done.path);
  await rm(copy);
  return { ...run, getterThreads: threads.spent() };
}

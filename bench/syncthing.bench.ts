// Our GET against Syncthing moving the same file (issue 16: at least 3× Syncthing). Two
// Syncthing instances and our two peers run inside a fresh network namespace where only `lo`
// is up, so nothing leaves the machine; Syncthing's discovery (global and local), relays, NAT,
// usage and crash reporting and upgrades are off, its low CPU priority and fsync too (our peers
// use neither). Rounds alternate between the two; Syncthing is timed from the moment the
// receiving folder is unpaused, once the sender has hashed the file (our GET likewise starts
// with the file already shared). The bare Node copy (fs → TCP → fs, no hashing, no encryption)
// runs in the same rounds: the ceiling of this machine, which bounds any ratio to Syncthing.
// Needs root (ip netns) and `syncthing` (Debian: apt-get install syncthing); without them it
// says so and skips. Standalone: `npm run build && node --import tsx bench/syncthing.bench.ts [MiB] [rounds]`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliProcess } from '../test/unit/cli-process';
import { bareCopy } from './baseline';
import { get, network, writeRandomFile } from './peer-get';
import { SyncthingPair } from './syncthing-pair';
import { median } from './stats';
import { roundOrder } from './round-order';

const SIZE_MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 3);
const NAMESPACE_ENV = 'P2P_BENCH_NETNS';

/** Why this machine cannot run the bench, or undefined. */
function missing(): string | undefined {
  if (spawnSync('syncthing', ['--version']).status !== 0)
    return 'syncthing is not installed (Debian: apt-get install syncthing)';
  if (process.getuid?.() !== 0) return 'it needs root, to make a network namespace (ip netns)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip (iproute2) is not installed';
  return undefined;
}

/** Outside: make the namespace, run this file again inside it, and always delete the namespace. */
async function runInNamespace(): Promise<number> {
  const namespace = `p2p-syncthing-${process.pid}`;
  const ip = (...args: string[]): void => {
    const result = spawnSync('ip', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
  };
  ip('netns', 'add', namespace);
  let child: ChildProcess | undefined;
  const forward = (signal: NodeJS.Signals): void => void child?.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  try {
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    child = spawn(
      'ip',
      ['netns', 'exec', namespace, process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)],
      { stdio: 'inherit', env: { ...process.env, [NAMESPACE_ENV]: namespace } },
    );
    return await new Promise<number>((resolve) => child?.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    process.off('SIGINT', forward).off('SIGTERM', forward);
    ip('netns', 'del', namespace);
  }
}

const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(0)} MiB/s`;

/** Inside the namespace: both ways of moving the file, in alternating rounds. */
async function compare(): Promise<void> {
  const links = spawnSync('ip', ['-o', 'link', 'show', 'up'], { encoding: 'utf8' }).stdout;
  const up = links
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(': ')[1]);
  if (up.join(',') !== 'lo') throw new Error(`the namespace has other links up: ${up.join(', ')}`);
  console.log(`network namespace ${process.env[NAMESPACE_ENV]}: only lo is up`);
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-syncthing-'));
  const peers: CliProcess[] = [];
  const syncthing = new SyncthingPair(root);
  try {
    console.log(await syncthing.start());
    peers.push(...(await network(root, 'p2p', {})));
    const kinds = ['p2p', 'syncthing', 'bare'] as const;
    const times: Record<(typeof kinds)[number], number[]> = { syncthing: [], p2p: [], bare: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // a new file each round: Syncthing would copy the blocks of an earlier round's file locally
      const source = join(root, `payload-${round}.bin`);
      const expected = await writeRandomFile(source, SIZE_MIB);
      const order = roundOrder(kinds, round);
      for (const kind of order) {
        const name = `${kind}-${round}.bin`;
        // the previous round's gigabyte is written back before the clock starts, not during
        spawnSync('sync');
        if (kind === 'p2p') times.p2p.push((await get(peers, source, name, expected)).ms);
        else if (kind === 'syncthing') times.syncthing.push(await syncthing.move(source, name, expected.sha256));
        else times.bare.push(await bareCopy(source, join(root, name)));
      }
      const [p2p, theirs, bare] = kinds.map((kind) => times[kind][round]);
      console.log(
        `round ${round + 1}: p2p ${rate(p2p)}, syncthing ${rate(theirs)}, bare copy ${rate(bare)}; ` +
          `p2p / Syncthing ${(theirs / p2p).toFixed(2)}×, bare copy / Syncthing ${(theirs / bare).toFixed(2)}×`,
      );
    }
    const [ours, theirs, bare] = kinds.map((kind) => median(times[kind]));
    const range = (xs: number[]): string => `${rate(Math.max(...xs))}–${rate(Math.min(...xs))}`;
    console.log(`${SIZE_MIB} MiB between two processes on loopback, medians of ${ROUNDS} rounds (range):`);
    console.log(`  p2p-node GET (TLS 1.3)   ${rate(ours)} (${range(times.p2p)})`);
    console.log(`  Syncthing ${syncthing.version.padEnd(14)} ${rate(theirs)} (${range(times.syncthing)})`);
    console.log(`  bare Node copy           ${rate(bare)} (${range(times.bare)})   (fs → TCP → fs, no hash, no TLS)`);
    console.log(`  p2p / Syncthing: ${(theirs / ours).toFixed(2)}× (goal ≥ 3)`);
    console.log(`  bare copy / Syncthing: ${(theirs / bare).toFixed(2)}× (what this machine allows any copy)`);
  } finally {
    for (const peer of peers) peer.send('STOP');
    await Promise.race([Promise.all(peers.map((p) => p.exited)), sleep(5000)]);
    for (const peer of peers) peer.child.kill('SIGKILL');
    await syncthing.close();
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.env[NAMESPACE_ENV]) return compare();
  const reason = missing();
  if (reason) {
    console.log(`skipped: the Syncthing baseline needs what this machine lacks: ${reason}`);
    return;
  }
  process.exitCode = await runInNamespace();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// What the relay costs: a GET from a holder the getter reaches directly against the same GET from
// a holder behind "NAT" (it announces 127.0.0.3, where it does not listen, so the metaserver admits
// it as relayed and every byte goes through the metaserver's relay, TLS end to end), in rotated
// rounds of one run, all processes on loopback. Also the metaserver's CPU while it relays.
// Standalone: `npm run build && node --import tsx bench/relay.bench.ts [MiB] [rounds]`.
import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../test/unit/cli-process';
import { completesFile, cpuMs, writeRandomFile, type FileDigests } from './baseline';
import { median } from './stats';

const SIZE_MIB = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 3);
const CLI = process.env.P2P_NODE_CLI ?? resolve(__dirname, '../dist/p2p-node.js');
const KINDS = ['direct', 'relayed'] as const;
type Kind = (typeof KINDS)[number];

interface Network {
  metaserver: CliProcess;
  holders: Record<Kind, CliProcess>;
  getter: CliProcess;
  dirs: Record<Kind, string>;
  all: CliProcess[];
}

async function network(root: string): Promise<Network> {
  const metaserver = new CliProcess(CLI, ['metaserver', '--port', '0', '--json']);
  const ready = await metaserver.next('ready', () => true, 60_000);
  const peer = async (id: string, extra: string[]): Promise<{ proc: CliProcess; dir: string }> => {
    const dir = join(root, id);
    await mkdir(dir);
    const proc = new CliProcess(CLI, [
      'peer',
      '--id',
      id,
      '--metaserver',
      `127.0.0.1:${ready.port}`,
      '--dir',
      dir,
      '--json',
      ...extra,
    ]);
    await proc.next('ready', () => true, 60_000);
    return { proc, dir };
  };
  const direct = await peer('direct', []);
  const relayed = await peer('relayed', ['--advertise', '127.0.0.3', '--allow-relay']);
  const getter = await peer('getter', []);
  await getter.proc.next('neighbor-up', () => true, 10_000);
  return {
    metaserver,
    holders: { direct: direct.proc, relayed: relayed.proc },
    getter: getter.proc,
    dirs: { direct: direct.dir, relayed: relayed.dir },
    all: [metaserver, direct.proc, relayed.proc, getter.proc],
  };
}

/** The holder shares `source` under a new name (hashed before the clock starts), then the getter GETs it. */
async function get(net: Network, kind: Kind, source: string, name: string, expected: FileDigests) {
  const holder = net.holders[kind];
  const copy = join(net.dirs[kind], name);
  await link(source, copy);
  const shared = holder.events.length;
  holder.send(`SHARE ${copy}`);
  await holder.next('shared', () => true, 300_000, shared);
  const relayCpu = cpuMs(net.metaserver.child.pid);
  const from = net.getter.events.length;
  net.getter.send(`GET ${name}`);
  await net.getter.next('download-progress', () => true, 60_000, from);
  const started = performance.now();
  const done = await net.getter.next('download-complete', () => true, 600_000, from);
  const ms = performance.now() - started;
  if (!completesFile(done, expected)) throw new Error(`${name}: wrong digest`);
  if (done.sources.join() !== kind) throw new Error(`${name}: came from ${done.sources.join()}, not ${kind}`);
  await rm(done.path);
  return { ms, relayCpuMs: cpuMs(net.metaserver.child.pid) - relayCpu };
}

const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(0)} MiB/s`;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-relay-'));
  let net: Network | undefined;
  try {
    const source = join(root, 'payload.bin');
    const expected = await writeRandomFile(source, SIZE_MIB);
    net = await network(root);
    const times: Record<Kind, number[]> = { direct: [], relayed: [] };
    const relayCpu: Record<Kind, number[]> = { direct: [], relayed: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      const line: string[] = [];
      for (const kind of order) {
        const run = await get(net, kind, source, `${kind}-${round}.bin`, expected);
        times[kind].push(run.ms);
        relayCpu[kind].push(run.relayCpuMs);
        line.push(`${kind} ${rate(run.ms)}`);
      }
      const ratio = (times.direct.at(-1) as number) / (times.relayed.at(-1) as number);
      console.log(`round ${round + 1}: ${line.join(', ')}; relayed/direct ${ratio.toFixed(2)}×`);
    }
    const [direct, relayed] = [median(times.direct), median(times.relayed)];
    console.log(`GET ${SIZE_MIB} MiB on loopback, medians of ${ROUNDS} rounds:`);
    console.log(`  direct   ${rate(direct)}`);
    console.log(
      `  relayed  ${rate(relayed)}   metaserver CPU while relaying ${median(relayCpu.relayed).toFixed(0)} ms`,
    );
    console.log(
      `  relayed / direct: ${(direct / relayed).toFixed(2)}× (relay overhead ${(relayed / direct).toFixed(2)}×)`,
    );
    console.log('punch success rate and throughput across real NAT: bench/punch.bench.ts');
    for (const p of net.all) p.send('STOP');
    await Promise.all(net.all.map((p) => p.exited));
    net = undefined;
  } finally {
    for (const p of net?.all ?? []) p.child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// Hole punching behind real NAT, in the namespaces the NAT test builds (test/unit/support/nat-lab.ts:
// two homes, each behind its own masquerading router, the metaserver on the public segment). First
// the punch success rate over 20 tries (one GET each, from a peer in home B to one in home A, both
// --punch), then GET throughput of one file through the metaserver's relay against the same GET
// with --punch (it starts relayed and moves to the punched direct path), in rotated rounds.
// Needs root and nft. Standalone: `npm run build && node --import tsx bench/punch.bench.ts [MiB] [rounds]`.
import { randomBytes } from 'node:crypto';
import { link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NatLab, type NatPeer } from '../test/unit/support/nat-lab';
import { completesFile, writeRandomFile, type FileDigests } from './baseline';
import { median } from './stats';

const SIZE_MIB = Number(process.argv[2] ?? 64);
const ROUNDS = Number(process.argv[3] ?? 3);
const TRIES = 20;
const CLI = process.env.P2P_NODE_CLI ?? resolve(__dirname, '../dist/p2p-node.js');
const KINDS = ['relayed', 'punched'] as const;
type Kind = (typeof KINDS)[number];

interface Network {
  holder: NatPeer;
  getters: Record<Kind, NatPeer>;
}

async function network(nat: NatLab, root: string, tries: Record<string, Buffer>): Promise<Network> {
  const port = (await nat.metaserver()).ready.port;
  const [a, b] = nat.homes;
  const at = (home: typeof a) => ({ ns: home.ns, host: home.address, root, metaserverPort: port });
  const holder = await nat.peer(at(a), 'holder', tries, ['--allow-relay', '--punch']);
  const punched = await nat.peer(at(b), 'punched', {}, ['--allow-relay', '--punch']);
  const relayed = await nat.peer(at(b), 'relayed', {}, ['--allow-relay']);
  for (const getter of [punched, relayed]) await getter.proc.next('neighbor-up', () => true, 15_000);
  return { holder, getters: { relayed, punched } };
}

/** One GET per try, each a new link and so a new punch; resolves with the punch events. */
async function punchTries(net: Network, names: string[]) {
  const getter = net.getters.punched.proc;
  const from = getter.events.length;
  for (const name of names) {
    const before = getter.events.length;
    getter.send(`GET ${name}`);
    await getter.next('download-complete', (e) => e.name === name, 30_000, before);
    await getter.next('punch', () => true, 10_000, before);
  }
  return getter.events.slice(from).flatMap((e) => (e.event === 'punch' ? [e] : []));
}

/** The holder shares `source` as `name` (hashed before the clock starts), then `kind`'s getter GETs it. */
async function get(net: Network, kind: Kind, source: string, name: string, expected: FileDigests): Promise<number> {
  await link(source, join(net.holder.dir, name));
  const shared = net.holder.proc.events.length;
  net.holder.proc.send(`SHARE ${join(net.holder.dir, name)}`);
  await net.holder.proc.next('shared', () => true, 300_000, shared);
  const getter = net.getters[kind].proc;
  const from = getter.events.length;
  const started = performance.now();
  getter.send(`GET ${name}`);
  const done = await getter.next('download-complete', (e) => e.name === name, 600_000, from);
  const ms = performance.now() - started;
  if (!completesFile(done, expected)) throw new Error(`${name}: wrong digest`);
  await rm(done.path);
  return ms;
}

const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(1)} MiB/s`;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-punch-'));
  const nat = await NatLab.create(2, CLI);
  try {
    const tries: Record<string, Buffer> = {};
    for (let i = 0; i < TRIES; i++) tries[`try-${i}.bin`] = randomBytes(256 * 1024 + i);
    const net = await network(nat, root, tries);
    const punches = await punchTries(net, Object.keys(tries));
    const ok = punches.filter((p) => p.ok);
    const okMs = ok.length > 0 ? median(ok.map((p) => p.ms)) : '-';
    console.log(`punch success ${ok.length}/${punches.length} over ${TRIES} GETs, median ${okMs} ms when it worked`);

    const source = join(root, 'payload.bin');
    const expected = await writeRandomFile(source, SIZE_MIB);
    const times: Record<Kind, number[]> = { relayed: [], punched: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      const line: string[] = [];
      for (const kind of order) {
        const ms = await get(net, kind, source, `${kind}-${round}.bin`, expected);
        times[kind].push(ms);
        line.push(`${kind} ${rate(ms)}`);
      }
      console.log(`round ${round + 1}: ${line.join(', ')}`);
    }
    const [relayed, punched] = [median(times.relayed), median(times.punched)];
    console.log(`GET ${SIZE_MIB} MiB home B <- home A across two NATs, medians of ${ROUNDS} rounds:`);
    console.log(`  through the metaserver's relay  ${rate(relayed)}`);
    console.log(`  --punch (relayed, then direct)  ${rate(punched)}`);
    console.log(`  relay overhead: the relayed GET takes ${(relayed / punched).toFixed(2)}× as long`);
  } finally {
    await nat.close();
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

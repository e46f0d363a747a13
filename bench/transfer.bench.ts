// GET throughput between two peer PROCESSES (dist/p2p-node.js) against a bare
// fs stream → TCP → fs stream copy between two processes over loopback, measured in the same
// run on the same 256 MiB file; plus the serving peer's RSS (VmRSS) while it serves.
// Targets: ratio ≥ 0.80, RSS ≤ 150 MB.
// Standalone: `npm run build && node --import tsx bench/transfer.bench.ts [MiB] [rounds]`.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../test/unit/cli-process';
import { bareCopy, rssMiB } from './baseline';
import { median } from './stats';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.argv[3] ?? 3);
const CLI = process.env.P2P_NODE_CLI ?? resolve(__dirname, '../dist/p2p-node.js');

async function writeRandomFile(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(MIB);
  for (let i = 0; i < mib; i++) {
    block.writeUInt32BE(i, 0); // distinct chunks, so a misplaced chunk cannot verify
    if (!out.write(Buffer.from(block))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
}

async function p2pCopy(
  root: string,
  source: string,
): Promise<{ transferMs: number; getMs: number; holderRssMiB: number; getterRssMiB: number; path: string }> {
  const holderDir = join(root, 'holder');
  const getterDir = join(root, 'getter');
  await mkdir(holderDir);
  await mkdir(getterDir);
  const procs: CliProcess[] = [];
  try {
    const holder = new CliProcess(CLI, [
      'peer',
      '--id',
      'holder',
      '--join',
      '127.0.0.1:1',
      '--dir',
      holderDir,
      '--json',
    ]);
    procs.push(holder);
    const ready = await holder.next('ready', () => true, 60_000);
    holder.send(`SHARE ${source}`);
    await holder.next('shared', () => true, 120_000); // hashing 256 MiB once, before the clock starts
    const getter = new CliProcess(CLI, [
      'peer',
      '--id',
      'getter',
      '--join',
      `127.0.0.1:${ready.port}`,
      '--dir',
      getterDir,
      '--json',
    ]);
    procs.push(getter);
    await getter.next('neighbor-up', () => true, 10_000);
    let holderRss = rssMiB(holder.child.pid ?? 0);
    let getterRss = rssMiB(getter.child.pid ?? 0);
    const sampler = setInterval(() => {
      holderRss = Math.max(holderRss, rssMiB(holder.child.pid ?? 0));
      getterRss = Math.max(getterRss, rssMiB(getter.child.pid ?? 0));
    }, 20);
    const started = performance.now();
    getter.send(`GET ${source.split('/').pop()}`);
    const first = await getter.next('download-progress', () => true, 30_000);
    const firstAt = performance.now();
    void first;
    const done = await getter.next('download-complete', () => true, 300_000);
    const ended = performance.now();
    clearInterval(sampler);
    for (const p of procs) p.send('STOP');
    await Promise.all(procs.map((p) => p.exited));
    return {
      transferMs: ended - firstAt,
      getMs: ended - started,
      holderRssMiB: holderRss,
      getterRssMiB: getterRss,
      path: done.path,
    };
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
  }
}

async function main(): Promise<void> {
  await stat(CLI).catch(() => {
    throw new Error(`${CLI} is missing: run npm run build first`);
  });
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-transfer-'));
  try {
    const source = join(root, 'big.bin');
    await writeRandomFile(source, SIZE_MIB);
    // alternate the two copies a few times and compare medians: on a shared machine a single
    // run of either says more about the neighbours' load than about the code
    const bareRuns: number[] = [];
    const p2pRuns: Array<Awaited<ReturnType<typeof p2pCopy>>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await bareCopy(source, join(root, 'bare-copy.bin')));
      await rm(join(root, 'bare-copy.bin'));
      if (round > 0)
        await rm(join(root, 'holder'), { recursive: true }).then(() => rm(join(root, 'getter'), { recursive: true }));
      p2pRuns.push(await p2pCopy(root, source));
    }
    const bareMs = median(bareRuns);
    const p2p = {
      transferMs: median(p2pRuns.map((r) => r.transferMs)),
      getMs: median(p2pRuns.map((r) => r.getMs)),
      holderRssMiB: Math.max(...p2pRuns.map((r) => r.holderRssMiB)),
      getterRssMiB: Math.max(...p2pRuns.map((r) => r.getterRssMiB)),
      path: p2pRuns[p2pRuns.length - 1].path,
    };
    const same = (await readFile(p2p.path)).equals(await readFile(source));
    const bareRate = SIZE_MIB / (bareMs / 1000);
    const p2pRate = SIZE_MIB / (p2p.transferMs / 1000);
    const getRate = SIZE_MIB / (p2p.getMs / 1000);
    const ratio = p2pRate / bareRate;
    const rows = [
      ['bare fs→TCP→fs copy', `${bareRate.toFixed(0)} MiB/s`, `${bareMs.toFixed(0)} ms`],
      ['p2p GET (transfer+verify)', `${p2pRate.toFixed(0)} MiB/s`, `${p2p.transferMs.toFixed(0)} ms`],
      ['p2p GET (incl. search)', `${getRate.toFixed(0)} MiB/s`, `${p2p.getMs.toFixed(0)} ms`],
    ];
    console.log(`file: ${SIZE_MIB} MiB, loopback, two processes each side; median of ${ROUNDS} alternating rounds`);
    console.log(
      `  runs (ms): bare ${bareRuns.map((x) => x.toFixed(0)).join(' ')}; ` +
        `p2p ${p2pRuns.map((r) => r.transferMs.toFixed(0)).join(' ')}`,
    );
    for (const row of rows) console.log(`  ${row[0].padEnd(28)} ${row[1].padStart(10)} ${row[2].padStart(10)}`);
    console.log(
      `  ratio p2p/bare               ${ratio.toFixed(2)}   (target ≥ 0.80: ${ratio >= 0.8 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  holder peak RSS              ${p2p.holderRssMiB.toFixed(0)} MiB ` +
        `(target ≤ 150 MB: ${p2p.holderRssMiB * 1.048576 <= 150 ? 'met' : 'NOT met'})`,
    );
    console.log(`  getter peak RSS              ${p2p.getterRssMiB.toFixed(0)} MiB`);
    console.log(`  downloaded file identical    ${same ? 'yes' : 'NO'}`);
    if (!same) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// What encryption costs: a 1 GiB GET over TLS 1.3 against the same GET in the clear
// (P2P_PLAINTEXT_BENCH_ONLY=1, the baseline only benches may use), the bare Node copy and the
// same copy over Node's TLS (fs streams, no p2p code), in rotated rounds of one run; then what
// Node's TLS costs by itself (tls-floor.ts) and a new connection (TCP + TLS + hello) in one process.
// Targets (issue 16): encrypted GET ≥ 0.80× plaintext GET; a handshake under 5 ms on loopback.
// P2P_BASELINE_REFS=main (git refs, comma-separated) adds, per ref, a holder and a getter built
// from that commit (large-transfer-baseline.ts), GETting in plaintext in the same rotated rounds
// (a ref from before TLS knows no other way), set beside this build's plaintext pair: what the
// p2p code costs, TLS apart. CPU is each peer's, every thread, from the first chunk to the end.
// Standalone: `npm run build && node --import tsx bench/encrypted-transfer.bench.ts [MiB] [rounds]`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dial, ephemeralSecurity, WireServer, type ChannelSecurity } from '@node-core/wire';
import type { CliProcess } from '../test/unit/cli-process';
import { bareCopy } from './baseline';
import { buildBaselineCli, type BaselineCli } from './large-transfer-baseline';
import { get, network, writeRandomFile, type GetRun } from './peer-get';
import { median } from './stats';
import { memoryPipe, type PipeRun } from './tls-floor';
import { roundOrder } from './round-order';

const SIZE_MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 3);
const HANDSHAKES = 300;
const FLOOR_ROUNDS = 3;
const PLAINTEXT_ENV = { P2P_PLAINTEXT_BENCH_ONLY: '1' };
const BASELINE_REFS = (process.env.P2P_BASELINE_REFS ?? '').split(',').filter((ref) => ref !== '');

/** Mean ms for a new connection (connect, handshake, one request answered), both ends in this process. */
async function handshakeMs(security: () => ChannelSecurity): Promise<number> {
  const server = new WireServer({ security: security() });
  server.on('connection', (c) => c.setHandler((incoming, conn) => void conn.reply(incoming, { t: 'ok' })));
  const address = await server.listen('127.0.0.1', 0);
  const client = security();
  const once = async (): Promise<void> => {
    const conn = await dial(address, { security: client });
    conn.setHandler(() => undefined);
    await conn.request({ t: 'ping' });
    conn.close();
  };
  for (let i = 0; i < 20; i++) await once(); // warm-up
  const started = performance.now();
  for (let i = 0; i < HANDSHAKES; i++) await once();
  const ms = (performance.now() - started) / HANDSHAKES;
  await server.close();
  return ms;
}

const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(0)} MiB/s`;
/** Median rate, with the range of the rounds. */
const rates = (ms: number[]): string =>
  `${rate(median(ms))} (${rate(Math.max(...ms)).split(' ')[0]}–${rate(Math.min(...ms))})`;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-tls-'));
  const procs: CliProcess[] = [];
  const baselines: BaselineCli[] = [];
  try {
    for (const ref of BASELINE_REFS) baselines.push(await buildBaselineCli(ref));
    const source = join(root, 'payload.bin');
    const expected = await writeRandomFile(source, SIZE_MIB);
    const networks = new Map<string, CliProcess[]>([
      ['tls', await network(root, 'tls', {})],
      ['plain', await network(root, 'plain', PLAINTEXT_ENV)],
    ]);
    for (const b of baselines)
      networks.set(`plain ${b.ref}`, await network(root, `plain-${b.ref}`, PLAINTEXT_ENV, b.cli));
    for (const pair of networks.values()) procs.push(...pair);
    const kinds = [...networks.keys(), 'bare', 'bare tls'];
    const times = new Map<string, number[]>(kinds.map((k) => [k, []]));
    const cpu = new Map<string, GetRun[]>(kinds.map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = roundOrder(kinds, round);
      const line: string[] = [];
      for (const kind of order) {
        // the previous kind's gigabyte is written back before the clock starts, not during
        spawnSync('sync');
        const pair = networks.get(kind);
        if (!pair) {
          const target = join(root, 'bare-copy.bin');
          times.get(kind)?.push(await bareCopy(source, target, kind === 'bare tls'));
          await rm(target);
        } else {
          const run = await get(pair, source, `${kind.replace(/\W/g, '-')}-${round}.bin`, expected);
          times.get(kind)?.push(run.ms);
          cpu.get(kind)?.push(run);
        }
        line.push(`${kind} ${rate(times.get(kind)?.at(-1) as number)}`);
      }
      const within = (times.get('plain')?.at(-1) as number) / (times.get('tls')?.at(-1) as number);
      console.log(`round ${round + 1}: ${line.join(', ')}; encrypted/plaintext ${within.toFixed(2)}×`);
    }
    const ms = (kind: string): number[] => times.get(kind) as number[];
    const cpuMedian = (kind: string, pick: (run: GetRun) => number): number => median((cpu.get(kind) ?? []).map(pick));
    const cpuOf = (kind: string): string => {
      const of = (pick: (run: GetRun) => number): string => cpuMedian(kind, pick).toFixed(0);
      const threads = [0, 1, 2].map((i) => of((r) => r.getterThreads.others[i] ?? 0)).join(' / ');
      return (
        `${of((r) => r.holderCpuMs + r.getterCpuMs)} ms (holder ${of((r) => r.holderCpuMs)}, ` +
        `getter ${of((r) => r.getterCpuMs)}: main thread ${of((r) => r.getterThreads.main)}, others ${threads})`
      );
    };
    const perRound = (num: string, den: string): string =>
      ms(num)
        .map((x, i) => (x / ms(den)[i]).toFixed(2))
        .join(' / ');
    console.log(`GET ${SIZE_MIB} MiB, medians (ranges) of ${ROUNDS} rounds:`);
    console.log(`  encrypted (TLS 1.3)  ${rates(ms('tls'))}   CPU of both peers ${cpuOf('tls')}`);
    console.log(`  plaintext (baseline) ${rates(ms('plain'))}   CPU of both peers ${cpuOf('plain')}`);
    for (const b of baselines) {
      const kind = `plain ${b.ref}`;
      console.log(`  plaintext, ${b.ref} build  ${rates(ms(kind))}   CPU of both peers ${cpuOf(kind)}`);
    }
    console.log(`  bare Node copy       ${rates(ms('bare'))}`);
    console.log(`  bare Node TLS copy   ${rates(ms('bare tls'))}   (fs stream → TLS socket → fs stream, no p2p code)`);
    const [tls, plain, bare] = [median(ms('tls')), median(ms('plain')), median(ms('bare'))];
    console.log(
      `  encrypted / plaintext: ${(plain / tls).toFixed(2)}× (target ≥ 0.80; per round ${perRound('plain', 'tls')})`,
    );
    const bareTls = median(ms('bare tls'));
    console.log(
      `  encrypted / bare copy: ${(bare / tls).toFixed(2)}×; encrypted / bare TLS copy: ${(bareTls / tls).toFixed(2)}×`,
    );
    console.log(
      `  bare TLS copy / bare copy: ${(bare / bareTls).toFixed(2)}× (per round ${perRound('bare', 'bare tls')})`,
    );
    for (const b of baselines) {
      const kind = `plain ${b.ref}`;
      console.log(
        `  plaintext, this build / ${b.ref}: ${(median(ms(kind)) / plain).toFixed(2)}× (issue 15: no loss, ≥ 0.95; ` +
          `per round ${perRound(kind, 'plain')})`,
      );
    }
    for (const p of procs) p.send('STOP');
    await Promise.all(procs.map((p) => p.exited));
    procs.length = 0;

    // Node's TLS by itself, once the peers are gone: what any encrypted GET must add at least
    const pipes: Record<'tls' | 'plain', PipeRun[]> = { tls: [], plain: [] };
    for (let round = 0; round < FLOOR_ROUNDS; round++)
      for (const kind of roundOrder(['tls', 'plain'] as const, round))
        pipes[kind].push(await memoryPipe(SIZE_MIB, kind === 'tls'));
    const pipeCpu = (kind: 'tls' | 'plain'): number => median(pipes[kind].map((r) => r.cpuMs));
    const getCpu = (kind: string): number => cpuMedian(kind, (r) => r.holderCpuMs + r.getterCpuMs);
    const floor = pipeCpu('tls') - pipeCpu('plain');
    console.log(
      `Node's TLS alone, ${SIZE_MIB} MiB memory to memory, both ends in one process, medians of ${FLOOR_ROUNDS}: ` +
        `TLS ${rates(pipes.tls.map((r) => r.ms))} with ${pipeCpu('tls').toFixed(0)} ms of CPU, ` +
        `plain TCP ${rates(pipes.plain.map((r) => r.ms))} with ${pipeCpu('plain').toFixed(0)} ms:`,
    );
    console.log(
      `  TLS itself costs ${floor.toFixed(0)} ms of CPU (both ends); the GET over TLS costs ` +
        `${(getCpu('tls') - getCpu('plain')).toFixed(0)} ms more than in plaintext (both peers)`,
    );

    const tlsHandshake = await handshakeMs(() => ephemeralSecurity('bench'));
    const plainHandshake = await handshakeMs(() => ({ ...ephemeralSecurity('bench'), plaintextBenchOnly: true }));
    console.log(`new connection (connect + handshake + one request), mean of ${HANDSHAKES}, both ends in one process:`);
    console.log(`  TLS 1.3 ${tlsHandshake.toFixed(2)} ms, plaintext ${plainHandshake.toFixed(2)} ms:`);
    console.log(
      `  the handshake costs ${(tlsHandshake - plainHandshake).toFixed(2)} ms per connection (target < 5 ms)`,
    );
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
    for (const b of baselines) await b.dispose();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

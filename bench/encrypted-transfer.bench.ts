// What encryption costs: a 1 GiB GET over TLS 1.3 against the same GET in the clear
// (P2P_PLAINTEXT_BENCH_ONLY=1, the baseline only benches may use) and the bare Node copy, in
// rotated rounds of one run; then the cost of a new connection (TCP + TLS + hello) in one process.
// Targets (issue 16): encrypted GET ≥ 0.80× plaintext GET; a handshake under 5 ms on loopback.
// Standalone: `npm run build && node --import tsx bench/encrypted-transfer.bench.ts [MiB] [rounds]`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dial, ephemeralSecurity, WireServer, type ChannelSecurity } from '@node-core/wire';
import type { CliProcess } from '../test/unit/cli-process';
import { bareCopy } from './baseline';
import { get, network, writeRandomFile } from './peer-get';

const SIZE_MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 3);
const HANDSHAKES = 300;
const PLAINTEXT_ENV = { P2P_PLAINTEXT_BENCH_ONLY: '1' };

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(0)} MiB/s`;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-tls-'));
  const procs: CliProcess[] = [];
  try {
    const source = join(root, 'payload.bin');
    const expected = await writeRandomFile(source, SIZE_MIB);
    const encrypted = await network(root, 'tls', {});
    procs.push(...encrypted);
    const plaintext = await network(root, 'plain', PLAINTEXT_ENV);
    procs.push(...plaintext);
    const times: Record<'bare' | 'plain' | 'tls', number[]> = { bare: [], plain: [], tls: [] };
    const cpu: Record<'plain' | 'tls', number[]> = { plain: [], tls: [] };
    const kinds = ['tls', 'plain', 'bare'] as const;
    for (let round = 0; round < ROUNDS; round++) {
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
      const line: string[] = [];
      for (const kind of order) {
        if (kind === 'bare') {
          const target = join(root, 'bare-copy.bin');
          times.bare.push(await bareCopy(source, target));
          await rm(target);
        } else {
          const run = await get(kind === 'tls' ? encrypted : plaintext, source, `${kind}-${round}.bin`, expected);
          times[kind].push(run.ms);
          cpu[kind].push(run.cpuMs);
        }
        line.push(`${kind} ${rate(times[kind].at(-1) as number)}`);
      }
      const within = (times.plain.at(-1) as number) / (times.tls.at(-1) as number);
      console.log(`round ${round + 1}: ${line.join(', ')}; encrypted/plaintext ${within.toFixed(2)}×`);
    }
    const [tls, plain, bare] = [median(times.tls), median(times.plain), median(times.bare)];
    console.log(`GET ${SIZE_MIB} MiB, medians of ${ROUNDS} rounds:`);
    console.log(`  encrypted (TLS 1.3)  ${rate(tls)}   CPU of both peers ${median(cpu.tls).toFixed(0)} ms`);
    console.log(`  plaintext (baseline) ${rate(plain)}   CPU of both peers ${median(cpu.plain).toFixed(0)} ms`);
    console.log(`  bare Node copy       ${rate(bare)}`);
    console.log(`  encrypted / plaintext: ${(plain / tls).toFixed(2)}× (target ≥ 0.80)`);
    for (const p of procs) p.send('STOP');
    await Promise.all(procs.map((p) => p.exited));
    procs.length = 0;

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
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// Chord lookup benchmark: N in-process nodes on real sockets (127.0.0.1), ring built by
// joining one node at a time through a random member, then K random keys looked up from
// random origins. Reports hops (mean, p99) against the paper's ½·log2 N, lookup latency,
// heap per node, and checks that every lookup named the true owner (successor of the key
// among the sorted ids). Runs standalone (`node --import tsx bench/chord.bench.ts [N...]`)
// or from bench/index.ts through runChordBench().
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChordRing } from '@node-core/chord/chord-ring';
import { fingersAreExact, randomKey, ringIsExact, startRing, trueOwner, waitFor } from '../test/unit/chord-harness';

export interface ChordBenchRow {
  nodes: number;
  lookups: number;
  exact: number;
  meanHops: number;
  p99Hops: number;
  paperHops: number;
  /** Requests per lookup: the hops plus the check of the owner (see lookup.ts). */
  meanRpcs: number;
  meanLatencyMs: number;
  p99LatencyMs: number;
  heapPerNodeKiB: number;
  buildSeconds: number;
  targetMet: boolean;
}

/**
 * Cheap maintenance: all N nodes share one process (and a shared 2-core machine), so the
 * timers stretch with N to keep the maintenance traffic about constant (≈ 40 stabilizations/s).
 * Joins link both neighbours at once, and fingers get one explicit refresh, so slow timers do
 * not slow the build down.
 */
function benchTimings(n: number) {
  const stabilizeMs = Math.max(400, 25 * n);
  return { stabilizeMs, fixFingersMs: 2 * stabilizeMs, checkPredecessorMs: 2 * stabilizeMs, replicateMs: 600_000 };
}

/** Runs `task` over `items`, at most `width` at a time. */
async function inPool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function benchRing(n: number, lookups: number): Promise<ChordBenchRow> {
  const gc = forceGc();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const built = performance.now();
  let rings: ChordRing[] = [];
  try {
    rings = await startRing(n, {
      timings: benchTimings(n),
      successorListLength: Math.max(4, Math.ceil(Math.log2(n))),
      maxConnections: 24,
      rpcTimeoutMs: 5000,
    });
    await waitFor(`a ${n}-node ring`, () => ringIsExact(rings), 120_000, 100);
    // Fingers converge on their own (fix_fingers), but at bench timings that takes a while:
    // one explicit full refresh per node (≈ log2 N lookups each) settles them.
    await inPool(rings, 8, (r) => r.node.fixAllFingers());
    await waitFor('exact fingers', () => fingersAreExact(rings), 60_000, 100);
    const buildSeconds = (performance.now() - built) / 1000;
    gc();
    const heapPerNodeKiB = (process.memoryUsage().heapUsed - heapBefore) / n / 1024;

    const nodes = rings.map((r) => r.self);
    const hops: number[] = [];
    const latency: number[] = [];
    let rpcs = 0;
    let exact = 0;
    for (let i = 0; i < lookups; i++) {
      const key = randomKey();
      const origin = rings[Math.floor(Math.random() * rings.length)];
      const t0 = performance.now();
      const found = await origin.lookup(key);
      latency.push(performance.now() - t0);
      hops.push(found.hops);
      rpcs += found.rpcs;
      if (found.owner.nodeId === trueOwner(key, nodes).nodeId) exact++;
    }
    hops.sort((a, b) => a - b);
    latency.sort((a, b) => a - b);
    const meanHops = hops.reduce((a, b) => a + b, 0) / hops.length;
    const paperHops = 0.5 * Math.log2(n);
    return {
      nodes: n,
      lookups,
      exact,
      meanHops,
      p99Hops: percentile(hops, 99),
      paperHops,
      meanRpcs: rpcs / lookups,
      meanLatencyMs: latency.reduce((a, b) => a + b, 0) / latency.length,
      p99LatencyMs: percentile(latency, 99),
      heapPerNodeKiB,
      buildSeconds,
      targetMet: exact === lookups && meanHops <= paperHops + 1,
    };
  } finally {
    await Promise.all(rings.map((r) => r.close()));
    await sleep(50);
  }
}

export function formatChordTable(rows: readonly ChordBenchRow[]): string {
  const lines = [
    'Chord lookups (iterative, in-process nodes on real sockets)',
    '    N  lookups  exact  mean hops  p99 hops  ½·log2 N  RPCs/lookup  mean ms  p99 ms' +
      '  heap/node KiB  build s  target',
  ];
  for (const r of rows) {
    lines.push(
      [
        String(r.nodes).padStart(5),
        String(r.lookups).padStart(8),
        String(r.exact).padStart(6),
        r.meanHops.toFixed(2).padStart(10),
        String(r.p99Hops).padStart(9),
        r.paperHops.toFixed(2).padStart(9),
        r.meanRpcs.toFixed(2).padStart(12),
        r.meanLatencyMs.toFixed(2).padStart(8),
        r.p99LatencyMs.toFixed(2).padStart(7),
        r.heapPerNodeKiB.toFixed(1).padStart(14),
        r.buildSeconds.toFixed(1).padStart(8),
        (r.targetMet ? 'ok' : 'MISSED').padStart(7),
      ].join(' '),
    );
  }
  lines.push('hops: lookup steps sent to other nodes; RPCs/lookup adds the owner check (one getNeighbors)');
  lines.push('target: every lookup exact and mean hops ≤ ½·log2 N + 1');
  return lines.join('\n');
}

export async function runChordBench(sizes: readonly number[] = [16, 64, 256], lookups = 500): Promise<ChordBenchRow[]> {
  const rows: ChordBenchRow[] = [];
  for (const n of sizes) rows.push(await benchRing(n, lookups));
  const dir = join(process.cwd(), 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'chord.json'), JSON.stringify(rows, null, 2) + '\n');
  return rows;
}

if (require.main === module) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  runChordBench(sizes.length > 0 ? sizes : undefined).then(
    (rows) => {
      process.stdout.write(formatChordTable(rows) + '\n');
      if (!rows.every((r) => r.targetMet)) process.exitCode = 1;
    },
    (err: unknown) => {
      process.stderr.write(`chord bench failed: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

// Chord ring merge benchmark: two rings of N in-process nodes on real sockets, built apart,
// then one node meets a node of the other ring (ring-merge.ts). Reports the time until every
// successor and predecessor is the true one of the union, and checks 100 random keys from
// every node against the true owner. Each size runs under the test timers (stabilize 60 ms)
// and the defaults (stabilize 1 s): the merge walk does not wait for timers, stabilize does.
// Standalone: `node --import tsx bench/chord-merge.bench.ts [N...]`.
import { performance } from 'node:perf_hooks';
import type { ChordRing } from '@node-core/chord/chord-ring';
import { DEFAULT_TIMINGS, FAST_TIMINGS, type ChordTimings } from '@node-core/chord/maintenance';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomKey, ringIsExact, startRing, trueOwner, waitFor } from '../test/unit/chord-harness';
import { median, range } from './stats';

interface MergeRow {
  nodesPerRing: number;
  timers: string;
  mergeMs: number[];
  lookups: number;
  exact: number;
}

const ROUNDS = 3;
const KEYS = 100;

async function mergeOnce(n: number, timings: ChordTimings): Promise<{ ms: number; lookups: number; exact: number }> {
  const options = { timings: { ...timings, replicateMs: 600_000 }, successorListLength: 'auto' as const };
  let rings: ChordRing[] = [];
  try {
    const a = await startRing(n, options);
    rings = [...a];
    const b = await startRing(n, options);
    rings.push(...b);
    await waitFor('ring A', () => ringIsExact(a), 60_000, 20);
    await waitFor('ring B', () => ringIsExact(b), 60_000, 20);
    const started = performance.now();
    await a[0].meet(b[0].self);
    await waitFor('one ring', () => ringIsExact(rings), 120_000, 5);
    const ms = performance.now() - started;
    const nodes = rings.map((r) => r.self);
    let lookups = 0;
    let exact = 0;
    for (let i = 0; i < KEYS; i++) {
      const key = randomKey();
      const want = trueOwner(key, nodes).nodeId;
      const found = await Promise.all(rings.map((r) => r.lookup(key)));
      lookups += found.length;
      exact += found.filter((f) => f.owner.nodeId === want).length;
    }
    return { ms, lookups, exact };
  } finally {
    await Promise.all(rings.map((r) => r.close()));
    await sleep(50);
  }
}

async function benchMerge(n: number, timers: string, timings: ChordTimings): Promise<MergeRow> {
  const row: MergeRow = { nodesPerRing: n, timers, mergeMs: [], lookups: 0, exact: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const { ms, lookups, exact } = await mergeOnce(n, timings);
    row.mergeMs.push(ms);
    row.lookups += lookups;
    row.exact += exact;
  }
  return row;
}

function format(rows: readonly MergeRow[]): string {
  const lines = ['Chord ring merge (two rings built apart, one node meets the other ring)'];
  lines.push('  rings   timers            merge ms (median, min-max)   lookups exact');
  for (const r of rows) {
    const spread = `${median(r.mergeMs).toFixed(0)} (${range(r.mergeMs)})`;
    lines.push(
      `  2x${String(r.nodesPerRing).padEnd(5)} ${r.timers.padEnd(17)} ${spread.padEnd(28)} ${r.exact}/${r.lookups}`,
    );
  }
  lines.push(`merge ms: from the meeting until every successor and predecessor is the true one; ${ROUNDS} rounds`);
  return lines.join('\n');
}

async function main(sizes: readonly number[]): Promise<void> {
  const rows: MergeRow[] = [];
  for (const n of sizes) {
    rows.push(await benchMerge(n, 'stabilize 60 ms', FAST_TIMINGS));
    rows.push(await benchMerge(n, 'stabilize 1 s', DEFAULT_TIMINGS));
  }
  process.stdout.write(format(rows) + '\n');
  if (!rows.every((r) => r.exact === r.lookups)) process.exitCode = 1;
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 1);
main(sizes.length > 0 ? sizes : [8, 32]).catch((err: unknown) => {
  process.stderr.write(`chord merge bench failed: ${String(err)}\n`);
  process.exitCode = 1;
});

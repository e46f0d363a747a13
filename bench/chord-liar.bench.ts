// One lying node in a Chord ring: the fraction of lookups it turns wrong, for each lie of
// test/unit/hostile-chord.ts (it claims every key; it names a wrong owner; it announces a false
// node id). N honest in-process nodes on real sockets, K lookups from random honest origins.
// Standalone: `node --import tsx bench/chord-liar.bench.ts [N] [K]`.
import type { Lie } from '../test/unit/hostile-chord';
import { measureLiar } from '../test/unit/liar-ring';

const N = Number(process.argv[2] ?? 32);
const K = Number(process.argv[3] ?? 500);
const LIES: Lie[] = ['claims-every-key', 'names-wrong-owner', 'false-node-id'];

async function main(): Promise<void> {
  console.log(`${N} honest nodes + 1 liar, ${K} lookups from random honest origins`);
  for (const lie of LIES) {
    const f = await measureLiar(N, K, lie);
    const pct = (x: number) => ((100 * x) / f.lookups).toFixed(1);
    console.log(
      `  ${lie.padEnd(18)} wrong ${f.wrong}/${f.lookups} (${pct(f.wrong)} %), ` +
        `failed ${f.failed} (${pct(f.failed)} %), ` +
        `${f.routedAround} of the liar's own keys routed around it, liar answered ${f.lies} steps, ` +
        `${f.liarNeighbours} honest neighbours, ${f.meanRpcs.toFixed(1)} RPCs per lookup`,
    );
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

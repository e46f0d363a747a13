// Flood overlay connectivity: 100 in-process peers (real loopback sockets, default heartbeats and
// metaserver repair interval) join at once under a degree cap of 2, 3 and 8; the time until they
// form one connected overlay (links both ends list, nobody isolated), then the time until the
// survivors are one overlay again after 30 % are killed at once (sockets dropped, no goodbye).
// Rounds rotate the caps' order; medians and ranges. Also the diameter of the joined overlay.
// Standalone: `node --import tsx bench/overlay.bench.ts [peers] [rounds]`.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FloodPeer } from '@node-core/flood/flood-peer';
import { MetadataServer } from '@node-core/metaserver';
import { untilConnected } from '../test/unit/overlay-graph';
import { median, range } from './stats';

const PEERS = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 3);
const CAPS = [2, 3, 8];
const KILLED = 0.3;
const GIVE_UP_MS = 60_000;

interface Round {
  joinedMs: number;
  healedMs: number;
  diameter: number;
}

/** Longest shortest path (in links) between two peers of a connected overlay. */
function diameter(peers: FloodPeer[]): number {
  const links = new Map(peers.map((p) => [p.id, p.neighbors().map((n) => n.id)]));
  let longest = 0;
  for (const start of links.keys()) {
    const depth = new Map([[start, 0]]);
    const todo = [start];
    for (let i = 0; i < todo.length; i++) {
      for (const next of links.get(todo[i]) ?? []) {
        if (depth.has(next) || !links.has(next)) continue;
        depth.set(next, (depth.get(todo[i]) ?? 0) + 1);
        todo.push(next);
      }
    }
    longest = Math.max(longest, ...depth.values());
  }
  return longest;
}

async function round(cap: number, root: string): Promise<Round> {
  const metaserver = new MetadataServer({ port: 0 });
  const peers: FloodPeer[] = [];
  try {
    await metaserver.listen();
    for (let i = 0; i < PEERS; i++) {
      const dir = join(root, `c${cap}-p${i}-${Date.now()}`);
      await mkdir(dir);
      peers.push(new FloodPeer({ id: `p${i}`, dir, metaserver: metaserver.address, maxNeighbors: cap }));
    }
    const started = performance.now();
    await Promise.all(peers.map((p) => p.start()));
    await untilConnected(() => peers, GIVE_UP_MS);
    const joinedMs = performance.now() - started;
    const shape = diameter(peers);
    const shuffled = peers.map((p) => ({ p, k: Math.random() })).sort((a, b) => a.k - b.k);
    const killed = shuffled.slice(0, Math.round(PEERS * KILLED)).map((e) => e.p);
    const live = shuffled.slice(killed.length).map((e) => e.p);
    const killedAt = performance.now();
    await Promise.all(killed.map((p) => p.stop({ abrupt: true })));
    await untilConnected(() => live, GIVE_UP_MS);
    return { joinedMs, healedMs: performance.now() - killedAt, diameter: shape };
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await metaserver.close();
  }
}

function summary(values: number[]): string {
  return `${median(values).toFixed(0)} ms (${range(values)})`;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-overlay-'));
  const results = new Map<number, Round[]>(CAPS.map((c) => [c, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = CAPS.map((_, i) => CAPS[(i + r) % CAPS.length]);
      for (const cap of order) results.get(cap)?.push(await round(cap, root));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  console.log(`${PEERS} flood peers joining at once, then ${KILLED * 100} % killed at once; ${ROUNDS} rounds`);
  console.log('cap  connected after joins      connected again after kills  diameter');
  for (const [cap, rounds] of results) {
    const diameters = rounds.map((x) => x.diameter).sort((a, b) => a - b);
    console.log(
      `${String(cap).padEnd(4)} ${summary(rounds.map((x) => x.joinedMs)).padEnd(26)} ` +
        `${summary(rounds.map((x) => x.healedMs)).padEnd(28)} ${diameters.join(', ')}`,
    );
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

// Flood search in a 50-peer network (in-process peers, real loopback sockets): latency to the
// first hit (p50, p99), query messages per search, and how many searches found their file.
// Target: p50 ≤ 20 ms. Standalone: `node --import tsx bench/search.bench.ts [peers] [queries]`.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FloodPeer } from '@node-core/flood/flood-peer';
import { MetadataServer } from '@node-core/metaserver';

const PEERS = Number(process.argv[2] ?? 50);
const QUERIES = Number(process.argv[3] ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-bench-search-'));
  const metaserver = new MetadataServer({ port: 0 });
  const peers: FloodPeer[] = [];
  try {
    await metaserver.listen();
    for (let i = 0; i < PEERS; i++) {
      const dir = join(root, `p${i}`);
      const { mkdir } = await import('node:fs/promises');
      await mkdir(dir);
      await writeFile(join(dir, `file-${i}.txt`), `content of file ${i}`);
      const peer = new FloodPeer({
        id: `p${i}`,
        dir,
        metaserver: metaserver.address,
        search: { timeoutMs: 1000, graceMs: 0 },
      });
      await peer.start();
      peers.push(peer);
    }
    await sleep(1000); // let the last joins settle
    const degrees = peers.map((p) => p.neighbors().length);
    const latencies: number[] = [];
    const messages: number[] = [];
    let found = 0;
    for (let q = 0; q < QUERIES; q++) {
      const from = peers[q % PEERS];
      const target = (q * 7 + 3) % PEERS === q % PEERS ? (q + 1) % PEERS : (q * 7 + 3) % PEERS;
      const sentBefore = peers.reduce((sum, p) => sum + p.queriesSent, 0);
      const started = performance.now();
      const results = await from.search(`file-${target}.txt`);
      const elapsed = performance.now() - started;
      await sleep(30); // let the flood finish before counting it
      messages.push(peers.reduce((sum, p) => sum + p.queriesSent, 0) - sentBefore);
      if (results.length > 0) {
        found++;
        latencies.push(elapsed);
      }
    }
    latencies.sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const p50 = percentile(latencies, 50);
    console.log(`${PEERS} peers (max 4 neighbours, TTL 7), ${QUERIES} searches for a file held by one peer`);
    console.log(`  degree: min ${Math.min(...degrees)}, mean ${mean(degrees).toFixed(1)}, max ${Math.max(...degrees)}`);
    console.log(`  found: ${found}/${QUERIES}`);
    console.log(
      `  latency to first hit: p50 ${p50.toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
        `(target p50 ≤ 20 ms: ${p50 <= 20 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  query messages per search: mean ${mean(messages).toFixed(0)}, max ${Math.max(...messages)} ` +
        '(+ each hit, hop by hop back along its path)',
    );
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await metaserver.close();
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

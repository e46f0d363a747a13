// Chord: several versions of one name. A ring of in-process ChordPeers on real sockets (temp
// folders); V peers outside the name's placement each share their own content under the name.
// Reports SEARCH latency from another peer as V grows (each search asks the owner and replicas
// for records, then every holder for its manifest), and what a raw-wire stranger's 1,000
// versions cost the owner: publishes checked per second and versions kept.
// Standalone: `node --import tsx bench/chord-versions.bench.ts`.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChordPeer } from '@node-core/chord/chord-peer';
import { hashToId } from '@node-core/chord/id';
import { FAST_TIMINGS } from '@node-core/chord/maintenance';
import { placementAmong, ringIsExact, waitFor } from '../test/unit/chord-harness';
import { VersionForger } from '../test/unit/hostile-publisher';

const PEERS = 20;
const SEARCHES = 20;
const VERSION_COUNTS = [1, 2, 4, 16];

interface Row {
  versions: number;
  found: number;
  p50: number;
  p95: number;
}

async function startRing(root: string): Promise<ChordPeer[]> {
  const peers: ChordPeer[] = [];
  for (let i = 0; i < PEERS; i++) {
    const via = peers[Math.floor(Math.random() * peers.length)];
    const peer = new ChordPeer({
      id: `b${i}`,
      dir: join(root, `b${i}`),
      join: via ? { host: via.self.host, port: via.self.port } : undefined,
      timings: { ...FAST_TIMINGS, replicateMs: 500 },
      watch: false,
    });
    await peer.start();
    peers.push(peer);
  }
  await waitFor('the ring', () => ringIsExact(peers.map((p) => p.ring)), 60_000);
  return peers;
}

function placementOf(peers: readonly ChordPeer[], name: string): ChordPeer[] {
  return placementAmong(peers, hashToId(name));
}

async function searchRow(peers: ChordPeer[], root: string, versions: number): Promise<Row> {
  const name = `bench-${versions}-${randomBytes(3).toString('hex')}.bin`;
  const placed = placementOf(peers, name);
  const others = peers.filter((p) => !placed.includes(p));
  const searcher = others[others.length - 1];
  for (const sharer of others.slice(0, versions)) {
    const dir = join(root, 'src', `${sharer.self.id}-${versions}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), randomBytes(64 * 1024));
    await sharer.share(join(dir, name));
  }
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < SEARCHES; i++) {
    const started = performance.now();
    const results = await searcher.search(name);
    times.push(performance.now() - started);
    found = Math.max(found, results.length);
  }
  times.sort((a, b) => a - b);
  return { versions, found, p50: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] };
}

async function forgerRow(peers: ChordPeer[]): Promise<string> {
  const name = `forged-${randomBytes(3).toString('hex')}.bin`;
  const owner = placementOf(peers, name)[0];
  const forger = new VersionForger(name, 24);
  try {
    await forger.listen();
    const started = performance.now();
    await forger.publish(owner.self, 1000);
    const seconds = (performance.now() - started) / 1000;
    const kept = owner.versions.index.versions(name).length;
    return `1,000 forged versions from 24 addresses: ${(1000 / seconds).toFixed(0)} publishes/s checked, ${kept} kept`;
  } finally {
    await forger.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'chord-versions-bench-'));
  let peers: ChordPeer[] = [];
  try {
    peers = await startRing(root);
    const rows: Row[] = [];
    for (const v of VERSION_COUNTS) rows.push(await searchRow(peers, root, v));
    const lines = [`Chord versions of one name (${PEERS} peers, ${SEARCHES} searches each)`];
    lines.push('  versions  found  search p50 ms  p95 ms');
    for (const r of rows) {
      const cells = [String(r.versions).padEnd(9), String(r.found).padEnd(6), r.p50.toFixed(1).padEnd(14)];
      lines.push(`  ${cells.join(' ')} ${r.p95.toFixed(1)}`);
    }
    lines.push(`  ${await forgerRow(peers)}`);
    process.stdout.write(lines.join('\n') + '\n');
    if (!rows.every((r) => r.found === r.versions)) process.exitCode = 1;
  } finally {
    await Promise.all(peers.map((p) => p.close()));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`chord versions bench failed: ${String(err)}\n`);
  process.exitCode = 1;
});

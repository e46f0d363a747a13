// Shared helpers of the chord tests and the chord benchmark: start in-process nodes on real
// sockets (127.0.0.1, port 0), wait for the ring to settle, compute true owners from the ids.
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ChordPeer, type ChordPeerOptions } from '@node-core/chord/chord-peer';
import { ChordRing, type ChordRingOptions } from '@node-core/chord/chord-ring';
import { inHalfOpen } from '@node-core/chord/id';
import { FAST_TIMINGS, type ChordTimings } from '@node-core/chord/maintenance';
import type { ChordContact } from '@node-core/chord/remote';

export interface HarnessOptions {
  timings?: Partial<ChordTimings>;
  successorListLength?: number | 'auto';
  maxConnections?: number;
  rpcTimeoutMs?: number;
  extra?: Partial<ChordRingOptions>;
}

let counter = 0;

/**
 * A chord peer as the file tests run them (not started): folder `root/id`, joining through `via`,
 * fast timers with 150 ms replication rounds, 6 successors; CHORD_DEBUG=1 prints its log.
 */
export function filePeer(root: string, id: string, via?: ChordPeer, extra: Partial<ChordPeerOptions> = {}): ChordPeer {
  return new ChordPeer({
    id,
    dir: join(root, id),
    join: via ? { host: via.self.host, port: via.self.port } : undefined,
    timings: { ...FAST_TIMINGS, replicateMs: 150 },
    successorListLength: 6,
    log: process.env.CHORD_DEBUG ? (line) => console.error(id, line) : undefined,
    ...extra,
  });
}

export async function startNode(options: HarnessOptions = {}, bootstrap?: ChordRing): Promise<ChordRing> {
  const ring = await ChordRing.start({
    id: `n${++counter}`,
    host: '127.0.0.1',
    port: 0,
    timings: { ...FAST_TIMINGS, ...options.timings },
    node: { successorListLength: options.successorListLength ?? 6, rpcTimeoutMs: options.rpcTimeoutMs ?? 2000 },
    maxConnections: options.maxConnections,
    ...options.extra,
  });
  try {
    await ring.begin(bootstrap ? bootstrap.self : undefined);
  } catch (err) {
    await ring.close();
    throw err;
  }
  return ring;
}

/** Builds a ring of n nodes, each joining through a random earlier one. */
export async function startRing(n: number, options: HarnessOptions = {}, joinSettleMs = 0): Promise<ChordRing[]> {
  const rings: ChordRing[] = [];
  try {
    rings.push(await startNode(options));
    for (let i = 1; i < n; i++) {
      rings.push(await startNode(options, rings[Math.floor(Math.random() * rings.length)]));
      if (joinSettleMs > 0) await sleep(joinSettleMs);
    }
  } catch (err) {
    await Promise.all(rings.map((r) => r.close()));
    throw err;
  }
  return rings;
}

/** The successor of `key` among the given nodes: what every lookup must return. */
export function trueOwner(key: bigint, nodes: readonly ChordContact[]): ChordContact {
  const sorted = [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  return sorted.find((n) => n.nodeId >= key) ?? sorted[0];
}

/** The key's owner and the next `count - 1` nodes after it, among anything with a `self`. */
export function placementAmong<T extends { self: ChordContact }>(items: readonly T[], key: bigint, count = 3): T[] {
  const sorted = [...items].sort((a, b) => (a.self.nodeId < b.self.nodeId ? -1 : 1));
  const owner = trueOwner(
    key,
    sorted.map((p) => p.self),
  );
  const i = sorted.findIndex((p) => p.self.nodeId === owner.nodeId);
  return Array.from({ length: Math.min(count, sorted.length) }, (_, k) => sorted[(i + k) % sorted.length]);
}

/** Every node's successor and predecessor are the true ones. */
export function ringIsExact(rings: readonly ChordRing[]): boolean {
  const sorted = rings.map((r) => r.self).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  return rings.every((r) => {
    const i = sorted.findIndex((p) => p.nodeId === r.self.nodeId);
    const succ = sorted[(i + 1) % sorted.length];
    const pred = sorted[(i - 1 + sorted.length) % sorted.length];
    return r.node.successor.nodeId === succ.nodeId && r.node.predecessor?.nodeId === pred.nodeId;
  });
}

/** Every successor list holds the true next nodes (as many as fit). */
export function successorListsAreExact(rings: readonly ChordRing[]): boolean {
  const sorted = rings.map((r) => r.self).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  return rings.every((r) => {
    const i = sorted.findIndex((p) => p.nodeId === r.self.nodeId);
    const list = r.node.successors.all();
    const want = Math.min(r.node.successors.capacity, sorted.length - 1);
    return list.length === want && list.every((p, k) => p.nodeId === sorted[(i + 1 + k) % sorted.length].nodeId);
  });
}

/** Every finger points at the true successor of its start. */
export function fingersAreExact(rings: readonly ChordRing[]): boolean {
  const nodes = rings.map((r) => r.self);
  return rings.every((r) => {
    for (let i = 0; i < 160; i++) {
      // A finger whose owner is the node itself is kept empty (FingerTable.set): after a crash
      // leaves a gap of more than half the ring before a node, its last fingers are itself.
      const owner = trueOwner(r.node.fingers.start(i), nodes).nodeId;
      if (r.node.fingers.get(i)?.nodeId !== (owner === r.self.nodeId ? undefined : owner)) return false;
    }
    return true;
  });
}

export function randomKey(): bigint {
  let key = 0n;
  for (let i = 0; i < 5; i++) key = (key << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  return key;
}

export { waitFor } from './support/wait-for';

export { inHalfOpen };

// The flood overlay as its live peers see it, for tests and the overlay bench: a link counts only
// when both ends list each other (a query crosses only such a link). Helpers to wait until the
// overlay is one group with nobody isolated, and to watch every peer's degree cap continuously.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FloodPeer } from '@node-core/flood/flood-peer';

/** Groups of peers connected by links both ends list. */
export function overlayGroups(peers: FloodPeer[]): string[][] {
  const live = new Map(peers.map((p) => [p.id, new Set(p.neighbors().map((n) => n.id))]));
  const mutual = (a: string, b: string): boolean => (live.get(a)?.has(b) ?? false) && (live.get(b)?.has(a) ?? false);
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const start of live.keys()) {
    if (seen.has(start)) continue;
    const group: string[] = [];
    const todo = [start];
    seen.add(start);
    while (todo.length > 0) {
      const id = todo.pop() as string;
      group.push(id);
      for (const next of live.get(id) ?? []) {
        if (!seen.has(next) && mutual(id, next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    groups.push(group.sort());
  }
  return groups;
}

/** What is wrong with the overlay of `peers` (undefined: one group, nobody isolated). */
export function overlayProblem(peers: FloodPeer[]): string | undefined {
  if (peers.length < 2) return undefined;
  const isolated = peers.filter((p) => p.neighbors().length === 0).map((p) => p.id);
  if (isolated.length > 0) return `isolated: ${isolated.join(', ')}`;
  const groups = overlayGroups(peers);
  if (groups.length > 1) return `${groups.length} groups: ${groups.map((g) => `[${g.join(' ')}]`).join(' ')}`;
  return undefined;
}

/**
 * Resolves with the milliseconds until `live()` forms one connected overlay; rejects after `ms`
 * with what was still wrong. Polls every 20 ms.
 */
export async function untilConnected(live: () => FloodPeer[], ms: number): Promise<number> {
  const started = performance.now();
  let problem: string | undefined = 'never checked';
  while (performance.now() - started < ms) {
    problem = overlayProblem(live());
    if (problem === undefined) return performance.now() - started;
    await sleep(20);
  }
  throw new Error(`overlay not connected after ${ms} ms: ${problem}`);
}

/**
 * Checks that no peer ever holds more links than `cap`: at every neighbour-up event of a
 * watched peer, and every 10 ms for all of them. `violations` lists what it saw.
 */
export class CapWatch {
  readonly violations: string[] = [];
  private readonly peers = new Set<FloodPeer>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly cap: number) {
    this.timer = setInterval(() => {
      for (const peer of this.peers) this.check(peer);
    }, 10);
  }

  watch(peer: FloodPeer): void {
    this.peers.add(peer);
    peer.on('event', (event) => {
      if (event.event === 'neighbor-up') this.check(peer);
    });
  }

  forget(peer: FloodPeer): void {
    this.peers.delete(peer);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private check(peer: FloodPeer): void {
    const links = peer.neighbors().length;
    if (links > this.cap && this.violations.length < 20) this.violations.push(`${peer.id} had ${links} links`);
  }
}

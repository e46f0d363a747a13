// The metaserver sees every flood peer's links, so it sees what no peer can see from inside: the
// overlay fallen apart into groups (peers that filled their degree caps among themselves, or the
// survivors of a crash). Each interval it computes the groups; a group seen apart on two checks
// in a row gets a `mend`: one of its lowest-degree peers is told to link to a lowest-degree peer
// of the largest group (the peer swaps a link if it is full, see FloodOverlay.mend).
import type { PeerRef } from '../events';
import type { TopologyPeer } from '../topology';

export interface PartitionRepairOptions {
  intervalMs: number;
  /** The flood peers and the links they report. */
  peers: () => TopologyPeer[];
  /** Tells peer `id` to link to `peer`. */
  mend: (id: string, peer: PeerRef) => void;
}

export class PartitionRepair {
  private timer: NodeJS.Timeout | undefined;
  /** The groups of the previous check, by their sorted member ids. */
  private previous = new Set<string>();

  constructor(private readonly options: PartitionRepairOptions) {}

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check: mends each group other than the largest that was already apart last time. */
  check(): void {
    const groups = overlayGroups(this.options.peers()).sort((a, b) => b.length - a.length);
    const keys = groups.map(groupKey);
    for (let i = 1; i < groups.length; i++) {
      if (!this.previous.has(keys[i])) continue;
      const { id, host, port } = lowestDegree(groups[0]);
      this.options.mend(lowestDegree(groups[i]).id, { id, host, port });
    }
    this.previous = new Set(keys);
  }
}

/** Connected groups of `peers`, a link counting when either end reports it. */
export function overlayGroups(peers: TopologyPeer[]): TopologyPeer[][] {
  const byId = new Map(peers.map((p) => [p.id, p]));
  const adjacent = new Map(peers.map((p) => [p.id, new Set<string>()]));
  for (const peer of peers) {
    for (const other of peer.neighbors) {
      if (!byId.has(other)) continue;
      adjacent.get(peer.id)?.add(other);
      adjacent.get(other)?.add(peer.id);
    }
  }
  const seen = new Set<string>();
  const groups: TopologyPeer[][] = [];
  for (const peer of peers) {
    if (seen.has(peer.id)) continue;
    const group: TopologyPeer[] = [];
    const todo = [peer.id];
    seen.add(peer.id);
    while (todo.length > 0) {
      const id = todo.pop() as string;
      group.push(byId.get(id) as TopologyPeer);
      for (const next of adjacent.get(id) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    groups.push(group);
  }
  return groups;
}

function groupKey(group: TopologyPeer[]): string {
  return group
    .map((p) => p.id)
    .sort()
    .join('\n');
}

/** A random one of the group's peers with the fewest reported links (most likely to have room). */
function lowestDegree(group: TopologyPeer[]): TopologyPeer {
  const fewest = Math.min(...group.map((p) => p.neighbors.length));
  const candidates = group.filter((p) => p.neighbors.length === fewest);
  return candidates[Math.floor(Math.random() * candidates.length)];
}

// Positions of the peers. Flood peers float in a d3-force simulation (links pull, peers repel);
// chord peers are pinned on a ring in nodeId order, as the Chord paper draws it. d3-force only
// computes coordinates; drawing is ours (graph-view.ts), so the page controls every element.
import {
  forceCenter,
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type Simulation,
  type SimulationLinkDatum,
  type SimulationNodeDatum,
} from 'd3-force';
import type { TopologyPeer } from '@node-core/topology';
import type { Link } from './topology-model';

export interface LayoutNode extends SimulationNodeDatum {
  id: string;
}

export interface LayoutLink extends SimulationLinkDatum<LayoutNode> {
  key: string;
}

export interface Point {
  x: number;
  y: number;
}

const LINK_DISTANCE = 80;
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
/** Heat of a restart: small changes should not shake the whole picture. */
const REHEAT_ALPHA = 0.5;

export class GraphLayout {
  readonly simulation: Simulation<LayoutNode, LayoutLink>;
  private readonly nodes = new Map<string, LayoutNode>();
  private shape = '';
  private readonly linkForce = forceLink<LayoutNode, LayoutLink>([])
    .id((n) => n.id)
    .distance(LINK_DISTANCE);

  /** autoRun false: nothing ticks until the caller calls tick() (the bench, tests in Node). */
  constructor(private readonly autoRun = true) {
    this.simulation = forceSimulation<LayoutNode, LayoutLink>([])
      .force('link', this.linkForce)
      .force('charge', forceManyBody<LayoutNode>().strength(-260).distanceMax(600))
      .force('collide', forceCollide<LayoutNode>(26))
      .force('center', forceCenter(0, 0))
      // Weak pull to the middle keeps separate components (a split network) on screen.
      .force('x', forceX<LayoutNode>(0).strength(0.04))
      .force('y', forceY<LayoutNode>(0).strength(0.04));
    if (!autoRun) this.simulation.stop();
  }

  /** Takes the new picture, keeping existing peers where they are so the graph stays stable. */
  update(peers: readonly TopologyPeer[], links: readonly Link[]): void {
    // Peers report often (files, heartbeats) without changing the graph: only a new shape
    // reheats the simulation, otherwise a busy network would never let the picture rest.
    const shape = graphShape(peers, links);
    if (shape === this.shape) return;
    this.shape = shape;
    const wanted = new Set(peers.map((p) => p.id));
    for (const id of [...this.nodes.keys()]) if (!wanted.has(id)) this.nodes.delete(id);
    const unplaced: string[] = [];
    for (const peer of peers) {
      if (this.nodes.has(peer.id)) continue;
      const node = this.placeNewcomer(peer, links);
      this.nodes.set(peer.id, node);
      if (node.x === undefined) unplaced.push(peer.id);
    }
    this.placeInTraversalOrder(unplaced, links);
    this.pinChordRing(peers);
    this.simulation.nodes([...this.nodes.values()]);
    this.linkForce.links(links.map((l) => ({ key: l.key, source: l.a, target: l.b })));
    this.simulation.alpha(Math.max(this.simulation.alpha(), REHEAT_ALPHA));
    if (this.autoRun) this.simulation.restart();
  }

  position(id: string): Point | undefined {
    const node = this.nodes.get(id);
    return node && node.x !== undefined && node.y !== undefined ? { x: node.x, y: node.y } : undefined;
  }

  /** Runs the simulation to rest synchronously; returns the ticks it took. */
  settle(maxTicks = 1000): number {
    let ticks = 0;
    while (this.simulation.alpha() >= this.simulation.alphaMin() && ticks < maxTicks) {
      this.simulation.tick();
      ticks++;
    }
    return ticks;
  }

  /** Several views may follow the layout: each registers under its own name. */
  onTick(listener: () => void, name = 'graph'): void {
    this.simulation.on(`tick.${name}`, listener);
  }

  stop(): void {
    this.simulation.stop();
    this.simulation.on('tick.graph', null).on('tick.traffic', null);
  }

  /** Near a neighbour already placed, so a joining peer appears where it belongs. */
  private placeNewcomer(peer: TopologyPeer, links: readonly Link[]): LayoutNode {
    const jitter = () => (Math.random() - 0.5) * 40;
    for (const link of links) {
      const other = link.a === peer.id ? link.b : link.b === peer.id ? link.a : undefined;
      const anchor = other ? this.nodes.get(other) : undefined;
      if (anchor?.x !== undefined && anchor.y !== undefined)
        return { id: peer.id, x: anchor.x + jitter(), y: anchor.y + jitter() };
    }
    return { id: peer.id };
  }

  /**
   * A first picture (the snapshot) starts with linked peers side by side: depth-first order laid
   * along a circle (small networks) or a spiral (large ones). From d3's default spiral in id order
   * a ring often settles twisted, a local minimum the forces never leave.
   */
  private placeInTraversalOrder(ids: string[], links: readonly Link[]): void {
    if (ids.length === 0) return;
    const adjacency = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const { a, b } of links) {
      adjacency.get(a)?.push(b);
      adjacency.get(b)?.push(a);
    }
    const order: string[] = [];
    const seen = new Set<string>();
    for (const start of ids) {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack.pop() as string;
        if (seen.has(id) || !adjacency.has(id)) continue;
        seen.add(id);
        order.push(id);
        const next = (adjacency.get(id) ?? [])
          .filter((n) => !seen.has(n))
          .sort()
          .reverse();
        stack.push(...next);
      }
    }
    const onCircle = order.length <= 30;
    const radius = Math.max(LINK_DISTANCE, (order.length * LINK_DISTANCE) / (2 * Math.PI));
    order.forEach((id, i) => {
      const node = this.nodes.get(id);
      if (!node) return;
      const angle = onCircle ? (2 * Math.PI * i) / order.length : i * GOLDEN_ANGLE;
      const r = onCircle ? radius : 20 * Math.sqrt(0.5 + i);
      node.x = r * Math.cos(angle);
      node.y = r * Math.sin(angle);
    });
  }

  private pinChordRing(peers: readonly TopologyPeer[]): void {
    const ring = peers.filter((p) => p.mode === 'chord').sort((a, b) => ringOrder(a).localeCompare(ringOrder(b)));
    const radius = Math.max(120, (ring.length * 60) / (2 * Math.PI));
    ring.forEach((peer, index) => {
      const node = this.nodes.get(peer.id);
      if (!node) return;
      const angle = (2 * Math.PI * index) / ring.length - Math.PI / 2; // first id at the top
      node.fx = node.x = radius * Math.cos(angle);
      node.fy = node.y = radius * Math.sin(angle);
    });
  }
}

/** Everything the layout depends on: peer ids, ring positions (chord nodeIds) and links. */
function graphShape(peers: readonly TopologyPeer[], links: readonly Link[]): string {
  const nodes = peers.map((p) => (p.mode === 'chord' ? `${p.id}@${ringOrder(p)}` : p.id)).sort();
  return `${nodes.join(',')}#${links
    .map((l) => l.key)
    .sort()
    .join(',')}`;
}

function ringOrder(peer: TopologyPeer): string {
  return peer.chord?.nodeId ?? peer.id;
}

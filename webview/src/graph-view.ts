// Draws the network as SVG: one <g data-peer-id> per peer, one <line data-link="A|B"> per link
// (the attributes tests and assistive tools read), and for chord peers the ring's successor
// edges and, on request, the fingers. Elements are keyed by id and only added or removed when
// the model changes; the layout's ticks just move them.
import { linkKey, type TopologyPeer } from '@node-core/topology';
import type { GraphLayout, Point } from './graph-layout';
import { describeLinkSecurity } from './link-security';
import { svgElement } from './svg';
import type { Link, TopologyModel } from './topology-model';

const PEER_RADIUS = 16;
const VIEW_PADDING = 48;
/** Small networks may be drawn a little larger than 1:1, never more. */
const MAX_ZOOM = 1.5;
/** Below this scale labels are unreadable and only cost painting; aria-label and title remain. */
const LABEL_MIN_SCALE = 0.6;

interface Edge {
  key: string;
  from: string;
  to: string;
}

export class GraphView {
  readonly svg = svgElement('svg', {
    class: 'graph',
    role: 'group',
    'aria-label': 'Network graph: arrow keys move between peers, Enter shows details',
  });
  readonly activityLayer = svgElement('g', { class: 'activity-layer' });
  private readonly linkLayer = svgElement('g', { class: 'link-layer' });
  private readonly ringLayer = svgElement('g', { class: 'ring-layer' });
  private readonly peerLayer = svgElement('g', { class: 'peer-layer' });
  private readonly peerElements = new Map<string, SVGGElement>();
  private readonly linkElements = new Map<string, SVGLineElement>();
  private readonly ringElements = new Map<string, SVGLineElement>();
  private ringEdges: Edge[] = [];
  private selected: string | undefined;
  /**
   * Roving tabindex: one peer is the graph's single Tab stop and arrow keys move between peers
   * (in id order), so 200 peers do not mean 200 Tab presses to get past the graph.
   */
  private peerOrder: string[] = [];
  private tabStop: string | undefined;
  /** The drawing area in CSS pixels, cached: reading clientWidth on every tick forces a layout. */
  private viewport = { width: 400, height: 300 };
  private readonly resizeObserver = new ResizeObserver(([entry]) => {
    if (!entry || entry.contentRect.width === 0) return;
    this.viewport = { width: entry.contentRect.width, height: entry.contentRect.height };
    this.fitView();
  });

  constructor(
    private readonly layout: GraphLayout,
    private readonly onSelect: (id: string) => void,
  ) {
    this.svg.append(this.ringLayer, this.linkLayer, this.activityLayer, this.peerLayer);
    layout.onTick(() => this.place());
    this.resizeObserver.observe(this.svg);
  }

  dispose(): void {
    this.resizeObserver.disconnect();
  }

  render(model: TopologyModel, showFingers: boolean): void {
    const peers = model.peerList();
    const links = model.links();
    this.syncPeers(peers, model);
    this.syncLinks(links, new Set(peers.filter((p) => p.mode === 'chord').map((p) => p.id)));
    this.markLinkSecurity(model);
    this.markRelayed(new Set(peers.filter((p) => p.relayed).map((p) => p.id)), model);
    this.ringEdges = chordEdges(peers, showFingers, new Set(links.map((l) => l.key)));
    this.syncRing(this.ringEdges);
    this.layout.update(peers, links);
    this.place();
  }

  select(id: string | undefined): void {
    if (this.selected) this.peerElements.get(this.selected)?.classList.remove('selected');
    this.selected = id;
    for (const [peerId, element] of this.peerElements) element.setAttribute('aria-pressed', String(peerId === id));
    if (id) this.peerElements.get(id)?.classList.add('selected');
    if (id) this.setTabStop(id);
  }

  focusPeer(id: string): void {
    this.peerElements.get(id)?.focus();
  }

  peerElement(id: string): SVGGElement | undefined {
    return this.peerElements.get(id);
  }

  linkElement(a: string, b: string): SVGLineElement | undefined {
    return this.linkElements.get(linkKey(a, b));
  }

  position(id: string): Point | undefined {
    return this.layout.position(id);
  }

  private syncPeers(peers: TopologyPeer[], model: TopologyModel): void {
    const wanted = new Set(peers.map((p) => p.id));
    for (const [id, element] of this.peerElements) {
      if (!wanted.has(id)) {
        element.remove();
        this.peerElements.delete(id);
      }
    }
    for (const peer of peers) {
      let element = this.peerElements.get(peer.id);
      if (!element) {
        element = this.createPeer(peer.id);
        this.peerElements.set(peer.id, element);
        this.peerLayer.append(element);
      }
      const neighbors = model.neighborsOf(peer.id).length;
      element.dataset.mode = peer.mode;
      element.setAttribute(
        'aria-label',
        `Peer ${peer.id}, ${peer.mode}, ${neighbors} neighbour${neighbors === 1 ? '' : 's'}` +
          (peer.relayed ? ', behind NAT (relayed)' : ''),
      );
    }
    this.peerOrder = peers.map((p) => p.id);
    this.setTabStop(this.tabStop !== undefined && wanted.has(this.tabStop) ? this.tabStop : this.peerOrder[0]);
  }

  private setTabStop(id: string | undefined): void {
    if (this.tabStop !== id) this.peerElements.get(this.tabStop ?? '')?.setAttribute('tabindex', '-1');
    this.tabStop = id;
    if (id) this.peerElements.get(id)?.setAttribute('tabindex', '0');
  }

  private moveFocus(from: string, key: string): boolean {
    const index = this.peerOrder.indexOf(from);
    const last = this.peerOrder.length - 1;
    const target =
      key === 'ArrowRight' || key === 'ArrowDown'
        ? Math.min(index + 1, last)
        : key === 'ArrowLeft' || key === 'ArrowUp'
          ? Math.max(index - 1, 0)
          : key === 'Home'
            ? 0
            : key === 'End'
              ? last
              : undefined;
    if (target === undefined || index < 0) return false;
    const id = this.peerOrder[target];
    this.setTabStop(id);
    this.peerElements.get(id)?.focus();
    return true;
  }

  private createPeer(id: string): SVGGElement {
    const group = svgElement('g', {
      class: 'peer',
      'data-peer-id': id,
      tabindex: -1,
      role: 'button',
      'aria-pressed': 'false',
    });
    const title = svgElement('title');
    title.textContent = id;
    group.append(svgElement('circle', { r: PEER_RADIUS }), label(id), title);
    group.addEventListener('click', () => this.onSelect(id));
    group.addEventListener('focus', () => this.setTabStop(id));
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.onSelect(id);
      } else if (this.moveFocus(id, event.key)) {
        event.preventDefault();
      }
    });
    return group;
  }

  private syncLinks(links: Link[], chordPeers: Set<string>): void {
    syncLines(
      this.linkElements,
      this.linkLayer,
      links.map((l) => l.key),
      (key) => {
        const [a, b] = key.split('|');
        // Chord links are the ring (successor and predecessor): drawn in the ring's colour.
        const kind = chordPeers.has(a) && chordPeers.has(b) ? 'chord' : 'flood';
        return svgElement('line', { class: 'link', 'data-link': key, 'data-kind': kind });
      },
    );
  }

  /** Each link says how it is secured: an attribute for styles and tests, a tooltip for people. */
  private markLinkSecurity(model: TopologyModel): void {
    for (const [key, line] of this.linkElements) {
      const [a, b] = key.split('|');
      const security = model.linkSecurity(a, b);
      if (line.getAttribute('data-security') === security) continue;
      line.setAttribute('data-security', security);
      const title = line.querySelector('title') ?? line.appendChild(svgElement('title'));
      title.textContent = `${a} — ${b}: ${describeLinkSecurity(security)}`;
    }
  }

  /** Peers behind NAT, and each link that runs through a relay now (one may have moved direct), are drawn dashed. */
  private markRelayed(relayed: Set<string>, model: TopologyModel): void {
    for (const [id, element] of this.peerElements) toggleFlag(element, 'relayed', relayed.has(id));
    for (const [key, line] of this.linkElements) {
      const [a, b] = key.split('|');
      toggleFlag(line, 'relayed', model.linkRelayed(a, b));
    }
  }

  private syncRing(edges: Edge[]): void {
    syncLines(
      this.ringElements,
      this.ringLayer,
      edges.map((e) => e.key),
      (key) => {
        const [kind, pair] = key.split(':');
        return svgElement('line', {
          class: kind === 'finger' ? 'finger-edge' : 'ring-edge',
          [`data-${kind}-edge`]: pair,
        });
      },
    );
  }

  /** Moves every element to the layout's current coordinates and fits the view around them. */
  private place(): void {
    for (const [id, element] of this.peerElements) {
      const p = this.layout.position(id);
      if (p) translate(element, p);
    }
    for (const [key, line] of this.linkElements) {
      const [a, b] = key.split('|');
      placeLine(line, this.layout.position(a), this.layout.position(b));
    }
    for (const edge of this.ringEdges) {
      placeLine(this.ringElements.get(edge.key), this.layout.position(edge.from), this.layout.position(edge.to));
    }
    this.fitView();
  }

  private fitView(): void {
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (const id of this.peerElements.keys()) {
      const p = this.layout.position(id);
      if (!p) continue;
      minX = Math.min(minX, p.x);
      minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x);
      maxY = Math.max(maxY, p.y);
    }
    if (minX === Infinity) {
      this.svg.setAttribute('viewBox', '-200 -150 400 300');
      return;
    }
    // Magnify at most MAX_ZOOM: a small network stays readable without giant circles; a large
    // one is scaled down to fit.
    const width = Math.max(maxX - minX + 2 * VIEW_PADDING, this.viewport.width / MAX_ZOOM);
    const height = Math.max(maxY - minY + 2 * VIEW_PADDING, this.viewport.height / MAX_ZOOM);
    const cx = (minX + maxX) / 2,
      cy = (minY + maxY) / 2;
    this.svg.setAttribute(
      'viewBox',
      `${(cx - width / 2).toFixed(1)} ${(cy - height / 2).toFixed(1)} ${width.toFixed(1)} ${height.toFixed(1)}`,
    );
    const scale = Math.min(this.viewport.width / width, this.viewport.height / height);
    this.svg.classList.toggle('labels-hidden', scale < LABEL_MIN_SCALE);
  }
}

function label(id: string): SVGTextElement {
  const text = svgElement('text', { class: 'peer-label', 'text-anchor': 'middle', dy: PEER_RADIUS + 14 });
  text.textContent = id.length > 14 ? `${id.slice(0, 12)}…` : id;
  return text;
}

function syncLines(
  elements: Map<string, SVGLineElement>,
  layer: SVGGElement,
  keys: string[],
  create: (key: string) => SVGLineElement,
): void {
  const wanted = new Set(keys);
  for (const [key, element] of elements) {
    if (!wanted.has(key)) {
      element.remove();
      elements.delete(key);
    }
  }
  for (const key of keys) {
    if (elements.has(key)) continue;
    const element = create(key);
    elements.set(key, element);
    layer.append(element);
  }
}

// Every tick moves every element: the typed SVG DOM (baseVal) skips building and parsing
// attribute strings, which was the page's largest script cost with 200 peers.
function placeLine(line: SVGLineElement | undefined, a: Point | undefined, b: Point | undefined): void {
  if (!line || !a || !b) return;
  line.x1.baseVal.value = a.x;
  line.y1.baseVal.value = a.y;
  line.x2.baseVal.value = b.x;
  line.y2.baseVal.value = b.y;
}

function translate(element: SVGGElement, p: Point): void {
  const transforms = element.transform.baseVal;
  if (transforms.numberOfItems === 0) {
    const owner = element.ownerSVGElement;
    if (!owner) return element.setAttribute('transform', `translate(${p.x},${p.y})`);
    transforms.initialize(owner.createSVGTransform());
  }
  transforms.getItem(0).setTranslate(p.x, p.y);
}

/**
 * Chord: each node's successor edge (unless a drawn link already joins the pair), and its
 * distinct fingers when asked.
 */
function chordEdges(peers: TopologyPeer[], showFingers: boolean, linkKeys: Set<string>): Edge[] {
  // The metaserver may name ring members by peer id or by nodeId; accept both.
  const idOf = new Map<string, string>();
  for (const peer of peers) {
    idOf.set(peer.id, peer.id);
    if (peer.chord) idOf.set(peer.chord.nodeId, peer.id);
  }
  const edges = new Map<string, Edge>();
  const add = (kind: 'ring' | 'finger', from: string, ref: string | undefined) => {
    const to = ref === undefined ? undefined : idOf.get(ref);
    if (to === undefined || to === from) return;
    if (kind === 'ring' && linkKeys.has(linkKey(from, to))) return;
    const key = `${kind}:${from}>${to}`;
    edges.set(key, { key, from, to });
  };
  for (const peer of peers) {
    if (!peer.chord) continue;
    const successor = peer.chord.successors[0];
    add('ring', peer.id, successor);
    if (showFingers)
      for (const finger of new Set(peer.chord.fingers)) if (finger !== successor) add('finger', peer.id, finger);
  }
  return [...edges.values()];
}

/** `data-NAME="true"` when `on`, no attribute otherwise. */
function toggleFlag(element: Element, name: string, on: boolean): void {
  if (on) element.setAttribute(`data-${name}`, 'true');
  else element.removeAttribute(`data-${name}`);
}

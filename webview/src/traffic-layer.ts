// Traffic drawn on the graph: a link that carries file bytes gets thicker (by the log of its
// rate) and a label with the current rate; a pair that is not an overlay link (a download goes
// straight from holder to getter) gets a dashed flow line `[data-flow="A|B"]` with the same.
// Labels are `[data-link-label="A|B"]`, and each drawn line has `data-rate` (bytes per second).
import type { GraphLayout, Point } from './graph-layout';
import type { GraphView } from './graph-view';
import { svgElement } from './svg';
import { formatRate } from './traffic-model';

const BASE_WIDTH = 1.6;
const MAX_WIDTH = 10;
/** Each doubling of the rate above this adds the same width. */
const WIDTH_UNIT_BYTES = 64 * 1024;

export function widthForRate(bytesPerSecond: number): number {
  if (bytesPerSecond <= 0) return BASE_WIDTH;
  return Math.min(MAX_WIDTH, BASE_WIDTH + 1.2 * Math.log2(1 + bytesPerSecond / WIDTH_UNIT_BYTES) + 0.6);
}

export class TrafficLayer {
  private readonly flowGroup = svgElement('g', { class: 'flow-layer' });
  private readonly labelGroup = svgElement('g', { class: 'rate-labels' });
  private readonly flows = new Map<string, SVGLineElement>();
  private readonly labels = new Map<string, SVGTextElement>();
  /** Overlay link elements we widened, to put back when their traffic stops. */
  private readonly widened = new Map<string, SVGElement>();

  constructor(
    private readonly graph: GraphView,
    layout: GraphLayout,
  ) {
    graph.svg.insertBefore(this.flowGroup, graph.activityLayer);
    graph.svg.append(this.labelGroup);
    layout.onTick(() => this.place(), 'traffic');
  }

  render(rates: Map<string, number>): void {
    for (const [key, element] of this.widened) {
      if (rates.has(key) && this.graph.linkElement(...pair(key)) === element) continue;
      element.removeAttribute('data-rate');
      element.style.removeProperty('stroke-width');
      this.widened.delete(key);
    }
    for (const [key, line] of this.flows) {
      if (rates.has(key) && !this.graph.linkElement(...pair(key))) continue;
      line.remove();
      this.flows.delete(key);
    }
    for (const [key, text] of this.labels) {
      if (rates.has(key)) continue;
      text.remove();
      this.labels.delete(key);
    }
    for (const [key, rate] of rates) {
      const line = this.graph.linkElement(...pair(key)) ?? this.flowLine(key);
      line.setAttribute('data-rate', String(Math.round(rate)));
      line.style.strokeWidth = String(widthForRate(rate));
      if (line.hasAttribute('data-link')) this.widened.set(key, line);
      this.label(key).textContent = formatRate(rate);
    }
    this.place();
  }

  private flowLine(key: string): SVGLineElement {
    let line = this.flows.get(key);
    if (!line) {
      line = svgElement('line', { class: 'flow', 'data-flow': key });
      this.flows.set(key, line);
      this.flowGroup.append(line);
    }
    return line;
  }

  private label(key: string): SVGTextElement {
    let text = this.labels.get(key);
    if (!text) {
      text = svgElement('text', { class: 'rate-label', 'data-link-label': key, 'text-anchor': 'middle', dy: -4 });
      this.labels.set(key, text);
      this.labelGroup.append(text);
    }
    return text;
  }

  private place(): void {
    for (const [key, line] of this.flows) {
      const [a, b] = pair(key).map((id) => this.graph.position(id));
      if (!a || !b) continue;
      line.x1.baseVal.value = a.x;
      line.y1.baseVal.value = a.y;
      line.x2.baseVal.value = b.x;
      line.y2.baseVal.value = b.y;
    }
    for (const [key, text] of this.labels) {
      const [a, b] = pair(key).map((id) => this.graph.position(id));
      const mid: Point | undefined = a && b ? { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } : undefined;
      if (!mid) continue;
      text.setAttribute('x', mid.x.toFixed(1));
      text.setAttribute('y', mid.y.toFixed(1));
    }
  }
}

/** The two ids of a key made by linkKey (sorted, joined with `|`). */
function pair(key: string): [string, string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

// A peer's upload and download over the last minute as a small inline SVG: two polylines
// (`[data-chart="up"]`, `[data-chart="down"]`) on a shared scale, and the current rates in text.
import { htmlElement } from './dom';
import { svgElement } from './svg';
import { formatRate, type PeerTraffic } from './traffic-model';

const WIDTH = 180;
const HEIGHT = 40;

export function trafficChart(traffic: PeerTraffic): HTMLElement {
  const up = traffic.up[traffic.up.length - 1] ?? 0;
  const down = traffic.down[traffic.down.length - 1] ?? 0;
  const summary = `up ${formatRate(up)} · down ${formatRate(down)}`;
  const peak = Math.max(1, ...traffic.up, ...traffic.down);
  const svg = svgElement('svg', {
    class: 'traffic-chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: 'img',
    'aria-label': `Traffic over the last minute: ${summary}, peak ${formatRate(peak)}`,
  });
  for (const [kind, values] of [
    ['down', traffic.down],
    ['up', traffic.up],
  ] as const) {
    const step = WIDTH / Math.max(1, values.length - 1);
    const points = values
      .map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 1 - (v / peak) * (HEIGHT - 2)).toFixed(1)}`)
      .join(' ');
    svg.append(svgElement('polyline', { class: `chart-${kind}`, 'data-chart': kind, points }));
  }
  return htmlElement(
    'div',
    { class: 'traffic', 'data-traffic-up': String(Math.round(up)), 'data-traffic-down': String(Math.round(down)) },
    svg,
    htmlElement('div', { class: 'traffic-summary' }, summary),
  );
}
